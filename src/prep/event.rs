//! Cleaning raw browsing events into time-ordered, deduplicated events on
//! catalog indices, split into sessions.
//!
//! The steps, in order (each drop or repair is counted by reason in the
//! [`CleanReport`]):
//! 1. validate each event: unknown kind, missing or unknown item, non-finite
//!    timestamp, timestamp before 2000 (seconds instead of ms, or missing), timestamp too far in the future, zero/negative or
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
//! let t = 1.7e12; // ms since the epoch
//! let raw = vec![ev("view", t + 5_000.0), ev("view", t + 1_000.0), ev("view", t + 1_200.0), ev("fly", t)];
//! let (events, report) = clean_events(&catalog, raw, &CleanConfig::default(), t + 10_000.0).unwrap();
//! assert_eq!(events.iter().map(|e| e.ts_ms - 1_700_000_000_000).collect::<Vec<_>>(), vec![1_000, 5_000]);
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
    /// Timestamps earlier than this are dropped as `timestamp_too_old` (default
    /// 2000-01-01, 946 684 800 000 ms: catches seconds given instead of
    /// milliseconds, and a missing timestamp, which reads as 0).
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
            min_timestamp_ms: 946_684_800_000.0,
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
    if !t.is_finite() {
        return Err("bad_timestamp");
    }
    if t < config.min_timestamp_ms {
        return Err("timestamp_too_old");
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
    let mut stream = EventStream::new(config.clone())?;
    let (mut kept, mut report) = stream.push_indexed(catalog, raw, now_ms)?;
    if kept.len() > config.max_events {
        let excess = kept.len() - config.max_events;
        for (index, _) in kept.drain(..excess) {
            report.drop(index, "over_capacity");
        }
    }
    let mut events: Vec<Event> = kept.into_iter().map(|(_, e)| e).collect();
    assign_sessions(&mut events, config.session_gap_ms);
    let n = events.len();
    report.finish(n);
    Ok((events, report))
}

/// Incremental cleaning of a live event log, batch after batch (each
/// `track` call of the storefront): duplicates, bursts and sessions are
/// judged against what earlier batches kept, without keeping the events
/// themselves (only the last timestamp per item and kind, and the last
/// burst window). Within a batch the steps are those of [`clean_events`];
/// across batches:
/// - an event within `duplicate_window_ms` of a kept one of the same item and
///   kind (before or after it) is a duplicate;
/// - kept and burst events of earlier batches count toward a burst window,
///   but only the new batch's events can be dropped (a bot sending one event
///   per call gets its first `burst_max_events` through, then nothing);
/// - sessions continue: a late event (older than the latest kept one) joins
///   the current session;
/// - `max_events` does not apply (the caller owns the log).
///
/// ```
/// use localrec::prep::{Catalog, CatalogItem, CleanConfig, EventStream, RawEvent};
/// let (catalog, _) = Catalog::from_items(vec![CatalogItem { id: "a".into(), ..Default::default() }]).unwrap();
/// let ev = |t: f64| RawEvent { item_id: "a".into(), kind: "view".into(), timestamp: 1.7e12 + t, ..Default::default() };
/// let mut stream = EventStream::new(CleanConfig::default()).unwrap();
/// let (first, _) = stream.push(&catalog, vec![ev(1_000.0)], 1.7e12 + 2_000.0).unwrap();
/// let (second, report) = stream.push(&catalog, vec![ev(1_300.0), ev(4_000_000.0)], 1.7e12 + 4_000_000.0).unwrap();
/// assert_eq!(report.dropped["near_duplicate"], 1); // 300 ms after the first batch's view
/// assert_eq!((first[0].session, second[0].session), (0, 1)); // over an hour later
/// ```
#[derive(Debug, Clone)]
pub struct EventStream {
    config: CleanConfig,
    /// Latest kept timestamp per (item, kind).
    last_kept: HashMap<(u32, EventKind), i64>,
    /// Timestamps of kept and burst-dropped events within one burst window of the latest, ascending.
    recent: Vec<i64>,
    last_ts: Option<i64>,
    session: u32,
    kept: u64,
}

impl EventStream {
    /// A stream that has kept nothing yet.
    pub fn new(config: CleanConfig) -> Result<Self> {
        config.validate()?;
        Ok(EventStream {
            config,
            last_kept: HashMap::new(),
            recent: Vec::new(),
            last_ts: None,
            session: 0,
            kept: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &CleanConfig {
        &self.config
    }

    /// Events kept so far, over all batches.
    pub fn kept(&self) -> u64 {
        self.kept
    }

    /// The current session number (0 before any event).
    pub fn session(&self) -> u32 {
        self.session
    }

    /// Cleans the next batch; returns the kept events in time order and the
    /// batch's report (indices refer to positions in `raw`).
    pub fn push(
        &mut self,
        catalog: &Catalog,
        raw: Vec<RawEvent>,
        now_ms: f64,
    ) -> Result<(Vec<Event>, CleanReport)> {
        let (kept, mut report) = self.push_indexed(catalog, raw, now_ms)?;
        report.finish(kept.len());
        Ok((kept.into_iter().map(|(_, e)| e).collect(), report))
    }

    /// [`Self::push`] keeping each event's input index; the report is not finished.
    fn push_indexed(
        &mut self,
        catalog: &Catalog,
        raw: Vec<RawEvent>,
        now_ms: f64,
    ) -> Result<(Vec<(usize, Event)>, CleanReport)> {
        if !now_ms.is_finite() || now_ms < 0.0 {
            return Err(Error::invalid(
                "nowMs",
                now_ms,
                "must be a finite number of ms since the epoch",
            ));
        }
        let config = &self.config;
        let mut report = CleanReport::new(raw.len());
        // (input index, event)
        let mut valid: Vec<(usize, Event)> = Vec::with_capacity(raw.len());
        for (index, r) in raw.iter().enumerate() {
            match validate_event(catalog, r, config, now_ms, &mut report) {
                Ok(e) => valid.push((index, e)),
                Err(reason) => report.drop(index, reason),
            }
        }
        crate::sort::sort_by_key(&mut valid, |(index, e)| (e.ts_ms, *index));

        // Exact duplicates within the batch: the same (item, kind, ms) as an earlier event.
        let mut seen_exact: HashMap<(u32, EventKind, i64), ()> = HashMap::new();
        let mut distinct = Vec::with_capacity(valid.len());
        for (index, e) in valid {
            if seen_exact.insert((e.item, e.kind, e.ts_ms), ()).is_some() {
                report.drop(index, "duplicate");
            } else {
                distinct.push((index, e));
            }
        }

        let in_burst = burst_flags(&self.recent, &distinct, config);

        // Near duplicates, against the latest kept event of the same item and kind.
        let mut kept: Vec<(usize, Event)> = Vec::with_capacity(distinct.len());
        // A bot that keeps going stays a bot: burst events count in later windows too.
        let mut burst_ts: Vec<i64> = Vec::new();
        for ((index, e), burst) in distinct.into_iter().zip(in_burst) {
            if burst {
                burst_ts.push(e.ts_ms);
                report.drop(index, "bot_burst");
                continue;
            }
            if let Some(&prev) = self.last_kept.get(&(e.item, e.kind)) {
                let gap = (e.ts_ms - prev).unsigned_abs();
                if gap == 0 {
                    report.drop(index, "duplicate");
                    continue;
                }
                if (gap as f64) < config.duplicate_window_ms {
                    report.drop(index, "near_duplicate");
                    continue;
                }
            }
            let latest = self.last_kept.entry((e.item, e.kind)).or_insert(e.ts_ms);
            *latest = (*latest).max(e.ts_ms);
            kept.push((index, e));
        }

        for (_, e) in &mut kept {
            match self.last_ts {
                None => self.last_ts = Some(e.ts_ms),
                Some(last) if e.ts_ms >= last => {
                    if ((e.ts_ms - last) as f64) > config.session_gap_ms {
                        self.session = self.session.saturating_add(1);
                    }
                    self.last_ts = Some(e.ts_ms);
                }
                Some(_) => {}
            }
            e.session = self.session;
        }
        self.recent.extend(kept.iter().map(|(_, e)| e.ts_ms));
        self.recent.extend(burst_ts);
        crate::sort::sort(&mut self.recent);
        if let Some(&latest) = self.recent.last() {
            let window = config.burst_window_ms;
            self.recent.retain(|&t| ((latest - t) as f64) < window);
        }
        self.kept += kept.len() as u64;
        Ok((kept, report))
    }
}

/// Marks the batch events (`distinct`, time-ordered) that fall in a window of
/// `burst_window_ms` holding more than `burst_max_events` events, counting
/// `context` (kept timestamps of earlier batches) too.
fn burst_flags(context: &[i64], distinct: &[(usize, Event)], config: &CleanConfig) -> Vec<bool> {
    // (timestamp, position in `distinct` or None for context), time-ordered.
    let mut timeline: Vec<(i64, Option<usize>)> = context.iter().map(|&t| (t, None)).collect();
    timeline.extend(
        distinct
            .iter()
            .enumerate()
            .map(|(i, (_, e))| (e.ts_ms, Some(i))),
    );
    crate::sort::sort_by_key(&mut timeline, |&(t, pos)| (t, pos.map_or(0, |p| p + 1)));
    let window = config.burst_window_ms;
    let mut in_burst = vec![false; distinct.len()];
    let mut end = 0usize;
    // Entries before this index are already marked: each is marked once (linear time).
    let mut marked_until = 0usize;
    for start in 0..timeline.len() {
        end = end.max(start);
        while end + 1 < timeline.len()
            && ((timeline[end + 1].0 - timeline[start].0) as f64) < window
        {
            end += 1;
        }
        if end - start + 1 > config.burst_max_events {
            let from = marked_until.max(start);
            marked_until = end + 1;
            for &(_, pos) in timeline.get(from..=end).unwrap_or_default() {
                if let Some(flag) = pos.and_then(|p| in_burst.get_mut(p)) {
                    *flag = true;
                }
            }
        }
    }
    in_burst
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
