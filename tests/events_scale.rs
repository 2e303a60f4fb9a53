//! The event log at its largest (`maxEvents` up to 1,000,000): pushing, importing,
//! marking saved and dropping the oldest stay proportional to the events, and every
//! id is found. Prints how long each step took (not asserted: see the README).
#![cfg(not(target_arch = "wasm32"))]

use localrec::prep::EventKind;
use localrec::recommender::events::{EventLog, StoredEvent};
use localrec::rng::Rng;
use std::time::Instant;

fn event(id: u64, ts: f64) -> StoredEvent {
    StoredEvent {
        id,
        item: "item".into(),
        kind: EventKind::View,
        ts_ms: ts,
        quantity: 1.0,
    }
}

fn run(n: usize) {
    let mut rng = Rng::new(n as u64);
    let ids: Vec<u64> = (0..n)
        .map(|i| (rng.below(1 << 30) as u64) << 32 | i as u64)
        .collect();

    let started = Instant::now();
    let mut log = EventLog::new(n);
    for (i, &id) in ids.iter().enumerate() {
        assert!(log.push(event(id, i as f64)));
    }
    let push = started.elapsed();
    assert_eq!((log.len(), log.unsaved_count()), (n, n));
    assert!(!log.push(event(ids[n / 2], 0.0)), "a known id is refused");

    let started = Instant::now();
    let blob = log.export(true);
    let saved = EventLog::ids_in(&blob).unwrap();
    log.mark_saved(&saved);
    let save = started.elapsed();
    assert_eq!(log.unsaved_count(), 0);

    let started = Instant::now();
    let mut other = EventLog::new(n);
    let report = other.import(&blob).unwrap();
    let again = other.import(&blob).unwrap();
    let import = started.elapsed();
    assert_eq!((report.added, again.duplicates), (n, n));
    assert!(ids.iter().all(|&id| other.contains(id)));

    // A full log: every push drops the oldest event (and its id).
    let started = Instant::now();
    let extra = (n / 2).min(10_000);
    for i in 0..extra {
        assert!(log.push(event(u64::MAX - i as u64, (n + i) as f64)));
    }
    let rolling = started.elapsed();
    assert_eq!(log.len(), n);
    assert!(!log.contains(ids[0]) && log.contains(ids[n - 1]));
    assert!(!log.contains(ids[extra - 1]) && log.contains(u64::MAX));

    println!(
        "events {n}: push {push:?}, export+mark saved {save:?}, import twice {import:?}, \
         {extra} pushes into the full log {rolling:?}"
    );
}

#[test]
fn event_log_scales_to_a_million_events() {
    for n in [5_000, 100_000, 1_000_000] {
        run(n);
    }
}
