//! The shopper's local event log: validated events with unique ids, kept in
//! time order, exported and imported as a sealed blob (`crate::codec`, kind
//! `EVTS`). Import merges and deduplicates by event id, so two tabs that each
//! save their own events never lose each other's.
//!
//! Only item ids, event kinds, times and quantities are stored: no titles,
//! queries or personal data (any script of the shop's origin can read them).
//!
//! ```
//! use localrec::recommender::events::{EventLog, StoredEvent};
//! use localrec::prep::EventKind;
//! let mut log = EventLog::new(100);
//! log.push(StoredEvent { id: 1, item: "a".into(), kind: EventKind::View, ts_ms: 1.0, quantity: 1.0 });
//! let blob = log.export(false);
//! let mut other = EventLog::new(100);
//! assert_eq!(other.import(&blob).unwrap().added, 1);
//! assert_eq!(other.import(&blob).unwrap().duplicates, 1);
//! ```

use crate::codec::{open, seal, Reader, Writer};
use crate::error::{Error, Result};
use crate::idtable::IdSet;
use crate::prep::EventKind;
use serde::{Deserialize, Serialize};

const KIND: [u8; 4] = *b"EVTS";
const VERSION: u16 = 1;

/// One accepted event.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Unique across tabs and visits (a random instance nonce mixed with a counter).
    pub id: u64,
    pub item: String,
    pub kind: EventKind,
    pub ts_ms: f64,
    pub quantity: f64,
}

/// What an import added.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub added: usize,
    pub duplicates: usize,
    /// Oldest events dropped because the log is full (`maxEvents`).
    pub dropped_oldest: usize,
}

/// Time-ordered events, each id once, at most `capacity` of them.
#[derive(Debug, Clone)]
pub struct EventLog {
    /// `events[dropped..]` are the events; the ones before were dropped as the
    /// oldest (their strings freed) and are removed in one move once they are an
    /// eighth of the live ones: a full log drops an event in O(1) amortised (8
    /// moves) instead of moving every event each time, for at most 1/8 more slots.
    events: Vec<StoredEvent>,
    dropped: usize,
    ids: IdSet,
    /// Ids not yet written to storage (see `export(true)` / `mark_saved`).
    unsaved: IdSet,
    capacity: usize,
}

fn kind_code(k: EventKind) -> u8 {
    match k {
        EventKind::View => 0,
        EventKind::Click => 1,
        EventKind::AddToCart => 2,
        EventKind::RemoveFromCart => 3,
        EventKind::Purchase => 4,
        EventKind::Search => 5,
    }
}

fn kind_from_code(c: u8) -> Result<EventKind> {
    EventKind::ALL
        .get(c as usize)
        .copied()
        .ok_or_else(|| Error::decode(format!("event kind code {c} is unknown")))
}

impl EventLog {
    pub fn new(capacity: usize) -> Self {
        EventLog {
            events: Vec::new(),
            dropped: 0,
            ids: IdSet::default(),
            unsaved: IdSet::default(),
            capacity: capacity.max(1),
        }
    }

    /// Events in time order (ties keep insertion order).
    pub fn events(&self) -> &[StoredEvent] {
        self.events.get(self.dropped..).unwrap_or_default()
    }
    pub fn len(&self) -> usize {
        self.events.len() - self.dropped
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn unsaved_count(&self) -> usize {
        self.unsaved.len()
    }
    pub fn contains(&self, id: u64) -> bool {
        self.ids.contains(id)
    }

    /// Adds a new (not yet saved) event; returns false when its id is known.
    pub fn push(&mut self, e: StoredEvent) -> bool {
        if !self.ids.insert(e.id) {
            return false;
        }
        self.unsaved.insert(e.id);
        self.insert_sorted(e);
        self.enforce_capacity();
        true
    }

    fn insert_sorted(&mut self, e: StoredEvent) {
        // After the last event with ts <= e.ts: stable for equal times.
        let pos = self.events().partition_point(|x| x.ts_ms <= e.ts_ms);
        self.events.insert(self.dropped + pos, e);
    }

    fn enforce_capacity(&mut self) -> usize {
        let extra = self.len().saturating_sub(self.capacity);
        let oldest = self.dropped..self.dropped + extra;
        for e in self.events.get_mut(oldest).unwrap_or_default() {
            self.ids.remove(e.id);
            self.unsaved.remove(e.id);
            e.item = String::new();
        }
        self.dropped += extra;
        if self.dropped > 0 && self.dropped * 8 >= self.len() {
            self.events.drain(..self.dropped);
            self.dropped = 0;
        }
        extra
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.events.clear();
        self.dropped = 0;
        self.ids.clear();
        self.unsaved.clear();
    }

    /// Sealed blob of all events, or (with `only_unsaved`) of the events not
    /// yet marked saved.
    pub fn export(&self, only_unsaved: bool) -> Vec<u8> {
        let chosen: Vec<&StoredEvent> = self
            .events()
            .iter()
            .filter(|e| !only_unsaved || self.unsaved.contains(e.id))
            .collect();
        let mut w = Writer::new();
        w.put_len(chosen.len());
        for e in chosen {
            w.put_u64(e.id);
            w.put_str(&e.item);
            w.put_u8(kind_code(e.kind));
            w.put_f64(e.ts_ms);
            w.put_f64(e.quantity);
        }
        seal(KIND, VERSION, &w.into_bytes())
    }

    /// Ids of the events an export holds (to mark exactly those as saved).
    pub fn ids_in(blob: &[u8]) -> Result<Vec<u64>> {
        Ok(decode(blob)?.into_iter().map(|e| e.id).collect())
    }

    /// Marks events as written to storage.
    pub fn mark_saved(&mut self, ids: &[u64]) {
        for id in ids {
            self.unsaved.remove(*id);
        }
    }

    /// Merges a sealed export (events already known by id are skipped). The
    /// imported events count as saved. A corrupt blob changes nothing.
    pub fn import(&mut self, blob: &[u8]) -> Result<ImportReport> {
        let incoming = decode(blob)?;
        let mut report = ImportReport::default();
        for e in incoming {
            if self.ids.insert(e.id) {
                self.insert_sorted(e);
                report.added += 1;
            } else {
                report.duplicates += 1;
            }
        }
        report.dropped_oldest = self.enforce_capacity();
        Ok(report)
    }
}

fn decode(blob: &[u8]) -> Result<Vec<StoredEvent>> {
    let (_, payload) = open(blob, KIND, VERSION)?;
    let mut r = Reader::new(payload);
    // Smallest record: id 8 + len 8 + kind 1 + ts 8 + qty 8.
    let n = r.get_len("events", 33)?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let id = r.get_u64("event.id")?;
        let item = r.get_str("event.item")?;
        let kind = kind_from_code(r.get_u8("event.kind")?)?;
        let ts_ms = r.get_f64("event.ts")?;
        let quantity = r.get_f64("event.quantity")?;
        if !ts_ms.is_finite() || !quantity.is_finite() || item.is_empty() {
            return Err(Error::decode(format!(
                "event {i}: invalid time, quantity or item"
            )));
        }
        out.push(StoredEvent {
            id,
            item,
            kind,
            ts_ms,
            quantity,
        });
    }
    r.finish()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: u64, ts: f64) -> StoredEvent {
        StoredEvent {
            id,
            item: format!("i{id}"),
            kind: EventKind::View,
            ts_ms: ts,
            quantity: 1.0,
        }
    }

    #[test]
    fn two_tabs_merge_without_loss_or_duplicates() {
        let mut tab_a = EventLog::new(100);
        let mut tab_b = EventLog::new(100);
        tab_a.push(ev(1, 10.0));
        tab_a.push(ev(2, 30.0));
        tab_b.push(ev(3, 20.0));
        let (a, b) = (tab_a.export(true), tab_b.export(true));
        let mut reload = EventLog::new(100);
        reload.import(&a).unwrap();
        let rep = reload.import(&b).unwrap();
        assert_eq!(rep.added, 1);
        reload.import(&a).unwrap();
        let ids: Vec<u64> = reload.events().iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![1, 3, 2]); // time order
        assert_eq!(reload.unsaved_count(), 0);
    }

    #[test]
    fn unsaved_tracking_and_capacity() {
        let mut log = EventLog::new(2);
        log.push(ev(1, 1.0));
        let blob = log.export(true);
        log.mark_saved(&EventLog::ids_in(&blob).unwrap());
        log.push(ev(2, 2.0));
        assert_eq!(EventLog::ids_in(&log.export(true)).unwrap(), vec![2]);
        log.push(ev(3, 3.0));
        assert_eq!(log.len(), 2);
        assert!(!log.contains(1));
        assert!(!log.push(ev(3, 5.0)));
    }

    #[test]
    fn a_full_log_keeps_the_newest_events_in_order() {
        // Against a plain Vec that drops the oldest event on every push.
        let mut rng = crate::rng::Rng::new(5);
        let mut log = EventLog::new(7);
        let mut model: Vec<(u64, f64)> = Vec::new();
        for id in 0..500u64 {
            let ts = rng.below(300) as f64;
            log.push(ev(id, ts));
            let pos = model.partition_point(|&(_, t)| t <= ts);
            model.insert(pos, (id, ts));
            if model.len() > 7 {
                model.remove(0);
            }
            let ours: Vec<(u64, f64)> = log.events().iter().map(|e| (e.id, e.ts_ms)).collect();
            assert_eq!(ours, model, "after {id}");
            assert_eq!(log.unsaved_count(), model.len());
            assert!(model.iter().all(|&(i, _)| log.contains(i)));
        }
        let ids = EventLog::ids_in(&log.export(false)).unwrap();
        assert_eq!(ids, model.iter().map(|&(i, _)| i).collect::<Vec<_>>());
        log.clear();
        assert!(log.is_empty() && log.events().is_empty());
    }

    #[test]
    fn corrupt_blobs_are_rejected_and_change_nothing() {
        let mut log = EventLog::new(10);
        log.push(ev(1, 1.0));
        let blob = log.export(false);
        let mut other = EventLog::new(10);
        for cut in [0, 5, blob.len() - 1] {
            assert!(other.import(&blob[..cut]).is_err());
        }
        for byte in 0..blob.len() {
            let mut bad = blob.clone();
            bad[byte] ^= 0x10;
            assert!(other.import(&bad).is_err(), "flip at {byte} not caught");
        }
        assert!(other.is_empty());
    }
}
