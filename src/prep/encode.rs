//! Categorical encoders, fitted then frozen: label, one-hot (both with an
//! out-of-vocabulary slot) and the hashing trick (with an OOV bucket for
//! values never seen when fitting).
//!
//! Values are matched case-insensitively. A *missing* value encodes to all
//! zeros; a present but *unseen* value goes to the OOV slot — the two are
//! different signals.
//!
//! ```
//! use localrec::prep::encode::{HashingEncoder, OneHotEncoder};
//! let oh = OneHotEncoder::fit(["Skin", "Hair", "skin"], 10).unwrap();
//! assert_eq!(oh.width(), 3); // skin, hair, OOV
//! let mut out = vec![0.0; 3];
//! oh.encode_into(Some("Nails"), &mut out).unwrap();
//! assert_eq!(out, vec![0.0, 0.0, 1.0]);
//!
//! let h = HashingEncoder::fit("brand", 8, ["Nivea", "Dove"]).unwrap();
//! assert_eq!(h.width(), 9);
//! assert!(h.bucket("NIVEA") < 8);
//! assert_eq!(h.bucket("Unseen brand"), 8);
//! ```

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::prep::format::Persist;
use crate::prep::hash::namespaced_64;
use crate::prep::text::key;
use std::collections::BTreeMap;

/// Most buckets a hashing encoder may have.
pub const MAX_BUCKETS: u32 = 1 << 20;

/// Maps each value seen when fitting (the `max_classes` most frequent, ties
/// broken alphabetically) to `0..classes.len()`, anything else to the OOV
/// label `classes.len()`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelEncoder {
    /// Lower-cased classes, most frequent first.
    pub classes: Vec<String>,
    index: BTreeMap<String, usize>,
}

impl LabelEncoder {
    /// Fits on `values` (matched lower-cased), keeping at most `max_classes`.
    pub fn fit<'a>(values: impl IntoIterator<Item = &'a str>, max_classes: usize) -> Result<Self> {
        if max_classes > 1 << 20 {
            return Err(Error::invalid(
                "maxClasses",
                max_classes,
                "must be at most 1048576",
            ));
        }
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for v in values {
            *counts.entry(key(v)).or_insert(0) += 1;
        }
        let mut ranked: Vec<(String, usize)> = counts.into_iter().collect();
        // BTreeMap order makes ties alphabetical; a stable sort keeps them so.
        crate::sort::sort_by_key(&mut ranked, |r| std::cmp::Reverse(r.1));
        ranked.truncate(max_classes);
        Ok(Self::from_classes(
            ranked.into_iter().map(|(k, _)| k).collect(),
        ))
    }

    fn from_classes(classes: Vec<String>) -> Self {
        let index = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i))
            .collect();
        LabelEncoder { classes, index }
    }

    /// The label of `value`: its class index, or [`Self::oov`] when unseen.
    pub fn label(&self, value: &str) -> usize {
        self.index
            .get(&key(value))
            .copied()
            .unwrap_or(self.classes.len())
    }

    /// The out-of-vocabulary label.
    pub fn oov(&self) -> usize {
        self.classes.len()
    }

    /// Number of labels including OOV.
    pub fn n_labels(&self) -> usize {
        self.classes.len() + 1
    }
}

/// One-hot over a [`LabelEncoder`]'s labels (width = classes + 1 OOV slot).
#[derive(Debug, Clone, PartialEq)]
pub struct OneHotEncoder {
    pub labels: LabelEncoder,
}

impl OneHotEncoder {
    /// Fits the underlying label encoder.
    pub fn fit<'a>(values: impl IntoIterator<Item = &'a str>, max_classes: usize) -> Result<Self> {
        Ok(OneHotEncoder {
            labels: LabelEncoder::fit(values, max_classes)?,
        })
    }

    /// Output width.
    pub fn width(&self) -> usize {
        self.labels.n_labels()
    }

    /// Writes the encoding of `value` into `out` (which must be `width()` long):
    /// all zeros when missing, a single 1 otherwise (OOV slot when unseen).
    pub fn encode_into(&self, value: Option<&str>, out: &mut [f32]) -> Result<()> {
        if out.len() != self.width() {
            return Err(Error::shape("one-hot output", self.width(), out.len()));
        }
        out.fill(0.0);
        if let Some(v) = value {
            if let Some(slot) = out.get_mut(self.labels.label(v)) {
                *slot = 1.0;
            }
        }
        Ok(())
    }
}

/// The hashing trick: `hash(namespace, value) mod buckets` for values seen
/// when fitting, bucket `buckets` (OOV) for any other value. Width is
/// `buckets + 1`. Fitting only records which hashes were seen (sorted u64s).
#[derive(Debug, Clone, PartialEq)]
pub struct HashingEncoder {
    pub namespace: String,
    pub buckets: u32,
    seen: Vec<u64>,
}

impl HashingEncoder {
    /// Fits on `values` (matched lower-cased).
    pub fn fit<'a>(
        namespace: &str,
        buckets: u32,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self> {
        if buckets == 0 || buckets > MAX_BUCKETS {
            return Err(Error::invalid(
                format!("{namespace}Buckets"),
                buckets,
                format!("must be between 1 and {MAX_BUCKETS}"),
            ));
        }
        let mut seen: Vec<u64> = values
            .into_iter()
            .map(|v| namespaced_64(namespace, &key(v)))
            .collect();
        crate::sort::sort(&mut seen);
        seen.dedup();
        Ok(HashingEncoder {
            namespace: namespace.to_string(),
            buckets,
            seen,
        })
    }

    /// Output width (`buckets + 1`).
    pub fn width(&self) -> usize {
        self.buckets as usize + 1
    }

    /// Number of distinct values seen when fitting.
    pub fn vocabulary_size(&self) -> usize {
        self.seen.len()
    }

    /// The bucket of `value`; `buckets` (the OOV bucket) when it was not seen.
    pub fn bucket(&self, value: &str) -> usize {
        let h = namespaced_64(&self.namespace, &key(value));
        if self.seen.binary_search(&h).is_ok() {
            (h % u64::from(self.buckets)) as usize
        } else {
            self.buckets as usize
        }
    }

    /// Writes the multi-hot encoding of `values` into `out` (`width()` long):
    /// 1 in the bucket of each value, zeros when there is none.
    pub fn encode_into<'a>(
        &self,
        values: impl IntoIterator<Item = &'a str>,
        out: &mut [f32],
    ) -> Result<()> {
        if out.len() != self.width() {
            return Err(Error::shape(
                format!("{} hashing output", self.namespace),
                self.width(),
                out.len(),
            ));
        }
        out.fill(0.0);
        for v in values {
            if let Some(slot) = out.get_mut(self.bucket(v)) {
                *slot = 1.0;
            }
        }
        Ok(())
    }
}

impl Persist for LabelEncoder {
    fn write(&self, w: &mut Writer) {
        w.put_len(self.classes.len());
        for c in &self.classes {
            w.put_str(c);
        }
    }
    fn read(r: &mut Reader) -> Result<Self> {
        let n = r.get_len("labels.classes", 8)?;
        let mut classes = Vec::with_capacity(n);
        for _ in 0..n {
            classes.push(r.get_str("labels.class")?);
        }
        let enc = Self::from_classes(classes);
        if enc.index.len() != enc.classes.len() {
            return Err(Error::decode("labels: duplicate classes"));
        }
        Ok(enc)
    }
}

impl Persist for OneHotEncoder {
    fn write(&self, w: &mut Writer) {
        self.labels.write(w);
    }
    fn read(r: &mut Reader) -> Result<Self> {
        Ok(OneHotEncoder {
            labels: LabelEncoder::read(r)?,
        })
    }
}

impl Persist for HashingEncoder {
    fn write(&self, w: &mut Writer) {
        w.put_str(&self.namespace);
        w.put_u32(self.buckets);
        w.put_len(self.seen.len());
        for h in &self.seen {
            w.put_u64(*h);
        }
    }
    fn read(r: &mut Reader) -> Result<Self> {
        let namespace = r.get_str("hashing.namespace")?;
        let buckets = r.get_u32("hashing.buckets")?;
        if buckets == 0 || buckets > MAX_BUCKETS {
            return Err(Error::decode(format!(
                "hashing {namespace}: {buckets} buckets"
            )));
        }
        let n = r.get_len("hashing.seen", 8)?;
        let mut seen = Vec::with_capacity(n);
        for _ in 0..n {
            let h = r.get_u64("hashing.seen")?;
            if seen.last().is_some_and(|&last| h <= last) {
                return Err(Error::decode(format!(
                    "hashing {namespace}: seen hashes not sorted"
                )));
            }
            seen.push(h);
        }
        Ok(HashingEncoder {
            namespace,
            buckets,
            seen,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_encoder_ranks_by_frequency_then_name() {
        let e = LabelEncoder::fit(["b", "a", "c", "b", "C", "d"], 3).unwrap();
        assert_eq!(e.classes, vec!["b", "c", "a"]);
        assert_eq!(e.label("B"), 0);
        assert_eq!(e.label("a"), 2);
        assert_eq!(e.label("d"), 3); // dropped by max_classes: OOV
        assert_eq!(e.label(""), 3);
        assert_eq!(e.n_labels(), 4);
    }

    #[test]
    fn one_hot_missing_vs_unseen() {
        let e = OneHotEncoder::fit(["x", "y"], 8).unwrap();
        let mut out = vec![9.0; 3];
        e.encode_into(None, &mut out).unwrap();
        assert_eq!(out, vec![0.0, 0.0, 0.0]);
        e.encode_into(Some("Y"), &mut out).unwrap();
        assert_eq!(out, vec![0.0, 1.0, 0.0]);
        e.encode_into(Some("zzz"), &mut out).unwrap();
        assert_eq!(out, vec![0.0, 0.0, 1.0]);
        assert!(e.encode_into(None, &mut [0.0; 2]).is_err());
    }

    #[test]
    fn hashing_hand_computed_bucket() {
        let e = HashingEncoder::fit("tag", 16, ["vegan"]).unwrap();
        let h = namespaced_64("tag", "vegan");
        assert_eq!(e.bucket("Vegan"), (h % 16) as usize);
        assert_eq!(e.bucket("cruelty free"), 16);
        let mut out = vec![0.0; 17];
        e.encode_into(["vegan", "other", "VEGAN"], &mut out)
            .unwrap();
        assert_eq!(out.iter().sum::<f32>(), 2.0);
        assert_eq!(out[16], 1.0);
        assert!(HashingEncoder::fit("tag", 0, ["x"]).is_err());
    }
}
