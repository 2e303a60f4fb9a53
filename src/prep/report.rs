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
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    pub dropped: BTreeMap<String, usize>,
    /// Repairs by reason (a record may be repaired several times and still kept).
    pub fixed: BTreeMap<String, usize>,
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
        *self.dropped.entry(reason.to_string()).or_insert(0) += 1;
        self.rejected.push(Rejection {
            index,
            reason: reason.to_string(),
        });
    }

    /// Records one repair for `reason`.
    pub fn fix(&mut self, reason: &str) {
        *self.fixed.entry(reason.to_string()).or_insert(0) += 1;
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
