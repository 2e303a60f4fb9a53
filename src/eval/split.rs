//! Evaluation splits: leave-one-out per user, and a seeded hold-out of whole users
//! (the new-shoppers protocol).
//!
//! Leave-one-out for a user with items `s[0..n]` (n ≥ 3): training is `s[..n-2]`, the
//! validation target is `s[n-2]` (input `s[..n-2]`), the test target is `s[n-1]` (input
//! `s[..n-1]`). Users with fewer than 3 items only contribute training data.
//!
//! ```
//! use localrec::eval::split::LeaveOneOut;
//! let seqs = vec![vec![1, 2, 3, 4], vec![5, 6]];
//! let loo = LeaveOneOut::new(&seqs);
//! assert_eq!(loo.train_sequences(), vec![&[1, 2][..], &[5, 6][..]]);
//! assert_eq!(loo.cases[0].valid_target, 3);
//! assert_eq!(loo.cases[0].test_target, 4);
//! ```

use crate::rng::Rng;

/// One evaluated user of a leave-one-out split.
#[derive(Debug, Clone, PartialEq)]
pub struct LooCase {
    /// Index of the user in the input.
    pub user: usize,
    /// The validation target (second-to-last item).
    pub valid_target: u32,
    /// The test target (last item).
    pub test_target: u32,
}

/// A leave-one-out split that borrows the sequences.
#[derive(Debug, Clone)]
pub struct LeaveOneOut<'a> {
    sequences: &'a [Vec<u32>],
    /// Users with at least 3 items, in input order.
    pub cases: Vec<LooCase>,
}

impl<'a> LeaveOneOut<'a> {
    /// Splits every user's sequence.
    pub fn new(sequences: &'a [Vec<u32>]) -> Self {
        let cases = sequences
            .iter()
            .enumerate()
            .filter_map(|(user, s)| match s.as_slice() {
                [.., v, t] if s.len() >= 3 => Some(LooCase {
                    user,
                    valid_target: *v,
                    test_target: *t,
                }),
                _ => None,
            })
            .collect();
        LeaveOneOut { sequences, cases }
    }

    /// Training part of every user (evaluated users lose their last two items).
    pub fn train_sequences(&self) -> Vec<&'a [u32]> {
        self.sequences
            .iter()
            .map(|s| {
                if s.len() >= 3 {
                    &s[..s.len() - 2]
                } else {
                    s.as_slice()
                }
            })
            .collect()
    }

    /// Training plus validation items (what the model may see when predicting the test item).
    pub fn train_valid_sequences(&self) -> Vec<&'a [u32]> {
        self.sequences
            .iter()
            .map(|s| {
                if s.len() >= 3 {
                    &s[..s.len() - 1]
                } else {
                    s.as_slice()
                }
            })
            .collect()
    }

    /// The input when predicting the validation target of `case`.
    pub fn valid_input(&self, case: &LooCase) -> &'a [u32] {
        let s = self
            .sequences
            .get(case.user)
            .map_or(&[][..], |s| s.as_slice());
        &s[..s.len().saturating_sub(2)]
    }

    /// The input when predicting the test target of `case`.
    pub fn test_input(&self, case: &LooCase) -> &'a [u32] {
        let s = self
            .sequences
            .get(case.user)
            .map_or(&[][..], |s| s.as_slice());
        &s[..s.len().saturating_sub(1)]
    }
}

/// Seeded hold-out of a `fraction` of `n_users` users: returns (kept, held_out) indices, each sorted.
pub fn hold_out_users(n_users: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n_users).collect();
    Rng::new(seed).shuffle(&mut order);
    let n_out = ((n_users as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
    let (out, kept) = order.split_at(n_out.min(n_users));
    let (mut kept, mut out) = (kept.to_vec(), out.to_vec());
    kept.sort_unstable();
    out.sort_unstable();
    (kept, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_users_only_train() {
        let seqs = vec![vec![1, 2], vec![3, 4, 5]];
        let loo = LeaveOneOut::new(&seqs);
        assert_eq!(loo.cases.len(), 1);
        assert_eq!(loo.cases[0].user, 1);
        assert_eq!(loo.valid_input(&loo.cases[0]), &[3]);
        assert_eq!(loo.test_input(&loo.cases[0]), &[3, 4]);
        assert_eq!(loo.train_valid_sequences()[1], &[3, 4]);
    }

    #[test]
    fn hold_out_is_seeded_and_disjoint() {
        let (a, b) = hold_out_users(100, 0.2, 7);
        assert_eq!(b.len(), 20);
        assert_eq!(a.len(), 80);
        assert!(b.iter().all(|u| !a.contains(u)));
        assert_eq!(hold_out_users(100, 0.2, 7), (a, b.clone()));
        assert_ne!(hold_out_users(100, 0.2, 8).1, b);
    }
}
