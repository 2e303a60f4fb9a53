//! What cleaning removed or repaired, and why: counts by reason, so a
//! storefront engineer (or the shopper's "what do you know about me" page)
//! can see exactly what happened to their data.
//!
//! ```
//! use localrec::prep::CleanReport;
//! let mut r = CleanReport::new(3);
//! r.drop(0, "unknown_item");
//! r.fix("dwell_clamped");
//! r.kept = 2;
//! assert_eq!(r.dropped["unknown_item"], 1);
//! assert_eq!(r.rejected[0].index, 0);
//! assert_eq!(r.dropped["never_seen"], 0);
//! ```

use crate::sort::SortedMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// Counts by name, in name order: what a `BTreeMap<String, usize>` of counts
/// did, as a sorted `Vec` (a handful of reasons or kinds: binary search, and
/// none of the B-tree code in the browser package). A missing name counts 0,
/// also through `counts["name"]` (which never panics, unlike a map's index).
/// Serialized as a map (a JSON / JavaScript object with the names in order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counts(SortedMap<String, usize>);

impl Counts {
    /// Adds `n` to the count of `name`.
    pub fn add(&mut self, name: &str, n: usize) {
        match self.0.get_mut(name) {
            Some(c) => *c += n,
            None => {
                self.0.insert(name.to_string(), n);
            }
        }
    }

    /// The count of `name`, if it was ever added.
    pub fn get(&self, name: &str) -> Option<&usize> {
        self.0.get(name)
    }

    /// `(name, count)` in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, usize)> + '_ {
        self.0.iter().map(|(k, c)| (k.as_str(), *c))
    }

    /// The counts in name order.
    pub fn values(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().map(|(_, c)| *c)
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Index<&str> for Counts {
    type Output = usize;
    /// The count of `name`; 0 when it was never added.
    fn index(&self, name: &str) -> &usize {
        self.get(name).unwrap_or(&0)
    }
}

impl Serialize for Counts {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter())
    }
}

impl<'de> Deserialize<'de> for Counts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        // Through a map: sorted, one entry per name (the last of equal names).
        let map = BTreeMap::<String, usize>::deserialize(deserializer)?;
        Ok(Counts(SortedMap::from_pairs(map.into_iter().collect())))
    }
}

/// One input record that was dropped: its position in the input and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    pub index: usize,
    pub reason: String,
}

/// Counts by reason of what a cleaning step dropped (`dropped`) or repaired
/// and kept (`fixed`), plus every dropped record's input index.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CleanReport {
    /// Records given.
    pub input: usize,
    /// Records kept (possibly repaired).
    pub kept: usize,
    /// Dropped records by reason.
    pub dropped: Counts,
    /// Repairs by reason (a record may be repaired several times and still kept).
    pub fixed: Counts,
    /// Every dropped record, in input order.
    pub rejected: Vec<Rejection>,
}

impl CleanReport {
    /// An empty report for `input` records.
    pub fn new(input: usize) -> Self {
        CleanReport {
            input,
            ..Default::default()
        }
    }

    /// Records that the record at `index` was dropped for `reason`.
    pub fn drop(&mut self, index: usize, reason: &str) {
        self.dropped.add(reason, 1);
        self.rejected.push(Rejection {
            index,
            reason: reason.to_string(),
        });
    }

    /// Records one repair for `reason`.
    pub fn fix(&mut self, reason: &str) {
        self.fixed.add(reason, 1);
    }

    /// Total records dropped.
    pub fn dropped_total(&self) -> usize {
        self.dropped.values().sum()
    }

    /// Sorts `rejected` by input index (steps run in different orders).
    pub(crate) fn finish(&mut self, kept: usize) {
        self.kept = kept;
        crate::sort::sort_by_key(&mut self.rejected, |r| r.index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_a_btreemap_and_serialize_the_same() {
        let mut rng = crate::rng::Rng::new(7);
        let names = [
            "view",
            "click",
            "add_to_cart",
            "purchase",
            "a",
            "",
            "é",
            "Z",
        ];
        let mut ours = Counts::default();
        let mut model: BTreeMap<String, usize> = BTreeMap::new();
        for _ in 0..500 {
            let name = names[rng.below(names.len())];
            let n = rng.below(3);
            ours.add(name, n);
            *model.entry(name.to_string()).or_insert(0) += n;
        }
        let pairs: Vec<(&str, usize)> = model.iter().map(|(k, c)| (k.as_str(), *c)).collect();
        assert_eq!(ours.iter().collect::<Vec<_>>(), pairs);
        assert_eq!(ours.len(), model.len());
        for name in names.iter().chain(&["missing"]) {
            assert_eq!(ours.get(name), model.get(*name));
            assert_eq!(ours[name], model.get(*name).copied().unwrap_or(0));
        }
        let json = serde_json::to_string(&ours).unwrap();
        assert_eq!(json, serde_json::to_string(&model).unwrap());
        let back: Counts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ours);
        assert!(Counts::default().is_empty());
    }
}
