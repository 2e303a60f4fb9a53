//! Property tests of the storefront-facing `Recommender` over random catalogs, event
//! streams, configs, filters and diversity options: no panic, no NaN score,
//! recommendations are catalog items, filters and K are honoured, the same seed gives the
//! same list; degenerate training finishes with a defined result; stored models and
//! event logs that are truncated, bit-flipped, re-sealed or from another catalog are
//! detected and the recommender keeps its current state.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_support;

use std::collections::{BTreeMap, BTreeSet};

use fuzz_support::{measure, mutate, CountingAlloc};
use localrec::codec::{open, seal};
use localrec::prep::{CatalogItem, RawEvent};
use localrec::recommender::{
    Diversity, Filters, FineTuneConfig, RecommendOptions, Recommendations, Recommender,
    RecommenderConfig, SimilarOptions, TrainOptions,
};
use localrec::rng::Rng;
use proptest::prelude::*;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const NOW: f64 = 1.75e12;
const CATEGORIES: &[&str] = &[
    "Shoes > Running",
    "Shoes > Trail",
    "Shoes",
    "Kitchen > Pans",
    "Kitchen > Knives > Chef",
    "Beauty > Skin Care > Serums",
    "beauty > skin care",
    "",
    "  >  > ",
];
const FILTER_CATEGORIES: &[&str] = &[
    "Shoes",
    "shoes > running",
    "Kitchen > Knives",
    "Beauty > Skin Care",
    "Toys",
    ">",
];
const BRANDS: &[&str] = &["Acme", "Zen", "acme", ""];
const KINDS: &[&str] = &[
    "view",
    "click",
    "add_to_cart",
    "addToCart",
    "remove_from_cart",
    "purchase",
    "search",
    "teleport",
    "",
    " VIEW ",
];

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A catalog with unique, clean ids and valid prices (so filter oracles are exact).
fn clean_catalog() -> impl Strategy<Value = Vec<CatalogItem>> {
    proptest::collection::vec(
        (
            0usize..CATEGORIES.len(),
            0usize..BRANDS.len(),
            proptest::option::of(0.0f64..500.0),
            proptest::option::of(any::<bool>()),
            proptest::option::of(0.0f64..5.0),
            proptest::collection::vec("[a-c]{1,2}", 0..3),
        ),
        1..25,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (c, b, price, in_stock, rating, tags))| CatalogItem {
                id: format!("sku-{i}"),
                title: Some(format!("Item <b>{i}</b> \"quoted\"")),
                category: Some(CATEGORIES[c].to_string()),
                brand: Some(BRANDS[b].to_string()),
                price,
                in_stock,
                rating,
                tags,
                ..CatalogItem::default()
            })
            .collect()
    })
}

/// A hostile catalog: duplicate, blank and huge ids, NaN/negative/infinite numbers, odd text.
fn messy_catalog() -> impl Strategy<Value = Vec<CatalogItem>> {
    let number = prop_oneof![
        Just(None),
        (-10.0f64..1e6).prop_map(Some),
        Just(Some(f64::NAN)),
        Just(Some(f64::INFINITY)),
        Just(Some(-0.0)),
        Just(Some(f64::MAX)),
    ];
    let id = prop_oneof![
        4 => (0u32..12).prop_map(|i| format!("sku-{i}")),
        1 => Just(String::new()),
        1 => Just("   ".to_string()),
        1 => Just(" sku-1 ".to_string()),
        1 => Just("x".repeat(300)),
        1 => "\\PC{0,12}",
    ];
    proptest::collection::vec(
        (
            id,
            proptest::option::of("\\PC{0,30}"),
            proptest::option::of("[A-Za-z >]{0,30}"),
            number.clone(),
            number,
            proptest::option::of(any::<bool>()),
        ),
        0..30,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(
                |(id, title, category, price, rating, in_stock)| CatalogItem {
                    id,
                    title,
                    category,
                    price,
                    rating,
                    in_stock,
                    ..CatalogItem::default()
                },
            )
            .collect()
    })
}

/// Events over ids `sku-0..sku-(n+3)` (some unknown), every kind spelling, bad times and quantities.
fn events(max: usize) -> impl Strategy<Value = Vec<RawEvent>> {
    let ts = prop_oneof![
        8 => (0.0f64..3e9).prop_map(|d| NOW - d),
        1 => Just(f64::NAN),
        1 => Just(-5.0),
        1 => Just(NOW + 3.6e6),
        1 => Just(f64::INFINITY),
    ];
    let qty = prop_oneof![
        6 => Just(None),
        2 => (1u32..4).prop_map(|q| Some(q as f64)),
        1 => Just(Some(0.0)),
        1 => Just(Some(-1.0)),
        1 => Just(Some(f64::NAN)),
        1 => Just(Some(0.5)),
    ];
    proptest::collection::vec((0u32..28, 0usize..KINDS.len(), ts, qty), 0..max).prop_map(|rows| {
        rows.into_iter()
            .map(|(item, kind, timestamp, quantity)| RawEvent {
                item_id: format!("sku-{item}"),
                kind: KINDS[kind].to_string(),
                timestamp,
                quantity,
                ..RawEvent::default()
            })
            .collect()
    })
}

fn rec_config() -> impl Strategy<Value = RecommenderConfig> {
    (
        any::<u64>(),
        proptest::collection::vec(1usize..9, 0..3),
        0.01f64..100.0,
        1.0f64..240.0,
        prop_oneof![Just(5usize), Just(50), Just(5000)],
    )
        .prop_map(
            |(seed, hidden, half_life_days, gap, max_events)| RecommenderConfig {
                seed: Some(seed),
                hidden,
                half_life_days,
                session_gap_minutes: gap,
                max_events,
                fine_tune: FineTuneConfig {
                    max_steps: 40,
                    ..FineTuneConfig::default()
                },
                ..RecommenderConfig::default()
            },
        )
}

fn filters() -> impl Strategy<Value = Filters> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(0usize..FILTER_CATEGORIES.len(), 0..3),
        proptest::option::of(0.0f64..300.0),
        proptest::option::of(0.0f64..600.0),
        proptest::collection::vec(0u32..30, 0..5),
    )
        .prop_map(|(p, c, s, cats, lo, hi, ex)| Filters {
            exclude_purchased: p,
            exclude_in_cart: c,
            in_stock_only: s,
            categories: cats
                .into_iter()
                .map(|i| FILTER_CATEGORIES[i].to_string())
                .collect(),
            min_price: lo,
            max_price: hi,
            exclude_ids: ex.into_iter().map(|i| format!("sku-{i}")).collect(),
        })
}

fn diversity() -> impl Strategy<Value = Diversity> {
    (
        proptest::option::of(0.0f64..=1.0),
        proptest::option::of(1usize..4),
    )
        .prop_map(|(mmr_lambda, per_category_cap)| Diversity {
            mmr_lambda,
            per_category_cap,
        })
}

fn err(e: localrec::Error) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// Splits and normalises a category like the catalog does.
fn path(c: &str) -> Vec<String> {
    c.split('>')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

/// A fake clock: every reading advances 1 ms (training chunks end by budget, deterministically).
fn ticking_clock() -> impl Fn() -> f64 {
    let t = std::cell::Cell::new(0.0);
    move || {
        t.set(t.get() + 1.0);
        t.get()
    }
}

/// Trains to completion (bounded chunks); returns the stop reason and asserts finite losses.
fn train(rec: &mut Recommender, opts: &TrainOptions) -> Result<Option<String>, TestCaseError> {
    let clock = ticking_clock();
    let mut p = rec.train_start(opts).map_err(err)?;
    let mut chunks = 0;
    while !p.done {
        chunks += 1;
        prop_assert!(chunks < 10_000, "training never finished");
        p = match rec.train_chunk(25.0, &clock) {
            Ok(p) => p,
            // A defined failure (named error) is an allowed outcome; NaN is not.
            Err(e) => return Ok(Some(format!("error: {e}"))),
        };
        prop_assert!(p.loss.is_finite(), "loss {}", p.loss);
        prop_assert!(p.epoch_losses.iter().all(|l| l.is_finite()));
    }
    Ok(p.stop_reason)
}

/// The invariants every answer of `recommend` / `similar` must satisfy.
fn check_list(
    list: &Recommendations,
    k: usize,
    ids: &BTreeSet<String>,
) -> Result<(), TestCaseError> {
    prop_assert!(
        list.items.len() <= k,
        "{} items for k = {}",
        list.items.len(),
        k
    );
    let mut seen = BTreeSet::new();
    for r in &list.items {
        prop_assert!(
            ids.contains(&r.item_id),
            "{:?} is not a catalog item",
            r.item_id
        );
        prop_assert!(
            seen.insert(r.item_id.clone()),
            "{:?} listed twice",
            r.item_id
        );
        prop_assert!(r.score.is_finite(), "score {} for {}", r.score, r.item_id);
        prop_assert!(!r.reason.is_empty());
        if let Some(about) = &r.reason_item_id {
            prop_assert!(ids.contains(about), "reason names unknown item {:?}", about);
        }
    }
    if list.items.len() < k {
        prop_assert!(list.note.is_some(), "fewer than k items without a note");
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn recommendations_honour_k_filters_and_are_deterministic(
        catalog in clean_catalog(),
        evs in events(40),
        cfg in rec_config(),
        f in filters(),
        d in diversity(),
        k_seed in any::<usize>(),
        trained in any::<bool>(),
    ) {
        let by_id: BTreeMap<String, CatalogItem> = catalog.iter().map(|c| (c.id.clone(), c.clone())).collect();
        let ids: BTreeSet<String> = by_id.keys().cloned().collect();
        let cfg = RecommenderConfig { max_events: 5000, ..cfg };
        let build = || -> Result<Recommender, TestCaseError> {
            let mut rec = Recommender::new(cfg.clone()).map_err(err)?;
            rec.load_catalog(catalog.clone()).map_err(err)?;
            let report = rec.track(evs.clone(), NOW).map_err(err)?;
            prop_assert_eq!(report.accepted + report.rejected.len(), evs.len());
            prop_assert!(report.rejected.iter().all(|r| r.index < evs.len() && !r.reason.is_empty()));
            prop_assert_eq!(rec.inspect().events, report.accepted);
            if trained {
                train(&mut rec, &TrainOptions::default())?;
            }
            Ok(rec)
        };
        let rec = build()?;
        let k = 1 + k_seed % catalog.len();
        let opts = RecommendOptions { k, filters: f.clone(), diversity: d.clone() };
        let list = match rec.recommend(&opts) {
            Ok(l) => l,
            Err(e) => {
                // Only an inconsistent price range is a caller error here.
                prop_assert!(matches!((f.min_price, f.max_price), (Some(lo), Some(hi)) if lo > hi), "{}", e);
                return Ok(());
            }
        };
        check_list(&list, k, &ids)?;
        // Filters: verified against the raw catalog and the accepted events.
        let purchased: BTreeSet<String> = {
            let mut probe = Recommender::new(cfg.clone()).map_err(err)?;
            probe.load_catalog(catalog.clone()).map_err(err)?;
            evs.iter()
                .filter(|e| e.kind.trim() == "purchase")
                .filter(|e| probe.track(vec![(*e).clone()], NOW).map(|r| r.accepted == 1).unwrap_or(false))
                .map(|e| e.item_id.clone())
                .collect()
        };
        let want: Vec<Vec<String>> = f.categories.iter().map(|c| path(c)).collect();
        let mut per_top: BTreeMap<Option<String>, usize> = BTreeMap::new();
        for r in &list.items {
            let item = &by_id[&r.item_id];
            prop_assert!(!f.exclude_ids.contains(&r.item_id), "excluded id {} returned", r.item_id);
            if f.in_stock_only {
                prop_assert!(item.in_stock != Some(false), "out-of-stock {} returned", r.item_id);
            }
            if f.min_price.is_some() || f.max_price.is_some() {
                let p = item.price;
                prop_assert!(p.is_some(), "{} has no price but a price filter is set", r.item_id);
                let p = p.unwrap_or_default();
                prop_assert!(f.min_price.is_none_or(|lo| p >= lo) && f.max_price.is_none_or(|hi| p <= hi));
            }
            let item_path = path(item.category.as_deref().unwrap_or(""));
            if !f.categories.is_empty() {
                let ok = want.iter().any(|w| {
                    !w.is_empty() && w.len() <= item_path.len()
                        && w.iter().zip(&item_path).all(|(a, b)| a.eq_ignore_ascii_case(b))
                });
                prop_assert!(ok, "{} ({:?}) is outside {:?}", r.item_id, item_path, f.categories);
            }
            if f.exclude_purchased {
                prop_assert!(!purchased.contains(&r.item_id), "purchased {} returned", r.item_id);
            }
            *per_top.entry(item_path.first().cloned()).or_insert(0) += 1;
        }
        if let Some(cap) = d.per_category_cap {
            prop_assert!(per_top.values().all(|&n| n <= cap), "{:?} over cap {}", per_top, cap);
        }
        if d.mmr_lambda.is_none() && d.per_category_cap.is_none() {
            prop_assert!(list.items.windows(2).all(|w| w[0].score >= w[1].score), "not sorted");
        }
        // Same seed, same inputs: the same list, scores bit for bit.
        let again = build()?.recommend(&opts).map_err(err)?;
        prop_assert_eq!(&again, &list);
    }

    #[test]
    fn messy_catalogs_and_events_never_panic(
        catalog in messy_catalog(),
        evs in events(60),
        cfg in rec_config(),
        f in filters(),
        k in 0usize..40,
        query in prop_oneof![Just("sku-1".to_string()), Just(" sku-2".to_string()), Just(String::new()), "\\PC{0,8}"],
    ) {
        let mut rec = Recommender::new(cfg.clone()).map_err(err)?;
        // Before a catalog: named errors, never a panic.
        prop_assert!(rec.recommend(&RecommendOptions::default()).is_err());
        prop_assert!(rec.track(evs.clone(), NOW).is_err());
        prop_assert!(rec.train_start(&TrainOptions::default()).is_err());
        let loaded = rec.load_catalog(catalog.clone());
        let Ok(report) = loaded else {
            // Only an empty or fully rejected catalog fails.
            let usable = catalog.iter().any(|c| {
                let id = c.id.trim();
                !id.is_empty() && id.len() <= 256
            });
            prop_assert!(!usable, "a catalog with a usable id was refused");
            return Ok(());
        };
        prop_assert_eq!(report.accepted + report.rejected.len(), catalog.len());
        let ids: BTreeSet<String> = catalog.iter().map(|c| c.id.trim().to_string()).collect();
        let tracked = rec.track(evs.clone(), NOW).map_err(err)?;
        prop_assert_eq!(tracked.accepted + tracked.rejected.len(), evs.len());
        prop_assert!(rec.inspect().events <= cfg.max_events);
        let stop = train(&mut rec, &TrainOptions { max_steps: Some(30), ..TrainOptions::default() })?;
        prop_assert!(stop.is_some(), "a finished run names why it stopped");
        let opts = RecommendOptions { k, filters: f.clone(), ..RecommendOptions::default() };
        match rec.recommend(&opts) {
            Ok(list) => check_list(&list, k, &ids)?,
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let sim = SimilarOptions { k, filters: f };
        match rec.similar(&query, &sim) {
            Ok(list) => {
                check_list(&list, k, &ids)?;
                prop_assert!(list.items.iter().all(|r| r.item_id != query.trim()), "similar returned the item itself");
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        let inspection = rec.inspect();
        prop_assert!(inspection.events <= cfg.max_events);
        rec.forget();
        prop_assert_eq!(rec.inspect().events, 0);
        prop_assert!(!rec.inspect().fine_tuned);
    }

    #[test]
    fn stored_models_and_event_logs_resist_corruption(
        catalog in clean_catalog(),
        evs in events(40),
        cfg in rec_config(),
        seed in any::<u64>(),
        rounds in 1usize..5,
    ) {
        let mut rec = Recommender::new(cfg.clone()).map_err(err)?;
        rec.load_catalog(catalog.clone()).map_err(err)?;
        rec.track(evs.clone(), NOW).map_err(err)?;
        train(&mut rec, &TrainOptions::default())?;
        let opts = RecommendOptions { k: catalog.len().min(5), ..RecommendOptions::default() };
        let before = rec.recommend(&opts).map_err(err)?;
        let model = rec.export_model().map_err(err)?;
        let log = rec.export_events(false);
        let mut rng = Rng::new(seed);

        // Exact round trips into a fresh instance of the same catalog.
        let mut twin = Recommender::new(cfg.clone()).map_err(err)?;
        twin.load_catalog(catalog.clone()).map_err(err)?;
        twin.import_model(&model).map_err(err)?;
        let imported = twin.import_events(&log).map_err(err)?;
        prop_assert_eq!(imported.added, rec.inspect().events);
        prop_assert_eq!(twin.import_events(&log).map_err(err)?.added, 0, "a second import must dedupe");
        prop_assert_eq!(twin.export_model().map_err(err)?, model.clone());

        // Raw corruption (checksum catches it) and re-sealed corruption (the decoder must).
        for (blob, kind) in [(&model, *b"LRMD"), (&log, *b"EVTS")] {
            let (version, payload) = open(blob, kind, u16::MAX).map_err(err)?;
            for resealed in [false, true] {
                let mut bytes = if resealed { payload.to_vec() } else { blob.clone() };
                for _ in 0..rounds {
                    mutate(&mut bytes, &mut rng, blob);
                }
                if resealed {
                    bytes = seal(kind, version, &bytes);
                }
                if &bytes == blob {
                    continue;
                }
                let mut victim = twin.clone();
                let state = victim.recommend(&opts).map_err(err)?;
                let events_before = victim.inspect().events;
                let (res, stats) = measure(|| {
                    if kind == *b"LRMD" {
                        victim.import_model(&bytes).map(|_| ())
                    } else {
                        victim.import_events(&bytes).map(|_| ())
                    }
                });
                prop_assert!(stats.largest <= 4 * bytes.len() + 64 * 1024, "largest allocation {} for {} bytes", stats.largest, bytes.len());
                match res {
                    Err(_) => {
                        // Rejected: nothing changed.
                        prop_assert!(!resealed || kind == *b"LRMD" || victim.inspect().events == events_before);
                        prop_assert_eq!(victim.recommend(&opts).map_err(err)?, state);
                    }
                    Ok(()) => {
                        prop_assert!(resealed, "a corrupt blob passed the checksum");
                        // Whatever decoded must still give finite, valid answers.
                        let ids: BTreeSet<String> = catalog.iter().map(|c| c.id.clone()).collect();
                        let list = victim.recommend(&opts).map_err(err)?;
                        check_list(&list, opts.k, &ids)?;
                        train(&mut victim, &TrainOptions { max_steps: Some(5), ..TrainOptions::default() })?;
                        check_list(&victim.recommend(&opts).map_err(err)?, opts.k, &ids)?;
                    }
                }
            }
        }

        // A model built for another catalog is refused and the current one kept.
        let mut other_catalog = catalog.clone();
        other_catalog.push(CatalogItem { id: "sku-new".into(), ..CatalogItem::default() });
        let mut other = Recommender::new(cfg.clone()).map_err(err)?;
        other.load_catalog(other_catalog).map_err(err)?;
        let e = other.import_model(&model).unwrap_err().to_string();
        prop_assert!(e.contains("another catalog"), "{}", e);
        // Another version of the format is refused, naming the version.
        let (version, payload) = open(&model, *b"LRMD", u16::MAX).map_err(err)?;
        let e = twin.import_model(&seal(*b"LRMD", version + 1, payload)).unwrap_err().to_string();
        prop_assert!(e.contains(&format!("version {}", version + 1)), "{}", e);
        prop_assert_eq!(rec.recommend(&opts).map_err(err)?, before);
    }
}

#[test]
fn degenerate_training_data_finishes_with_a_defined_result() {
    let one = vec![CatalogItem {
        id: "only".into(),
        ..CatalogItem::default()
    }];
    let two: Vec<CatalogItem> = ["a", "b"]
        .iter()
        .map(|id| CatalogItem {
            id: id.to_string(),
            category: Some("Same".into()),
            ..CatalogItem::default()
        })
        .collect();
    let ev = |id: &str, kind: &str, t: f64| RawEvent {
        item_id: id.into(),
        kind: kind.into(),
        timestamp: t,
        ..RawEvent::default()
    };
    let cases: Vec<(&str, Vec<CatalogItem>, Vec<RawEvent>)> = vec![
        ("no events", two.clone(), vec![]),
        ("a single event", two.clone(), vec![ev("a", "view", NOW)]),
        (
            "one item, many events (no negatives possible)",
            one.clone(),
            (0..50)
                .map(|i| ev("only", "view", NOW - i as f64))
                .collect(),
        ),
        (
            "all identical events",
            two.clone(),
            (0..200).map(|_| ev("a", "purchase", NOW)).collect(),
        ),
        (
            "only removals",
            two.clone(),
            (0..20)
                .map(|i| ev("b", "remove_from_cart", NOW - i as f64))
                .collect(),
        ),
        (
            "every item bought",
            two.clone(),
            vec![ev("a", "purchase", NOW - 5.0), ev("b", "purchase", NOW)],
        ),
    ];
    let mut runs = 0;
    for (name, catalog, events) in cases {
        for hidden in [vec![], vec![1], vec![16, 8]] {
            let cfg = RecommenderConfig {
                seed: Some(3),
                hidden,
                ..RecommenderConfig::default()
            };
            let mut rec = Recommender::new(cfg).unwrap();
            rec.load_catalog(catalog.clone()).unwrap();
            rec.track(events.clone(), NOW).unwrap();
            let clock = ticking_clock();
            let mut p = rec.train_start(&TrainOptions::default()).unwrap();
            let mut chunks = 0;
            while !p.done {
                p = rec
                    .train_chunk(50.0, &clock)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(p.loss.is_finite(), "{name}: loss {}", p.loss);
                chunks += 1;
                assert!(chunks < 1000, "{name}: never finished");
            }
            assert!(p.stop_reason.is_some(), "{name}");
            let list = rec
                .recommend(&RecommendOptions {
                    k: 1,
                    filters: Filters {
                        exclude_purchased: false,
                        exclude_in_cart: false,
                        ..Filters::default()
                    },
                    ..RecommendOptions::default()
                })
                .unwrap();
            assert_eq!(list.items.len(), 1, "{name}");
            assert!(list.items[0].score.is_finite(), "{name}");
            // With the default filters, buying everything leaves an empty list and a note.
            let all = rec
                .recommend(&RecommendOptions {
                    k: 1,
                    ..RecommendOptions::default()
                })
                .unwrap();
            assert!(all.items.len() == 1 || all.note.is_some(), "{name}");
            runs += 1;
        }
    }
    assert_eq!(runs, 18);
}
