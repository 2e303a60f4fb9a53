//! The shopper profile: decay maths against brute force, incremental equals
//! batch, order independence, kind weights, cart state, sessions, history.
#![cfg(not(target_arch = "wasm32"))] // native test: files, serde_json, threads

use localrec::prep::{Catalog, CatalogItem, Event, EventKind, KindWeights, Profile, ProfileConfig};
use localrec::rng::Rng;
use std::f64::consts::E;

const DAY: f64 = 86_400_000.0;
const T0: i64 = 1_700_000_000_000;

fn catalog(n: usize) -> Catalog {
    let items = (0..n)
        .map(|i| CatalogItem {
            id: format!("i{i}"),
            category: Some(format!("Cat{} > Sub{}", i % 3, i % 5)),
            brand: Some(format!("Brand{}", i % 4)),
            price: Some(5.0 + i as f64),
            ..Default::default()
        })
        .collect();
    Catalog::from_items(items).unwrap().0
}

fn event(item: u32, kind: EventKind, ts_ms: i64) -> Event {
    Event {
        item,
        kind,
        ts_ms,
        dwell_ms: None,
        quantity: 1.0,
        session: 0,
    }
}

fn random_events(n: usize, items: u32, span_ms: f64, seed: u64) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    let mut v: Vec<Event> = (0..n)
        .map(|_| {
            let kind = EventKind::ALL[rng.below(5)];
            let mut e = event(
                rng.below(items as usize) as u32,
                kind,
                T0 + (rng.next_f64() * span_ms) as i64,
            );
            if kind == EventKind::Purchase {
                e.quantity = 1.0 + rng.below(3) as f64;
            }
            e
        })
        .collect();
    v.sort_by_key(|e| e.ts_ms);
    v
}

fn brute_force(p: &Profile, events: &[Event], item: u32, now: f64) -> f64 {
    events
        .iter()
        .filter(|e| e.item == item)
        .map(|e| {
            let w = p.config().weights.weight(e.kind) * (1.0 + e.quantity.max(1.0).ln());
            w * (-(now - e.ts_ms as f64) / p.config().half_life_ms).exp2()
        })
        .sum()
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn decayed_strength_matches_brute_force() {
    let c = catalog(20);
    let events = random_events(500, 20, 30.0 * DAY, 7);
    let p = Profile::from_events(ProfileConfig::default(), &events, &c).unwrap();
    for now in [T0 as f64 + 30.0 * DAY, T0 as f64 + 60.0 * DAY] {
        for item in 0..20 {
            let want = brute_force(&p, &events, item, now);
            let got = p.item_strength(item, now);
            assert!(rel_close(got, want), "item {item}: {got} vs {want}");
        }
    }
}

#[test]
fn adding_in_any_order_gives_the_same_profile_values() {
    let c = catalog(10);
    let events = random_events(300, 10, 10.0 * DAY, 11);
    let batch = Profile::from_events(ProfileConfig::default(), &events, &c).unwrap();
    let mut shuffled = events.clone();
    Rng::new(3).shuffle(&mut shuffled);
    let mut inc = Profile::new(ProfileConfig::default()).unwrap();
    for e in &shuffled {
        inc.add(e, &c).unwrap();
    }
    let now = T0 as f64 + 11.0 * DAY;
    for item in 0..10 {
        assert!(rel_close(
            batch.item_strength(item, now),
            inc.item_strength(item, now)
        ));
    }
    for (t, a) in batch.top_tokens(100, now) {
        assert!(rel_close(a, inc.token_affinity(t, now)));
    }
    assert_eq!(batch.history(), inc.history());
    assert_eq!(batch.kind_counts(), inc.kind_counts());
}

#[test]
fn long_time_spans_rescale_without_overflow() {
    let c = catalog(3);
    let config = ProfileConfig {
        half_life_ms: 1_000.0,
        ..ProfileConfig::default()
    };
    let year = 365.0 * DAY;
    let events: Vec<Event> = (0..100)
        .map(|i| {
            event(
                i % 3,
                EventKind::View,
                T0 + (i as f64 * year / 100.0) as i64,
            )
        })
        .collect();
    let p = Profile::from_events(config, &events, &c).unwrap();
    let last = events.last().unwrap();
    let now = last.ts_ms as f64;
    for item in 0..3 {
        let s = p.item_strength(item, now);
        assert!(s.is_finite());
        assert!(rel_close(s, brute_force(&p, &events, item, now)));
    }
    assert!(rel_close(p.item_strength(last.item, now), 1.0));
}

#[test]
fn stronger_kinds_weigh_more_and_removal_is_negative() {
    let c = catalog(6);
    let kinds = [
        EventKind::View,
        EventKind::Click,
        EventKind::AddToCart,
        EventKind::Purchase,
        EventKind::RemoveFromCart,
    ];
    let events: Vec<Event> = kinds
        .iter()
        .enumerate()
        .map(|(i, &k)| event(i as u32, k, T0))
        .collect();
    let p = Profile::from_events(ProfileConfig::default(), &events, &c).unwrap();
    let s: Vec<f64> = (0..5).map(|i| p.item_strength(i, T0 as f64)).collect();
    assert!(
        s[3] > s[2] && s[2] > s[1] && s[1] > s[0] && s[0] > 0.0,
        "{s:?}"
    );
    assert!(s[4] < 0.0);
    assert_eq!(p.item_strength(5, T0 as f64), 0.0);
    // A half-life later everything counts half.
    let later = T0 as f64 + ProfileConfig::default().half_life_ms;
    assert!(rel_close(p.item_strength(3, later), s[3] / 2.0));
    let top = p.top_items(2, T0 as f64);
    assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![3, 2]);
}

#[test]
fn custom_weights_are_used() {
    let c = catalog(1);
    let config = ProfileConfig {
        weights: KindWeights {
            view: 0.5,
            ..KindWeights::default()
        },
        ..ProfileConfig::default()
    };
    let p = Profile::from_events(config, &[event(0, EventKind::View, T0)], &c).unwrap();
    assert_eq!(p.item_strength(0, T0 as f64), 0.5);
}

#[test]
fn cart_state_follows_adds_removes_and_purchases() {
    let c = catalog(1);
    let mut p = Profile::new(ProfileConfig::default()).unwrap();
    let mut add = event(0, EventKind::AddToCart, T0);
    add.quantity = 2.0;
    p.add(&add, &c).unwrap();
    p.add(&event(0, EventKind::RemoveFromCart, T0 + 1_000), &c)
        .unwrap();
    assert_eq!(p.item_stats(0).unwrap().cart_units, 1.0);
    p.add(&event(0, EventKind::Purchase, T0 + 2_000), &c)
        .unwrap();
    let s = p.item_stats(0).unwrap();
    assert_eq!((s.cart_units, s.purchased_units), (0.0, 1.0));
    assert_eq!(s.counts, [0, 0, 1, 1, 1, 0]);
    assert_eq!(s.last_ts_ms, T0 + 2_000);
}

#[test]
fn session_features_and_history() {
    let c = catalog(5);
    let config = ProfileConfig {
        history_len: 3,
        ..ProfileConfig::default()
    };
    let min = 60_000;
    let events = [
        event(0, EventKind::View, T0),
        event(1, EventKind::View, T0 + 5 * min),
        event(2, EventKind::View, T0 + 60 * min), // new session
        event(3, EventKind::Click, T0 + 70 * min),
        event(4, EventKind::View, T0 + 75 * min),
    ];
    let p = Profile::from_events(config, &events, &c).unwrap();
    let s = p.session((T0 + 80 * min) as f64);
    assert_eq!(s.sessions, 2);
    assert_eq!(s.current_session_events, 3);
    assert_eq!(s.current_session_ms, (15 * min) as f64);
    assert_eq!(s.since_last_event_ms, (5 * min) as f64);
    assert_eq!(s.events, 5);
    let h: Vec<u32> = p.history().iter().map(|h| h.item).collect();
    assert_eq!(h, vec![2, 3, 4]);
    assert_eq!(p.history()[1].weight, 2.0);
}

#[test]
fn affinities_price_preference_and_content_score() {
    let items = vec![
        CatalogItem {
            id: "cheap".into(),
            category: Some("Beauty > Skin".into()),
            brand: Some("Glow".into()),
            price: Some(E - 1.0),
            ..Default::default()
        },
        CatalogItem {
            id: "dear".into(),
            category: Some("Beauty > Hair".into()),
            brand: Some("Silk".into()),
            price: Some(E.powi(3) - 1.0),
            ..Default::default()
        },
        CatalogItem {
            id: "other".into(),
            category: Some("Home".into()),
            ..Default::default()
        },
    ];
    let c = Catalog::from_items(items).unwrap().0;
    let events = [
        event(0, EventKind::Purchase, T0),
        event(1, EventKind::Purchase, T0),
    ];
    let p = Profile::from_events(ProfileConfig::default(), &events, &c).unwrap();
    let now = T0 as f64;
    let price = p.price_preference().unwrap();
    assert!(rel_close(price.mean_log_price, 2.0));
    assert!(rel_close(price.std_log_price, 1.0));
    assert_eq!(p.category_affinity("beauty", now), 16.0);
    assert_eq!(p.category_affinity(" Beauty > SKIN ", now), 8.0);
    assert_eq!(p.brand_affinity("glow", now), 8.0);
    assert_eq!(p.category_affinity("Home", now), 0.0);
    // Positive mass: beauty 16 + skin 8 + hair 8 + glow 8 + silk 8 = 48.
    assert!(rel_close(
        p.content_score(&c.items()[0].tokens),
        32.0 / 48.0
    ));
    assert_eq!(p.content_score(&c.items()[2].tokens), 0.0);
    let empty = Profile::new(ProfileConfig::default()).unwrap();
    assert_eq!(empty.content_score(&c.items()[0].tokens), 0.0);
    assert!(empty.price_preference().is_none());
}

#[test]
fn bad_input_is_an_error_and_changes_nothing() {
    let c = catalog(2);
    let mut p = Profile::new(ProfileConfig::default()).unwrap();
    let before = p.clone();
    let e = p.add(&event(99, EventKind::View, T0), &c).unwrap_err();
    assert!(e.to_string().contains("item"), "{e}");
    let mut nan = event(0, EventKind::Purchase, T0);
    nan.quantity = f64::NAN;
    assert!(p.add(&nan, &c).is_err());
    assert_eq!(p, before);
    let bad = ProfileConfig {
        half_life_ms: 0.0,
        ..ProfileConfig::default()
    };
    assert!(Profile::new(bad)
        .unwrap_err()
        .to_string()
        .contains("halfLifeMs"));
    let bad = ProfileConfig {
        weights: KindWeights {
            purchase: f64::INFINITY,
            ..KindWeights::default()
        },
        ..ProfileConfig::default()
    };
    let e = Profile::new(bad).unwrap_err().to_string();
    assert!(e.contains("weights.purchase"), "{e}");
}
