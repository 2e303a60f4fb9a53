//! Event cleaning: unordered timestamps, duplicates, bursts, impossible
//! values, unknown items and kinds, sessions — each with its documented outcome.
#![cfg(not(target_arch = "wasm32"))] // native test: files, serde_json, threads

use localrec::prep::{clean_events, Catalog, CatalogItem, CleanConfig, Event, EventKind, RawEvent};

const NOW: f64 = 1_700_000_000_000.0;
const MIN: f64 = 60_000.0;

fn catalog(n: usize) -> Catalog {
    let items = (0..n)
        .map(|i| CatalogItem {
            id: format!("i{i}"),
            ..Default::default()
        })
        .collect();
    Catalog::from_items(items).unwrap().0
}

fn ev(item: &str, kind: &str, t: f64) -> RawEvent {
    RawEvent {
        item_id: item.into(),
        kind: kind.into(),
        timestamp: t,
        ..Default::default()
    }
}

fn clean(c: &Catalog, raw: Vec<RawEvent>) -> (Vec<Event>, localrec::prep::CleanReport) {
    clean_events(c, raw, &CleanConfig::default(), NOW).unwrap()
}

#[test]
fn unordered_timestamps_come_out_sorted_with_stable_ties() {
    let c = catalog(3);
    let raw = vec![
        ev("i2", "view", NOW - 1.0 * MIN),
        ev("i0", "view", NOW - 3.0 * MIN),
        ev("i1", "view", NOW - 2.0 * MIN),
        ev("i0", "click", NOW - 2.0 * MIN),
    ];
    let (e, r) = clean(&c, raw);
    assert_eq!(r.kept, 4);
    let order: Vec<(u32, EventKind)> = e.iter().map(|e| (e.item, e.kind)).collect();
    assert_eq!(
        order,
        vec![
            (0, EventKind::View),
            (1, EventKind::View),
            (0, EventKind::Click),
            (2, EventKind::View)
        ]
    );
}

#[test]
fn exact_and_near_duplicates_are_dropped() {
    let c = catalog(2);
    let t = NOW - 10.0 * MIN;
    let raw = vec![
        ev("i0", "view", t),
        ev("i0", "view", t),           // exact duplicate
        ev("i0", "view", t + 400.0),   // double click: near duplicate
        ev("i0", "click", t + 400.0),  // another kind: kept
        ev("i1", "view", t + 400.0),   // another item: kept
        ev("i0", "view", t + 5_000.0), // 5 s later: a real revisit
    ];
    let (e, r) = clean(&c, raw);
    assert_eq!(r.dropped["duplicate"], 1);
    assert_eq!(r.dropped["near_duplicate"], 1);
    assert_eq!(e.len(), 4);
    assert_eq!(
        r.rejected.iter().map(|x| x.index).collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[test]
fn bot_bursts_are_dropped_but_normal_browsing_around_them_is_kept() {
    let c = catalog(100);
    let start = NOW - 60.0 * MIN;
    let mut raw = vec![ev("i0", "view", start - 10_000.0)];
    // 40 views of different items within 800 ms.
    for i in 0..40 {
        raw.push(ev(&format!("i{}", i + 1), "view", start + 20.0 * i as f64));
    }
    raw.push(ev("i50", "view", start + 30_000.0));
    let (e, r) = clean(&c, raw);
    assert_eq!(r.dropped["bot_burst"], 40);
    assert_eq!(e.iter().map(|e| e.item).collect::<Vec<_>>(), vec![0, 50]);
}

#[test]
fn a_fast_human_is_not_a_bot() {
    let c = catalog(20);
    // 10 views, 100 ms apart (all within 1 s): at the default limit of 10, kept.
    let raw = (0..10)
        .map(|i| ev(&format!("i{i}"), "view", NOW - MIN + 100.0 * i as f64))
        .collect();
    let (e, r) = clean(&c, raw);
    assert_eq!(e.len(), 10, "{r:?}");
}

#[test]
fn unknown_items_kinds_and_missing_ids_are_counted() {
    let c = catalog(1);
    let mut search = ev("", "search", NOW);
    search.query = Some("serum".into());
    let raw = vec![
        ev("nope", "view", NOW),
        ev("i0", "teleport", NOW),
        ev("", "view", NOW),
        search,
        ev("i0", "addToCart", NOW),
    ];
    let (e, r) = clean(&c, raw);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, EventKind::AddToCart);
    assert_eq!(r.dropped["unknown_item"], 1);
    assert_eq!(r.dropped["unknown_kind"], 1);
    assert_eq!(r.dropped["missing_item_id"], 1);
    assert_eq!(r.dropped["search_without_item"], 1);
    assert_eq!(r.kept + r.dropped_total(), r.input);
}

#[test]
fn impossible_timestamps_are_dropped() {
    let c = catalog(1);
    let raw = vec![
        ev("i0", "view", f64::NAN),
        ev("i0", "view", f64::INFINITY),
        ev("i0", "view", -5.0),
        ev("i0", "view", 1_700_000_000.0), // seconds, not milliseconds
        RawEvent {
            item_id: "i0".into(),
            kind: "view".into(),
            ..Default::default()
        }, // no timestamp at all
        ev("i0", "view", NOW + 2.0 * 86_400_000.0),
        ev("i0", "view", NOW + 60_000.0), // a minute of clock skew: fine
    ];
    let (e, r) = clean(&c, raw);
    assert_eq!(e.len(), 1);
    assert_eq!(r.dropped["bad_timestamp"], 2);
    assert_eq!(r.dropped["timestamp_too_old"], 3);
    assert_eq!(r.dropped["timestamp_in_future"], 1);
}

#[test]
fn dwell_and_quantity_are_clamped_cleared_or_dropped() {
    let c = catalog(1);
    let with = |kind: &str, t: f64, dwell: Option<f64>, qty: Option<f64>| RawEvent {
        dwell_ms: dwell,
        quantity: qty,
        ..ev("i0", kind, t)
    };
    let raw = vec![
        with("view", NOW - 100.0 * MIN, Some(-3.0), None),
        with("view", NOW - 90.0 * MIN, Some(f64::NAN), None),
        with("view", NOW - 80.0 * MIN, Some(1e12), None),
        with("view", NOW - 70.0 * MIN, Some(4_000.0), Some(-7.0)), // quantity ignored on views
        with("add_to_cart", NOW - 60.0 * MIN, None, Some(0.0)),
        with("add_to_cart", NOW - 50.0 * MIN, None, Some(-1.0)),
        with("add_to_cart", NOW - 40.0 * MIN, None, Some(f64::NAN)),
        with("purchase", NOW - 30.0 * MIN, None, Some(1e9)),
        with("purchase", NOW - 20.0 * MIN, None, None),
    ];
    let (e, r) = clean(&c, raw);
    assert_eq!(r.fixed["dwell_invalid_cleared"], 2);
    assert_eq!(r.fixed["dwell_clamped"], 1);
    assert_eq!(r.dropped["quantity_not_positive"], 2);
    assert_eq!(r.dropped["bad_quantity"], 1);
    assert_eq!(r.fixed["quantity_clamped"], 1);
    let dwell: Vec<Option<f64>> = e.iter().map(|e| e.dwell_ms).collect();
    assert_eq!(
        dwell,
        vec![None, None, Some(1_800_000.0), Some(4_000.0), None, None]
    );
    let qty: Vec<f64> = e.iter().map(|e| e.quantity).collect();
    assert_eq!(qty, vec![1.0, 1.0, 1.0, 1.0, 1_000.0, 1.0]);
}

#[test]
fn sessions_split_on_a_thirty_minute_gap() {
    let c = catalog(1);
    let t0 = NOW - 300.0 * MIN;
    let raw = [0.0, 10.0, 39.0, 70.0, 101.0, 200.0]
        .iter()
        .map(|m| ev("i0", "view", t0 + m * MIN))
        .collect();
    let (e, _) = clean(&c, raw);
    // Gaps: 10, 29, 31 (new), 31 (new), 99 (new).
    assert_eq!(
        e.iter().map(|e| e.session).collect::<Vec<_>>(),
        vec![0, 0, 0, 1, 2, 3]
    );
}

#[test]
fn capacity_keeps_the_most_recent_events() {
    let c = catalog(1);
    let raw = (0..10)
        .map(|i| ev("i0", "view", NOW - (10 - i) as f64 * MIN))
        .collect();
    let config = CleanConfig {
        max_events: 3,
        ..CleanConfig::default()
    };
    let (e, r) = clean_events(&c, raw, &config, NOW).unwrap();
    assert_eq!(e.len(), 3);
    assert_eq!(r.dropped["over_capacity"], 7);
    assert_eq!(e[0].ts_ms, (NOW - 3.0 * MIN) as i64);
    assert_eq!(
        r.rejected.iter().map(|x| x.index).collect::<Vec<_>>(),
        (0..7).collect::<Vec<_>>()
    );
}

#[test]
fn bad_config_and_clock_are_errors_naming_the_field() {
    let c = catalog(1);
    let bad = CleanConfig {
        session_gap_ms: f64::NAN,
        ..CleanConfig::default()
    };
    let e = clean_events(&c, vec![], &bad, NOW).unwrap_err().to_string();
    assert!(e.contains("sessionGapMs"), "{e}");
    let e = clean_events(&c, vec![], &CleanConfig::default(), f64::NAN)
        .unwrap_err()
        .to_string();
    assert!(e.contains("nowMs"), "{e}");
    let bad = CleanConfig {
        burst_max_events: 1,
        ..CleanConfig::default()
    };
    assert!(clean_events(&c, vec![], &bad, NOW).is_err());
}

#[test]
fn json_events_in_js_and_file_spellings() {
    let json = r#"[
        {"itemId": "i0", "kind": "view", "timestamp": 1699999000000, "dwellMs": 1200},
        {"item_id": "i0", "kind": "add_to_cart", "timestamp": 1699999100000, "quantity": 2},
        {"itemId": "i0", "kind": "removeFromCart", "timestamp": 1699999200000}
    ]"#;
    let raw: Vec<RawEvent> = serde_json::from_str(json).unwrap();
    let (e, r) = clean(&catalog(1), raw);
    assert_eq!(r.kept, 3);
    assert_eq!(e[0].dwell_ms, Some(1200.0));
    assert_eq!(e[1].quantity, 2.0);
    assert_eq!(e[2].kind, EventKind::RemoveFromCart);
    let config: CleanConfig = serde_json::from_str(r#"{"sessionGapMs": 60000}"#).unwrap();
    assert_eq!(config.session_gap_ms, 60_000.0);
    assert_eq!(config.max_events, CleanConfig::default().max_events);
}

#[test]
fn stream_in_one_batch_equals_batch_cleaning() {
    let c = catalog(30);
    let mut rng = localrec::rng::Rng::new(5);
    let raw: Vec<RawEvent> = (0..400)
        .map(|_| {
            let kinds = ["view", "click", "add_to_cart", "purchase", "bogus"];
            ev(
                &format!("i{}", rng.below(32)),
                kinds[rng.below(kinds.len())],
                NOW - rng.next_f64() * 300.0 * MIN,
            )
        })
        .collect();
    let (batch, batch_report) = clean(&c, raw.clone());
    let mut stream = localrec::prep::EventStream::new(CleanConfig::default()).unwrap();
    let (streamed, stream_report) = stream.push(&c, raw, NOW).unwrap();
    assert_eq!(batch, streamed);
    assert_eq!(batch_report, stream_report);
    assert_eq!(stream.kept(), batch.len() as u64);
}

#[test]
fn stream_judges_duplicates_bursts_and_sessions_across_batches() {
    let c = catalog(50);
    let mut s = localrec::prep::EventStream::new(CleanConfig::default()).unwrap();
    let t = NOW - 100.0 * MIN;
    let (a, _) = s.push(&c, vec![ev("i0", "view", t)], NOW).unwrap();
    assert_eq!(a.len(), 1);
    // The same event re-sent (a retry) and a double click in later batches.
    let (b, r) = s
        .push(
            &c,
            vec![ev("i0", "view", t), ev("i0", "view", t + 200.0)],
            NOW,
        )
        .unwrap();
    assert!(b.is_empty());
    assert_eq!(
        (r.dropped["duplicate"], r.dropped["near_duplicate"]),
        (1, 1)
    );
    // A bot sending one event per call, 50 ms apart: the first 10 pass, then dropped.
    let mut kept = 0;
    for i in 0..30 {
        let (k, _) = s
            .push(
                &c,
                vec![ev(
                    &format!("i{}", i + 1),
                    "view",
                    t + 10_000.0 + 50.0 * i as f64,
                )],
                NOW,
            )
            .unwrap();
        kept += k.len();
    }
    assert_eq!(kept, 10);
    // Sessions continue across batches.
    let (d, _) = s
        .push(&c, vec![ev("i40", "view", t + 5.0 * MIN)], NOW)
        .unwrap();
    assert_eq!(d[0].session, 0);
    let (e, _) = s
        .push(&c, vec![ev("i41", "view", t + 60.0 * MIN)], NOW)
        .unwrap();
    assert_eq!(e[0].session, 1);
    // A late event joins the current session.
    let (f, _) = s
        .push(&c, vec![ev("i42", "view", t + 1.0 * MIN)], NOW)
        .unwrap();
    assert_eq!(f[0].session, 1);
    assert_eq!(s.session(), 1);
}

#[test]
fn a_huge_burst_is_dropped_in_linear_time() {
    let c = catalog(10);
    let raw: Vec<RawEvent> = (0..200_000)
        .map(|i| {
            ev(
                &format!("i{}", i % 10),
                "view",
                NOW - MIN + (i % 997) as f64 * 0.5,
            )
        })
        .collect();
    let (e, r) = clean(&c, raw);
    assert!(e.is_empty());
    assert_eq!(r.kept + r.dropped_total(), 200_000);
}
