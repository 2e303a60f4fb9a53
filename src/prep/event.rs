//! Cleaning raw browsing events into time-ordered, deduplicated events on
//! catalog indices, split into sessions.
//!
//! The steps, in order (each drop or repair is counted by reason in the
//! [`CleanReport`]):
//! 1. validate each event: unknown kind, missing or unknown item, non-finite
//!    or too old timestamp, timestamp too far in the future, zero/negative or
//!    non-finite quantity on cart and purchase events → dropped; negative or
//!    non-finite dwell → cleared; absurd dwell or quantity → clamped;
//! 2. sort by time (stable: equal timestamps keep their input order);
//! 3. drop exact duplicates (same item, kind and millisecond);
//! 4. drop bot-like bursts: every event of any window of `burst_window_ms`
//!    holding more than `burst_max_events` events;
//! 5. drop near duplicates: the same item and kind again within
//!    `duplicate_window_ms` of the last kept one (a double click);
//! 6. keep at most `max_events`, the most recent;
//! 7. number sessions: a gap longer than `session_gap_ms` starts a new one.
//!
//! ```
//! use localrec::prep::{clean_events, Catalog, CatalogItem, CleanConfig, RawEvent};
//! let (catalog, _) = Catalog::from_items(vec![CatalogItem { id: "a".into(), ..Default::default() }]).unwrap();
//! let ev = |kind: &str, t: f64| RawEvent { item_id: "a".into(), kind: kind.into(), timestamp: t, ..Default::default() };
//! let raw = vec![ev("view", 5_000.0), ev("view", 1_000.0), ev("view", 1_200.0), ev("fly", 0.0)];
//! let (events, report) = clean_events(&catalog, raw, &CleanConfig::default(), 10_000.0).unwrap();
//! assert_eq!(events.iter().map(|e| e.ts_ms).collect::<Vec<_>>(), vec![1_000, 5_000]);
//! assert_eq!(report.dropped["near_duplicate"], 1);
//! assert_eq!(report.dropped["unknown_kind"], 1);
//! ```

use crate::error::{Error, Result};
use crate::prep::catalog::Catalog;
use crate::prep::report::CleanReport;
use crate::prep::types::{EventKind, RawEvent};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A cleaned event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Catalog index of the item.
    pub item: u32,
    pub kind: EventKind,
    /// Milliseconds since the Unix epoch (rounded).
    pub ts_ms: i64,
    /// Finite, in `0..=max_dwell_ms`, or `None`.
    pub dwell_ms: Option<f64>,
    /// Units for cart and purchase events (positive, clamped); 1 for the other kinds.
    pub quantity: f64,
    /// Session number, 0 for the earliest session of this batch.
    pub session: u32,
}

/// Hyper-parameters of event cleaning. Every field has a default (see
/// [`CleanConfig::default`]); JSON/JS objects may give any subset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CleanConfig {
    /// Inactivity that starts a new session (default 30 minutes).
    #[serde(alias = "session_gap_ms")]
    pub session_gap_ms: f64,
    /// The same item and kind again within this window is a duplicate (default 1 s).
    #[serde(alias = "duplicate_window_ms")]
    pub duplicate_window_ms: f64,
    /// Timestamps later than `now + max_future_ms` are dropped (default 1 day: clock skew).
    #[serde(alias = "max_future_ms")]
    pub max_future_ms: f64,
    /// Timestamps earlier than this are dropped (default 0, the Unix epoch).
    #[serde(alias = "min_timestamp_ms")]
    pub min_timestamp_ms: f64,
    /// Longer dwell times are clamped to this (default 30 minutes).
    #[serde(alias = "max_dwell_ms")]
    pub max_dwell_ms: f64,
    /// Larger quantities are clamped to this (default 1000).
    #[serde(alias = "max_quantity")]
    pub max_quantity: f64,
    /// Window of the bot-burst detector (default 1 s).
    #[serde(alias = "burst_window_ms")]
    pub burst_window_ms: f64,
    /// More events than this inside one burst window are all dropped (default 10).
    #[serde(alias = "burst_max_events")]
    pub burst_max_events: usize,
    /// At most this many events are kept, the most recent (default 100 000).
    #[serde(alias = "max_events")]
    pub max_events: usize,
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            session_gap_ms: 30.0 * 60_000.0,
            duplicate_window_ms: 1_000.0,
            max_future_ms: 24.0 * 3_600_000.0,
            min_timestamp_ms: 0.0,
            max_dwell_ms: 30.0 * 60_000.0,
            max_quantity: 1_000.0,
            burst_window_ms: 1_000.0,
            burst_max_events: 10,
            max_events: 100_000,
        }
    }
}

impl CleanConfig {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        let non_negative = [
            ("sessionGapMs", self.session_gap_ms),
            ("duplicateWindowMs", self.duplicate_window_ms),
            ("maxFutureMs", self.max_future_ms),
            ("minTimestampMs", self.min_timestamp_ms),
            ("maxDwellMs", self.max_dwell_ms),
            ("burstWindowMs", self.burst_window_ms),
        ];
        for (field, v) in non_negative {
            if !v.is_finite() || v < 0.0 {
                return Err(Error::invalid(field, v, "must be a finite number >= 0"));
            }
        }
        if !self.max_quantity.is_finite() || self.max_quantity < 1.0 {
            return Err(Error::invalid(
                "maxQuantity",
                self.max_quantity,
                "must be a finite number >= 1",
            ));
        }
        if self.burst_max_events < 2 {
            return Err(Error::invalid(
                "burstMaxEvents",
                self.burst_max_events,
                "must be at least 2 (a double click is not a bot)",
            ));
        }
        if self.max_events == 0 {
            return Err(Error::invalid("maxEvents", 0, "must be at least 1"));
        }
        Ok(())
    }
}

/// Validates one raw event; `Err(reason)` when it must be dropped.
fn validate_event(
    catalog: &Catalog,
    raw: &RawEvent,
    config: &CleanConfig,
    now_ms: f64,
    report: &mut CleanReport,
) -> std::result::Result<Event, &'static str> {
    let kind = EventKind::parse(raw.kind.trim()).ok_or("unknown_kind")?;
    if raw.item_id.trim().is_empty() {
        return Err(if kind == EventKind::Search {
            "search_without_item"
        } else {
            "missing_item_id"
        });
    }
    let item = catalog.index_of(&raw.item_id).ok_or("unknown_item")?;
    let t = raw.timestamp;
    if !t.is_finite() || t < config.min_timestamp_ms {
        return Err("bad_timestamp");
    }
    if t > now_ms + config.max_future_ms {
        return Err("timestamp_in_future");
    }
    let dwell_ms = match raw.dwell_ms {
        None => None,
        Some(d) if !d.is_finite() || d < 0.0 => {
            report.fix("dwell_invalid_cleared");
            None
        }
        Some(d) if d > config.max_dwell_ms => {
            report.fix("dwell_clamped");
            Some(config.max_dwell_ms)
        }
        Some(d) => Some(d),
    };
    let counts_units = matches!(
        kind,
        EventKind::AddToCart | EventKind::RemoveFromCart | EventKind::Purchase
    );
    let quantity = match raw.quantity {
        _ if !counts_units => 1.0,
        None => 1.0,
        Some(q) if !q.is_finite() => return Err("bad_quantity"),
        Some(q) if q <= 0.0 => return Err("quantity_not_positive"),
        Some(q) if q > config.max_quantity => {
            report.fix("quantity_clamped");
            config.max_quantity
        }
        Some(q) => q,
    };
    Ok(Event {
        item,
        kind,
        // Finite and bounded by now + max_future (checked above): the cast is exact enough.
        ts_ms: t.round() as i64,
        dwell_ms,
        quantity,
        session: 0,
    })
}

/// Cleans `raw` events against `catalog` (see the module doc for the steps).
/// `now_ms` is the caller's clock (ms since the epoch), used to reject
/// future timestamps. Fails only for a bad `config` or `now_ms`.
pub fn clean_events(
    catalog: &Catalog,
    raw: Vec<RawEvent>,
    config: &CleanConfig,
    now_ms: f64,
) -> Result<(Vec<Event>, CleanReport)> {
    config.validate()?;
    if !now_ms.is_finite() || now_ms < 0.0 {
        return Err(Error::invalid(
            "nowMs",
            now_ms,
            "must be a finite number of ms since the epoch",
        ));
    }
    let mut report = CleanReport::new(raw.len());
    // (input index, event)
    let mut valid: Vec<(usize, Event)> = Vec::with_capacity(raw.len());
    for (index, r) in raw.iter().enumerate() {
        match validate_event(catalog, r, config, now_ms, &mut report) {
            Ok(e) => valid.push((index, e)),
            Err(reason) => report.drop(index, reason),
        }
    }
    valid.sort_by_key(|(index, e)| (e.ts_ms, *index));

    // Exact duplicates: the same (item, kind, ms) as an earlier event.
    let mut seen_exact: HashMap<(u32, EventKind, i64), ()> = HashMap::new();
    let mut distinct = Vec::with_capacity(valid.len());
    for (index, e) in valid {
        if seen_exact.insert((e.item, e.kind, e.ts_ms), ()).is_some() {
            report.drop(index, "duplicate");
        } else {
            distinct.push((index, e));
        }
    }

    // Bursts: mark every event of any window holding too many.
    let window = config.burst_window_ms;
    let mut in_burst = vec![false; distinct.len()];
    let mut end = 0usize;
    for start in 0..distinct.len() {
        end = end.max(start);
        while end + 1 < distinct.len()
            && ((distinct[end + 1].1.ts_ms - distinct[start].1.ts_ms) as f64) < window
        {
            end += 1;
        }
        if end - start + 1 > config.burst_max_events {
            for flag in &mut in_burst[start..=end] {
                *flag = true;
            }
        }
    }

    // Near duplicates, against the last kept event of the same item and kind.
    let mut last_kept: HashMap<(u32, EventKind), i64> = HashMap::new();
    let mut kept: Vec<Event> = Vec::with_capacity(distinct.len());
    let mut kept_indices: Vec<usize> = Vec::with_capacity(distinct.len());
    for ((index, e), burst) in distinct.into_iter().zip(in_burst) {
        if burst {
            report.drop(index, "bot_burst");
            continue;
        }
        if let Some(&prev) = last_kept.get(&(e.item, e.kind)) {
            if ((e.ts_ms - prev) as f64) < config.duplicate_window_ms {
                report.drop(index, "near_duplicate");
                continue;
            }
        }
        last_kept.insert((e.item, e.kind), e.ts_ms);
        kept.push(e);
        kept_indices.push(index);
    }

    if kept.len() > config.max_events {
        let excess = kept.len() - config.max_events;
        for &index in kept_indices.iter().take(excess) {
            report.drop(index, "over_capacity");
        }
        kept.drain(..excess);
    }
    assign_sessions(&mut kept, config.session_gap_ms);
    let n = kept.len();
    report.finish(n);
    Ok((kept, report))
}

/// Numbers sessions of time-ordered events: a gap longer than `gap_ms` starts a new one.
pub fn assign_sessions(events: &mut [Event], gap_ms: f64) {
    let mut session = 0u32;
    let mut last: Option<i64> = None;
    for e in events {
        if let Some(prev) = last {
            if ((e.ts_ms - prev) as f64) > gap_ms {
                session = session.saturating_add(1);
            }
        }
        e.session = session;
        last = Some(e.ts_ms);
    }
}
