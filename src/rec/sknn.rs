//! Session kNN (V-SKNN): find past sessions that share items with the current history,
//! weighting shared items linearly by their position (the most recent counts most),
//! keep the `k` most similar among the `sample` most recent candidate sessions, and
//! score every item of those neighbours by the summed similarity.
//!
//! ```
//! use localrec::rec::{SessionMemory, SknnConfig, SknnScratch};
//! let sessions = vec![vec![0, 1, 2], vec![0, 3], vec![4, 5]];
//! let memory = SessionMemory::new(&sessions.iter().map(|s| s.as_slice()).collect::<Vec<_>>(), 6)?;
//! let mut scratch = SknnScratch::default();
//! let mut scores = vec![0f32; 6];
//! memory.score(&[0], &SknnConfig::default(), &mut scratch, &mut scores);
//! assert!(scores[1] > 0.0 && scores[3] > 0.0 && scores[5] == 0.0);
//! # Ok::<(), localrec::Error>(())
//! ```

use crate::codec::{Reader, Writer};
use crate::error::{Error, Result};
use crate::rec::compact::{decode_varints, encode_varints};

/// V-SKNN hyper-parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct SknnConfig {
    /// Number of neighbour sessions.
    pub k: usize,
    /// Only the most recent `sample` sessions sharing an item are considered.
    pub sample: usize,
    /// Only the last `max_history` items of the history are used.
    pub max_history: usize,
}

impl Default for SknnConfig {
    fn default() -> Self {
        SknnConfig {
            k: 200,
            sample: 2000,
            max_history: 30,
        }
    }
}

/// Stored sessions (the order of sessions is their time order) and an item → sessions index.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionMemory {
    n_items: usize,
    offsets: Vec<u32>,
    items: Vec<u32>,
    item_offsets: Vec<u32>,
    item_sessions: Vec<u32>,
}

/// Reusable buffers for [`SessionMemory::score`].
#[derive(Debug, Clone, Default)]
pub struct SknnScratch {
    sim: Vec<f32>,
    stamp: Vec<u32>,
    item_stamp: Vec<u32>,
    epoch: u32,
    item_epoch: u32,
    pool: Vec<u32>,
    neighbours: Vec<(u32, f32)>,
    weights: Vec<(u32, f32)>,
}

impl SessionMemory {
    /// Stores `sessions` (in time order). Items must be `< n_items`.
    pub fn new(sessions: &[&[u32]], n_items: usize) -> Result<Self> {
        let mut m = SessionMemory {
            n_items,
            offsets: vec![0],
            ..Default::default()
        };
        for (s, session) in sessions.iter().enumerate() {
            if let Some(&bad) = session.iter().find(|&&i| i as usize >= n_items) {
                return Err(Error::invalid(
                    format!("sessions[{s}] item"),
                    bad,
                    format!("out of range for {n_items} items"),
                ));
            }
            m.items.extend_from_slice(session);
            m.offsets.push(
                u32::try_from(m.items.len())
                    .map_err(|_| Error::invalid("session clicks", m.items.len(), "exceed u32"))?,
            );
        }
        m.build_index();
        Ok(m)
    }

    /// The item → sessions index as one flat table (a counting sort: no list
    /// per item), each item's sessions in time order, each session once.
    fn build_index(&mut self) {
        let first_in_session = |session: &[u32], p: usize, i: u32| !session[..p].contains(&i);
        let mut counts = vec![0u32; self.n_items + 1];
        for s in 0..self.len() {
            let session = self.session(s);
            for (p, &i) in session.iter().enumerate() {
                if first_in_session(session, p, i) {
                    if let Some(c) = counts.get_mut(i as usize + 1) {
                        *c += 1;
                    }
                }
            }
        }
        for k in 1..counts.len() {
            counts[k] += counts[k - 1];
        }
        let total = counts.last().copied().unwrap_or(0) as usize;
        let mut item_sessions = vec![0u32; total];
        // `counts[i]` is now where item i's next session goes.
        let mut next = counts.clone();
        for s in 0..self.len() {
            let session = self.session(s);
            for (p, &i) in session.iter().enumerate() {
                if first_in_session(session, p, i) {
                    if let Some(at) = next.get_mut(i as usize) {
                        if let Some(slot) = item_sessions.get_mut(*at as usize) {
                            *slot = s as u32;
                        }
                        *at += 1;
                    }
                }
            }
        }
        self.item_offsets = counts;
        self.item_sessions = item_sessions;
    }

    /// Number of stored sessions.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether no session is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total stored clicks.
    pub fn clicks(&self) -> usize {
        self.items.len()
    }

    fn session(&self, s: usize) -> &[u32] {
        match (self.offsets.get(s), self.offsets.get(s + 1)) {
            (Some(&a), Some(&b)) => self.items.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }

    fn sessions_of(&self, item: u32) -> &[u32] {
        let i = item as usize;
        match (self.item_offsets.get(i), self.item_offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self
                .item_sessions
                .get(a as usize..b as usize)
                .unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Adds V-SKNN scores for `history` into `scores` (length ≥ n_items; other entries untouched).
    pub fn score(
        &self,
        history: &[u32],
        cfg: &SknnConfig,
        scratch: &mut SknnScratch,
        scores: &mut [f32],
    ) {
        let mut touched = Vec::new();
        self.score_touched(history, cfg, scratch, scores, &mut touched);
    }

    /// Like [`SessionMemory::score`], also pushing every item whose score went from 0 to non-zero onto `touched`.
    pub fn score_touched(
        &self,
        history: &[u32],
        cfg: &SknnConfig,
        scratch: &mut SknnScratch,
        scores: &mut [f32],
        touched: &mut Vec<u32>,
    ) {
        let n_sessions = self.len();
        if scratch.sim.len() < n_sessions {
            scratch.sim = vec![0.0; n_sessions];
            scratch.stamp = vec![0; n_sessions];
        }
        if scratch.item_stamp.len() < self.n_items {
            scratch.item_stamp = vec![0; self.n_items];
        }
        let history = &history[history.len().saturating_sub(cfg.max_history)..];
        let len = history.len() as f32;
        // Linear position weights; an item keeps the weight of its last occurrence.
        scratch.weights.clear();
        for (p, &i) in history.iter().enumerate() {
            let w = (p + 1) as f32 / len;
            match scratch.weights.iter_mut().find(|(j, _)| *j == i) {
                Some(slot) => slot.1 = w,
                None => scratch.weights.push((i, w)),
            }
        }
        // The `sample` most recent sessions containing any history item.
        scratch.pool.clear();
        for &(i, _) in &scratch.weights {
            let list = self.sessions_of(i);
            scratch
                .pool
                .extend_from_slice(&list[list.len().saturating_sub(cfg.sample)..]);
        }
        crate::sort::sort_by(&mut scratch.pool, |a, b| b.cmp(a));
        scratch.pool.dedup();
        scratch.pool.truncate(cfg.sample);
        scratch.epoch = scratch.epoch.wrapping_add(1);
        if scratch.epoch == 0 {
            scratch.stamp.iter_mut().for_each(|s| *s = 0);
            scratch.epoch = 1;
        }
        let epoch = scratch.epoch;
        for &s in &scratch.pool {
            scratch.stamp[s as usize] = epoch;
            scratch.sim[s as usize] = 0.0;
        }
        for &(i, w) in &scratch.weights {
            let list = self.sessions_of(i);
            for &s in &list[list.len().saturating_sub(cfg.sample)..] {
                if scratch.stamp[s as usize] == epoch {
                    scratch.sim[s as usize] += w;
                }
            }
        }
        scratch.neighbours.clear();
        scratch
            .neighbours
            .extend(scratch.pool.iter().map(|&s| (s, scratch.sim[s as usize])));
        if scratch.neighbours.len() > cfg.k && cfg.k > 0 {
            crate::sort::select_nth_by(&mut scratch.neighbours, cfg.k - 1, |a, b| {
                b.1.total_cmp(&a.1).then(b.0.cmp(&a.0))
            });
            scratch.neighbours.truncate(cfg.k);
        }
        for &(s, sim) in &scratch.neighbours {
            scratch.item_epoch = scratch.item_epoch.wrapping_add(1);
            if scratch.item_epoch == 0 {
                scratch.item_stamp.iter_mut().for_each(|s| *s = 0);
                scratch.item_epoch = 1;
            }
            for &j in self.session(s as usize) {
                let ju = j as usize;
                if scratch.item_stamp[ju] != scratch.item_epoch {
                    scratch.item_stamp[ju] = scratch.item_epoch;
                    if let Some(slot) = scores.get_mut(ju) {
                        if *slot == 0.0 {
                            touched.push(j);
                        }
                        *slot += sim;
                    }
                }
            }
        }
    }

    /// Serialises the sessions as varints (lengths, then items; the index is rebuilt on load).
    pub fn write(&self, w: &mut Writer) {
        let lengths: Vec<u32> = self.offsets.windows(2).map(|o| o[1] - o[0]).collect();
        w.put_len(lengths.len());
        w.put_len(self.items.len());
        w.put_bytes(&encode_varints(&lengths));
        w.put_bytes(&encode_varints(&self.items));
    }

    /// Reads what [`SessionMemory::write`] wrote, validating it.
    pub fn read(r: &mut Reader<'_>, n_items: usize) -> Result<Self> {
        let n_sessions = r.get_len("session count", 1)?;
        let n_clicks = r.get_len("session clicks", 1)?;
        let lengths = decode_varints(
            r.get_bytes("session lengths")?,
            n_sessions,
            "session lengths",
        )?;
        let items = decode_varints(r.get_bytes("session items")?, n_clicks, "session items")?;
        if lengths.iter().map(|&l| l as u64).sum::<u64>() != n_clicks as u64 {
            return Err(Error::decode("session lengths do not add up to the clicks"));
        }
        if items.iter().any(|&i| i as usize >= n_items) {
            return Err(Error::decode("session item out of range"));
        }
        let mut offsets = Vec::with_capacity(n_sessions + 1);
        offsets.push(0u32);
        let mut end = 0u32;
        for l in lengths {
            end += l;
            offsets.push(end);
        }
        let mut m = SessionMemory {
            n_items,
            offsets,
            items,
            ..Default::default()
        };
        m.build_index();
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_items_weigh_more_and_k_limits_neighbours() {
        let sessions = [vec![0, 7], vec![1, 8], vec![0, 1, 9]];
        let views: Vec<&[u32]> = sessions.iter().map(|s| s.as_slice()).collect();
        let m = SessionMemory::new(&views, 10).unwrap();
        let mut scratch = SknnScratch::default();
        let mut scores = vec![0f32; 10];
        m.score(&[0, 1], &SknnConfig::default(), &mut scratch, &mut scores);
        // session 2 shares both (0.5 + 1.0), session 1 shares the last (1.0), session 0 the first (0.5)
        assert!((scores[9] - 1.5).abs() < 1e-6);
        assert!((scores[8] - 1.0).abs() < 1e-6);
        assert!((scores[7] - 0.5).abs() < 1e-6);
        let mut top1 = vec![0f32; 10];
        let cfg = SknnConfig {
            k: 1,
            ..SknnConfig::default()
        };
        m.score(&[0, 1], &cfg, &mut scratch, &mut top1);
        assert_eq!(top1[8], 0.0);
        assert!(top1[9] > 0.0);
    }

    #[test]
    fn round_trip() {
        let sessions = [vec![0, 1], vec![1, 1, 2]];
        let views: Vec<&[u32]> = sessions.iter().map(|s| s.as_slice()).collect();
        let m = SessionMemory::new(&views, 3).unwrap();
        let mut w = Writer::new();
        m.write(&mut w);
        let b = w.into_bytes();
        assert_eq!(SessionMemory::read(&mut Reader::new(&b), 3).unwrap(), m);
        assert!(SessionMemory::read(&mut Reader::new(&b), 2).is_err());
    }
}
