//! Behaviour tests of the recommender on a synthetic shop with planted structure.

use super::*;
use crate::rng::Rng;
use std::collections::{BTreeMap, BTreeSet};

const T0: f64 = 1.7e12;
const MIN: f64 = 60_000.0;

/// 4 categories × 4 brands × 5 items = 80 items, prices by category.
fn shop() -> Vec<CatalogItem> {
    let cats = [
        "Shoes > Running",
        "Shoes > Hiking",
        "Kitchen > Pans",
        "Garden > Tools",
    ];
    let brands = ["Asics", "Nike", "Tefal", "Bosch"];
    let mut out = Vec::new();
    for (ci, c) in cats.iter().enumerate() {
        for (bi, b) in brands.iter().enumerate() {
            for n in 0..5 {
                out.push(CatalogItem {
                    id: format!("{ci}-{bi}-{n}"),
                    title: Some(format!("{b} {c} #{n}")),
                    category: Some(c.to_string()),
                    brand: Some(b.to_string()),
                    price: Some(20.0 + 30.0 * ci as f64 + n as f64),
                    in_stock: Some(n != 4),
                    rating: Some(3.0 + (n as f64) * 0.4),
                    tags: vec![format!("t{}", (ci + bi) % 3)],
                    ..Default::default()
                });
            }
        }
    }
    out
}

fn rec(seed: u64) -> Recommender {
    let mut r = Recommender::new(RecommenderConfig {
        seed: Some(seed),
        ..Default::default()
    })
    .unwrap();
    r.load_catalog(shop()).unwrap();
    r
}

fn ev(id: &str, kind: &str, minute: f64) -> RawEvent {
    RawEvent {
        item_id: id.into(),
        kind: kind.into(),
        timestamp: T0 + minute * MIN,
        ..Default::default()
    }
}

fn ids(r: &Recommendations) -> Vec<String> {
    r.items.iter().map(|x| x.item_id.clone()).collect()
}

fn top(r: &Recommender, k: usize) -> Recommendations {
    r.recommend(&RecommendOptions {
        k,
        ..Default::default()
    })
    .unwrap()
}

fn fake_clock() -> impl Fn() -> f64 {
    let t = std::cell::Cell::new(0.0);
    move || {
        t.set(t.get() + 0.01);
        t.get()
    }
}

fn train_all(r: &mut Recommender, opts: &TrainOptions) -> TrainProgress {
    let clock = fake_clock();
    let mut p = r.train_start(opts).unwrap();
    while !p.done {
        p = r.train_chunk(1.0, &clock).unwrap();
    }
    p
}

#[test]
fn planted_taste_dominates_after_a_few_events() {
    // Shopper A views running shoes of two brands; shopper B views pans.
    let mut a = rec(1);
    let events_a: Vec<RawEvent> = ["0-0-0", "0-1-1", "0-0-2", "0-1-3"]
        .iter()
        .enumerate()
        .map(|(i, id)| ev(id, "view", i as f64))
        .collect();
    a.track(events_a, T0 + 10.0 * MIN).unwrap();
    let list = top(&a, 10);
    let running = list
        .items
        .iter()
        .filter(|x| x.item_id.starts_with("0-"))
        .count();
    assert!(
        running >= 8,
        "running shoes in A's top 10: {running} ({:?})",
        ids(&list)
    );
    let brands_ok = list.items[..5]
        .iter()
        .filter(|x| x.item_id.starts_with("0-0-") || x.item_id.starts_with("0-1-"))
        .count();
    assert_eq!(brands_ok, 5, "{:?}", ids(&list));

    let mut b = rec(1);
    b.track(
        vec![ev("2-2-0", "view", 0.0), ev("2-2-1", "purchase", 1.0)],
        T0 + MIN,
    )
    .unwrap();
    let list_b = top(&b, 10);
    assert!(
        list_b.items[..5]
            .iter()
            .all(|x| x.item_id.starts_with("2-")),
        "{:?}",
        ids(&list_b)
    );
    assert_ne!(ids(&list), ids(&list_b));

    // Still dominated after fine-tuning.
    train_all(&mut a, &TrainOptions::default());
    let tuned = top(&a, 10);
    assert_eq!(tuned.model, "fineTuned");
    let running = tuned
        .items
        .iter()
        .filter(|x| x.item_id.starts_with("0-"))
        .count();
    assert!(running >= 8, "after fine-tuning: {:?}", ids(&tuned));
}

#[test]
fn the_first_event_changes_the_list_immediately() {
    let mut r = rec(3);
    let cold = top(&r, 5);
    assert_eq!(cold.model, "prior");
    // Cold without a base model: best-rated items first (rating 4.6 = n == 4), catalog order within.
    assert!(
        cold.items
            .iter()
            .all(|x| x.reason_kind == ReasonKind::TopRated),
        "{cold:?}"
    );
    r.track(vec![ev("3-3-1", "view", 0.0)], T0).unwrap();
    let warm = top(&r, 5);
    assert_ne!(ids(&cold), ids(&warm));
    assert!(
        warm.items.iter().all(|x| x.item_id.starts_with("3-")),
        "{:?}",
        ids(&warm)
    );
}

#[test]
fn reasons_name_items_really_in_the_history() {
    let mut r = rec(4);
    let hist = ["1-0-0", "1-0-1", "2-1-2"];
    r.track(
        hist.iter()
            .enumerate()
            .map(|(i, id)| ev(id, "click", i as f64))
            .collect(),
        T0 + 5.0 * MIN,
    )
    .unwrap();
    let list = top(&r, 20);
    let mut with_item = 0;
    for x in &list.items {
        assert!(!x.reason.is_empty());
        if let Some(about) = &x.reason_item_id {
            with_item += 1;
            assert!(hist.contains(&about.as_str()), "{x:?}");
            let title = &r
                .table()
                .unwrap()
                .get(r.table().unwrap().index_of(about).unwrap())
                .unwrap()
                .title;
            assert!(x.reason.contains(title.as_str()), "{x:?}");
        }
        if x.reason_kind == ReasonKind::History {
            assert!(x.reason.starts_with("because you looked at"), "{x:?}");
        }
    }
    assert!(with_item >= 10, "{list:?}");
}

#[test]
fn filters_are_honoured_exactly() {
    let mut r = rec(5);
    r.track(
        vec![
            ev("0-0-0", "purchase", 0.0),
            ev("0-0-1", "add_to_cart", 1.0),
            ev("0-1-0", "view", 2.0),
        ],
        T0 + 3.0 * MIN,
    )
    .unwrap();
    let mut rng = Rng::new(9);
    for trial in 0..200 {
        let lo = 20.0 + rng.next_f64() * 80.0;
        let f = Filters {
            exclude_purchased: rng.below(2) == 1,
            exclude_in_cart: rng.below(2) == 1,
            in_stock_only: rng.below(2) == 1,
            categories: match rng.below(3) {
                0 => vec![],
                1 => vec!["Shoes".into()],
                _ => vec!["kitchen > pans".into(), "Garden".into()],
            },
            min_price: (rng.below(2) == 1).then_some(lo),
            max_price: (rng.below(2) == 1).then_some(lo + 40.0),
            exclude_ids: vec!["0-1-1".into(), "nope".into()],
        };
        let opts = RecommendOptions {
            k: 1 + rng.below(80),
            filters: f.clone(),
            diversity: Diversity {
                mmr_lambda: (rng.below(2) == 1).then(|| rng.next_f64()),
                per_category_cap: (rng.below(3) == 0).then(|| 1 + rng.below(5)),
            },
        };
        let out = r.recommend(&opts).unwrap();
        assert!(out.items.len() <= opts.k);
        let t = r.table().unwrap();
        let mut per_cat = BTreeMap::new();
        for x in &out.items {
            let i = t.index_of(&x.item_id).unwrap();
            let it = t.get(i).unwrap();
            assert!(x.score.is_finite());
            assert!(
                !(f.exclude_purchased && x.item_id == "0-0-0"),
                "trial {trial}"
            );
            assert!(
                !(f.exclude_in_cart && x.item_id == "0-0-1"),
                "trial {trial}"
            );
            assert!(!f.in_stock_only || it.in_stock, "trial {trial}");
            assert_ne!(x.item_id, "0-1-1");
            if let Some(lo) = f.min_price {
                assert!(it.price.unwrap() >= lo);
            }
            if let Some(hi) = f.max_price {
                assert!(it.price.unwrap() <= hi);
            }
            match f.categories.len() {
                1 => assert!(x.item_id.starts_with("0-") || x.item_id.starts_with("1-")),
                2 => assert!(x.item_id.starts_with("2-") || x.item_id.starts_with("3-")),
                _ => {}
            }
            *per_cat
                .entry(it.category_path()[0].clone())
                .or_insert(0usize) += 1;
        }
        if let Some(cap) = opts.diversity.per_category_cap {
            assert!(
                per_cat.values().all(|&n| n <= cap),
                "trial {trial}: {per_cat:?}"
            );
        }
        let ids_out = ids(&out);
        let unique: BTreeSet<_> = ids_out.iter().collect();
        assert_eq!(unique.len(), ids_out.len(), "duplicates in trial {trial}");
        if out.items.len() < opts.k {
            assert!(
                out.note.is_some(),
                "trial {trial}: short list without a note"
            );
        }
    }
}

#[test]
fn edge_cases_are_errors_or_documented_notes() {
    let mut empty = Recommender::new(RecommenderConfig::default()).unwrap();
    assert!(empty
        .recommend(&RecommendOptions::default())
        .unwrap_err()
        .to_string()
        .contains("catalog"));
    assert!(empty.track(vec![ev("x", "view", 0.0)], T0).is_err());
    let r = rec(6);
    for k in [0usize, 81, 5000] {
        let e = r
            .recommend(&RecommendOptions {
                k,
                ..Default::default()
            })
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid k"), "{e}");
    }
    let none = r
        .recommend(&RecommendOptions {
            k: 3,
            filters: Filters {
                categories: vec!["Toys".into()],
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap();
    assert!(none.items.is_empty());
    assert_eq!(
        none.note.as_deref(),
        Some("the filters exclude every item of the catalog")
    );
    let bad = RecommendOptions {
        filters: Filters {
            min_price: Some(f64::NAN),
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(r
        .recommend(&bad)
        .unwrap_err()
        .to_string()
        .contains("filters.minPrice"));
    assert!(r
        .similar("nope", &SimilarOptions::default())
        .unwrap_err()
        .to_string()
        .contains("itemId"));
    assert!(empty.load_catalog(vec![]).is_err());
    assert!(empty.train_chunk(10.0, &|| 0.0).is_err());
}

#[test]
fn track_counts_every_rejection() {
    let mut r = rec(7);
    let mut bad_qty = ev("0-0-0", "add_to_cart", 0.0);
    bad_qty.quantity = Some(f64::NAN);
    let mut nan_ts = ev("0-0-0", "view", 0.0);
    nan_ts.timestamp = f64::NAN;
    let rep = r
        .track(
            vec![
                ev("0-0-0", "view", 0.0),
                ev("missing", "view", 0.0),
                ev("0-0-0", "teleport", 0.0),
                ev("0-0-0", "search", 0.0),
                nan_ts,
                ev("0-0-0", "view", 1e6),
                bad_qty,
                ev("0-0-1", "addToCart", 1.0),
            ],
            T0 + 10.0 * MIN,
        )
        .unwrap();
    assert_eq!(rep.accepted, 2);
    let idx: Vec<usize> = rep.rejected.iter().map(|x| x.index).collect();
    assert_eq!(idx, vec![1, 2, 3, 4, 5, 6]);
    assert!(rep.rejected[0]
        .reason
        .contains("unknown item id \"missing\""));
    assert!(rep.rejected[3].reason.contains("NaN"));
    assert!(rep.rejected[4].reason.contains("future"));
    assert!(rep.rejected[5].reason.contains("quantity"));
    assert!(r
        .track(vec![RawEvent::default(); MAX_TRACK_BATCH + 1], T0)
        .is_err());
    assert!(r.track(vec![], f64::INFINITY).is_err());
    assert_eq!(r.inspect().events, 2);
}

#[test]
fn deterministic_for_a_seed() {
    let run = || {
        let mut r = rec(42);
        let mut rng = Rng::new(1);
        let events: Vec<RawEvent> = (0..40)
            .map(|i| {
                let id = format!("{}-{}-{}", rng.below(2), rng.below(4), rng.below(5));
                ev(
                    &id,
                    ["view", "click", "add_to_cart"][rng.below(3)],
                    i as f64 * 3.0,
                )
            })
            .collect();
        r.track(events, T0 + 200.0 * MIN).unwrap();
        let p = train_all(&mut r, &TrainOptions::default());
        let list = r
            .recommend(&RecommendOptions {
                k: 15,
                diversity: Diversity {
                    mmr_lambda: Some(0.7),
                    per_category_cap: None,
                },
                ..Default::default()
            })
            .unwrap();
        (p.epoch_losses, list, r.export_model().unwrap())
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
}

#[test]
fn fine_tuning_learns_the_local_pattern_and_budgets_hold() {
    // The shopper alternates between hiking shoes and garden tools, two
    // unrelated categories: the prior alone cannot connect them, the
    // training examples can (positives of both kinds after each other).
    let mut r = rec(11);
    let mut events = Vec::new();
    for i in 0..30 {
        let id = if i % 2 == 0 {
            format!("1-{}-{}", i % 4, i % 5)
        } else {
            format!("3-{}-{}", i % 4, (i + 2) % 5)
        };
        events.push(ev(&id, "view", i as f64 * 2.0));
    }
    r.track(events, T0 + 100.0 * MIN).unwrap();
    let p = train_all(
        &mut r,
        &TrainOptions {
            epochs: Some(20),
            ..Default::default()
        },
    );
    assert!(p.done);
    assert!(p.examples > 100, "{p:?}");
    let first = p.epoch_losses[0];
    let last = *p.epoch_losses.last().unwrap();
    assert!(last < first, "loss did not decrease: {:?}", p.epoch_losses);
    assert!(p.epoch_losses.iter().all(|l| l.is_finite()));
    // Budgets: max steps.
    let p = train_all(
        &mut r,
        &TrainOptions {
            max_steps: Some(7),
            epochs: Some(100),
            ..Default::default()
        },
    );
    assert_eq!((p.steps, p.stop_reason.as_deref()), (7, Some("maxSteps")));
    // Budget: max ms on a clock that advances 1 ms per reading.
    let t = std::cell::Cell::new(0.0);
    let clock = || {
        t.set(t.get() + 1.0);
        t.get()
    };
    let mut p = r
        .train_start(&TrainOptions {
            max_ms: Some(20.0),
            epochs: Some(1000),
            max_steps: Some(100_000),
            ..Default::default()
        })
        .unwrap();
    let mut chunks = 0;
    while !p.done {
        p = r.train_chunk(5.0, &clock).unwrap();
        chunks += 1;
    }
    assert_eq!(p.stop_reason.as_deref(), Some("maxMs"));
    assert!(
        chunks >= 3 && p.elapsed_ms <= 25.0,
        "{chunks} chunks, {p:?}"
    );
    // A learning rate that diverges is an error and the model is restored.
    let before = r.export_model().unwrap();
    let mut p = r
        .train_start(&TrainOptions {
            learning_rate: Some(10.0),
            epochs: Some(200),
            max_steps: Some(100_000),
            max_ms: Some(1e6),
            ..Default::default()
        })
        .unwrap();
    let mut failed = false;
    while !p.done {
        match r.train_chunk(1e9, &fake_clock()) {
            Ok(q) => p = q,
            Err(e) => {
                assert!(e.to_string().contains("restored"), "{e}");
                failed = true;
                break;
            }
        }
    }
    if failed {
        assert_eq!(r.export_model().unwrap(), before);
    }
    assert!(r
        .recommend(&RecommendOptions::default())
        .unwrap()
        .items
        .iter()
        .all(|x| x.score.is_finite()));
}

#[test]
fn degenerate_histories_train_without_nan() {
    // One-item catalog, identical events, a single event.
    let mut one = Recommender::new(RecommenderConfig {
        seed: Some(1),
        ..Default::default()
    })
    .unwrap();
    one.load_catalog(vec![CatalogItem {
        id: "only".into(),
        ..Default::default()
    }])
    .unwrap();
    let p = train_all(&mut one, &TrainOptions::default());
    assert_eq!(p.stop_reason.as_deref(), Some("noExamples"));
    one.track(vec![ev("only", "view", 0.0)], T0).unwrap();
    assert_eq!(train_all(&mut one, &TrainOptions::default()).examples, 0);
    one.track(
        (1..50).map(|i| ev("only", "view", i as f64)).collect(),
        T0 + 60.0 * MIN,
    )
    .unwrap();
    let p = train_all(&mut one, &TrainOptions::default());
    assert!(
        p.examples > 0 && p.epoch_losses.iter().all(|l| l.is_finite()),
        "{p:?}"
    );
    let out = one
        .recommend(&RecommendOptions {
            k: 1,
            filters: Filters::default(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.items.len(), 1);
    assert!(out.items[0].score.is_finite());
}

#[test]
fn model_and_events_round_trip_and_reject_foreign_or_corrupt_blobs() {
    let mut r = rec(12);
    r.track(
        (0..12)
            .map(|i| ev(&format!("0-{}-{}", i % 2, i % 5), "view", i as f64))
            .collect(),
        T0 + 20.0 * MIN,
    )
    .unwrap();
    assert!(r.export_model().is_err()); // nothing trained yet
    train_all(&mut r, &TrainOptions::default());
    let model = r.export_model().unwrap();
    let events = r.export_events(false);
    // A "reload": a fresh instance with the same catalog.
    let mut again = rec(99);
    again.import_events(&events).unwrap();
    again.import_model(&model).unwrap();
    assert_eq!(top(&again, 10), top(&r, 10));
    // Another catalog: rejected, the instance keeps its cold-start model.
    let mut other = Recommender::new(RecommenderConfig::default()).unwrap();
    other
        .load_catalog(vec![CatalogItem {
            id: "zz".into(),
            ..Default::default()
        }])
        .unwrap();
    assert!(other
        .import_model(&model)
        .unwrap_err()
        .to_string()
        .contains("another catalog"));
    assert!(!other.inspect().fine_tuned);
    // Truncated and bit-flipped blobs.
    for cut in [0, 10, model.len() / 2, model.len() - 1] {
        assert!(again.import_model(&model[..cut]).is_err());
    }
    let mut flipped = model.clone();
    flipped[30] ^= 1;
    assert!(again.import_model(&flipped).is_err());
    assert!(again
        .import_model(&events)
        .unwrap_err()
        .to_string()
        .contains("expected"));
    assert_eq!(top(&again, 10), top(&r, 10)); // unchanged by the failures
}

#[test]
fn unsaved_events_two_tabs_and_forget() {
    let mut tab1 = rec(13);
    let mut tab2 = rec(13);
    tab1.track(vec![ev("0-0-0", "view", 0.0)], T0).unwrap();
    tab2.track(vec![ev("1-0-0", "view", 0.5)], T0 + MIN)
        .unwrap();
    let a = tab1.export_events(true);
    assert_eq!(tab1.mark_saved(&a).unwrap(), 1);
    assert_eq!(tab1.inspect().unsaved_events, 0);
    let b = tab2.export_events(true);
    let mut reload = rec(13);
    reload.import_events(&a).unwrap();
    reload.import_events(&b).unwrap();
    let rep = reload.import_events(&a).unwrap();
    assert_eq!((rep.added, rep.duplicates), (0, 1));
    let info = reload.inspect();
    assert_eq!(info.events, 2);
    assert_eq!(info.distinct_items, 2);
    assert_eq!(info.first_event_ms, Some(T0));
    assert_eq!(info.by_kind.get("view"), Some(&2));
    // The profile was rebuilt from the merged events.
    assert!(reload
        .recommend(&RecommendOptions::default())
        .unwrap()
        .items[0]
        .reason_item_id
        .is_some());
    reload.forget();
    let info = reload.inspect();
    assert_eq!(
        (info.events, info.fine_tuned, info.distinct_items),
        (0, false, 0)
    );
    assert_eq!(top(&reload, 5), top(&rec(13), 5));
}

#[test]
fn similar_items_share_structure() {
    let r = rec(14);
    let out = r.similar("0-0-0", &SimilarOptions::default()).unwrap();
    assert_eq!(out.items.len(), 10);
    // Same category and brand first (4 siblings), then same category.
    for x in &out.items[..4] {
        assert!(x.item_id.starts_with("0-0-"), "{out:?}");
        assert!(x.reason.contains("same category and brand"));
        assert_eq!(x.reason_item_id.as_deref(), Some("0-0-0"));
    }
    assert!(out.items.iter().all(|x| x.item_id != "0-0-0"));
    let pans = r
        .similar(
            "0-0-0",
            &SimilarOptions {
                k: 5,
                filters: Filters {
                    categories: vec!["Kitchen".into()],
                    ..Default::default()
                },
            },
        )
        .unwrap();
    // Pans of brand Asics share the brand token; others nothing.
    assert!(
        pans.items.iter().all(|x| x.item_id.starts_with("2-0-")),
        "{pans:?}"
    );
}

#[test]
fn base_statistics_give_popularity_and_bought_together() {
    let mut r = rec(15);
    let t = r.table().unwrap();
    let ids: Vec<String> = t.items().iter().map(|i| i.id.clone()).collect();
    // The base model knows every item; "3-1-4" is the most popular, and
    // "2-3-3" is bought with "0-0-0".
    let mut pop = vec![1.0f32; ids.len()];
    let hot = t.index_of("3-1-4").unwrap();
    pop[hot as usize] = 1000.0;
    let mut nb = vec![Vec::new(); ids.len()];
    let a = t.index_of("0-0-0").unwrap();
    let b = t.index_of("2-3-3").unwrap();
    nb[a as usize] = vec![(b, 3.0)];
    let stats = BaseStats::align(&ids, |id| t.index_of(id), &pop, &nb).unwrap();
    r.set_base_stats(stats).unwrap();
    let cold = top(&r, 3);
    assert_eq!(cold.items[0].item_id, "3-1-4");
    assert_eq!(cold.items[0].reason, "popular in Garden > Tools");
    r.track(vec![ev("0-0-0", "view", 0.0)], T0).unwrap();
    // Content similarity to the viewed shoe ranks the shoes first; among the
    // rest, the bought-together pan leads.
    let warm = top(&r, 30);
    let x = warm
        .items
        .iter()
        .find(|x| !x.item_id.starts_with("0-"))
        .unwrap();
    assert_eq!(x.item_id, "2-3-3");
    let x = warm
        .items
        .iter()
        .find(|x| x.item_id == "2-3-3")
        .unwrap_or_else(|| panic!("{warm:#?}"));
    assert_eq!(x.reason_kind, ReasonKind::BoughtTogether);
    assert_eq!(x.reason_item_id.as_deref(), Some("0-0-0"));
    let sim = r.similar("0-0-0", &SimilarOptions::default()).unwrap();
    let pan = sim.items.iter().find(|x| x.item_id == "2-3-3").unwrap();
    assert_eq!(pan.reason_kind, ReasonKind::BoughtTogether);
    // Statistics of another catalog are refused.
    let foreign = BaseStats::align(&ids, |_| None, &pop, &nb);
    assert!(foreign.unwrap_err().to_string().contains("another catalog"));
}

/// A base model pretrained in-process on shoppers who buy an Asics running
/// shoe and then a Bosch garden tool (a cross-category pattern the catalog
/// attributes cannot show).
fn catalog_ids(r: &Recommender) -> Vec<String> {
    let items = r.table().map_or(&[][..], |t| t.items());
    items.iter().map(|i| i.id.clone()).collect()
}

fn base_model_bytes(ids: &[String]) -> Vec<u8> {
    base_model(ids).to_bytes()
}

fn base_model(ids: &[String]) -> crate::rec::BaseModel {
    use crate::rec::{pretrain, ItemVocab, PretrainConfig};
    let vocab = ItemVocab::from_ids(ids.to_vec()).unwrap();
    let idx = |s: &str| vocab.index(s).unwrap();
    let mut rng = Rng::new(3);
    let mut seqs: Vec<Vec<u32>> = Vec::new();
    for _ in 0..300 {
        let mut s = Vec::new();
        for _ in 0..4 {
            s.push(idx(&format!("0-0-{}", rng.below(5))));
            s.push(idx(&format!("3-3-{}", rng.below(5))));
        }
        seqs.push(s);
        // Background shoppers of other categories.
        seqs.push(
            (0..6)
                .map(|_| {
                    idx(&format!(
                        "{}-{}-{}",
                        1 + rng.below(2),
                        rng.below(4),
                        rng.below(5)
                    ))
                })
                .collect(),
        );
    }
    let refs: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    let cfg = PretrainConfig {
        epochs: 2,
        hidden: vec![8],
        ..PretrainConfig::default()
    };
    let (model, _) = pretrain(&refs, vocab, None, &[], &cfg, &mut |_| {}).unwrap();
    model
}

#[test]
fn embedding_neighbours_get_a_similarity_reason_not_bought_together() {
    use crate::rec::{CandidateConfig, ItemEmbedding};
    let mut r = rec(25);
    let ids = catalog_ids(&r);
    // A planted embedding: the pan "2-2-3" sits on the running shoe "0-0-1" (the base data
    // never show them together); every other item points along its category's axis.
    let model = base_model(&ids);
    let dim = 5;
    let mut vectors = vec![0.0f32; ids.len() * dim];
    for (i, id) in ids.iter().enumerate() {
        let axis = if id == "0-0-1" || id == "2-2-3" {
            4
        } else {
            id[..1].parse::<usize>().unwrap()
        };
        vectors[i * dim + axis] = 1.0;
    }
    let embedding = ItemEmbedding::from_vectors(dim, &vectors).unwrap();
    let mut model = model.with_embedding(Some(embedding)).unwrap();
    model.set_candidate_config(CandidateConfig::default());
    r.load_base_model(&model.to_bytes()).unwrap();
    r.track(vec![ev("0-0-1", "view", 0.0)], T0).unwrap();

    let kind_of = |list: &Recommendations, id: &str| {
        list.items
            .iter()
            .find(|x| x.item_id == id)
            .map(|x| (x.reason_kind, x.reason.clone(), x.reason_item_id.clone()))
    };
    let shoe = r
        .table()
        .unwrap()
        .get(r.table().unwrap().index_of("0-0-1").unwrap())
        .unwrap()
        .title
        .clone();
    let similar = r
        .similar(
            "0-0-1",
            &SimilarOptions {
                k: 79,
                ..Default::default()
            },
        )
        .unwrap();
    let (kind, reason, about) = kind_of(&similar, "2-2-3").expect("the pan is similar");
    assert_eq!(kind, ReasonKind::LearnedSimilarity, "{reason}");
    assert_eq!(reason, format!("similar to {shoe}"));
    assert_eq!(about.as_deref(), Some("0-0-1"));
    let tool = similar
        .items
        .iter()
        .find(|x| x.item_id.starts_with("3-3-"))
        .expect("a tool");
    assert_eq!(tool.reason_kind, ReasonKind::BoughtTogether, "{tool:?}");

    let list = r
        .recommend(&RecommendOptions {
            k: 80,
            ..Default::default()
        })
        .unwrap();
    let (kind, reason, about) = kind_of(&list, "2-2-3").expect("the pan is ranked");
    assert_eq!(kind, ReasonKind::LearnedSimilarity, "{reason}");
    assert_eq!(about.as_deref(), Some("0-0-1"));
    assert!(
        list.items
            .iter()
            .any(|x| x.reason_kind == ReasonKind::BoughtTogether
                && x.item_id.starts_with("3-3-")
                && x.reason_item_id.as_deref() == Some("0-0-1")),
        "{list:?}"
    );
    // No item the data never pairs with the shoe claims to be bought with it.
    assert!(list
        .items
        .iter()
        .chain(&similar.items)
        .all(|x| x.reason_kind != ReasonKind::BoughtTogether || x.item_id.starts_with("3-3-")));
}

#[test]
fn a_real_base_model_drives_cold_start_reasons_and_fine_tuning() {
    let mut r = rec(21);
    let ids = catalog_ids(&r);
    let bytes = base_model_bytes(&ids);
    let rep = r.load_base_model(&bytes).unwrap();
    assert_eq!((rep.model_items, rep.known_catalog_items), (80, 80));
    let cold = top(&r, 5);
    assert!(
        cold.items
            .iter()
            .all(|x| x.reason_kind == ReasonKind::Popular),
        "{cold:?}"
    );
    r.track(vec![ev("0-0-1", "view", 0.0)], T0).unwrap();
    let warm = top(&r, 15);
    let tools: Vec<&Recommendation> = warm
        .items
        .iter()
        .filter(|x| x.item_id.starts_with("3-3-"))
        .collect();
    assert!(
        !tools.is_empty(),
        "the bought-together tools are listed: {:?}",
        ids_of(&warm)
    );
    assert!(tools
        .iter()
        .any(|x| x.reason_kind == ReasonKind::BoughtTogether
            && x.reason_item_id.as_deref() == Some("0-0-1")));
    r.track(
        (1..12)
            .map(|i| ev(&format!("0-0-{}", i % 5), "view", i as f64))
            .collect(),
        T0 + 20.0 * MIN,
    )
    .unwrap();
    let p = train_all(&mut r, &TrainOptions::default());
    assert!(p.base_steps > 0 && p.done, "{p:?}");
    // The held-out check's verdict: which re-ranker weights are in use, and why.
    let verdict = r.inspect().base_fine_tune.unwrap_or_default();
    assert!(verdict.contains("weights kept"), "{verdict}");
    // Export / import restores both the head and the tuned base re-ranker.
    let model = r.export_model().unwrap();
    let events = r.export_events(false);
    let mut again = rec(22);
    again.load_base_model(&bytes).unwrap();
    again.import_events(&events).unwrap();
    assert_eq!(again.import_model(&model).unwrap().base_ranker, "restored");
    assert_eq!(top(&again, 10), top(&r, 10));
    let mut no_base = rec(23);
    assert!(no_base
        .import_model(&model)
        .unwrap()
        .base_ranker
        .starts_with("skipped"));
    // Corrupt, truncated and foreign base models are rejected; the instance keeps working.
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 4;
    let mut fresh = rec(24);
    assert!(fresh
        .load_base_model(&flipped)
        .unwrap_err()
        .to_string()
        .contains("checksum"));
    assert!(fresh.load_base_model(&bytes[..100]).is_err());
    let mut other = Recommender::new(RecommenderConfig::default()).unwrap();
    other
        .load_catalog(
            (0..10)
                .map(|i| CatalogItem {
                    id: format!("x{i}"),
                    ..Default::default()
                })
                .collect(),
        )
        .unwrap();
    let e = other.load_base_model(&bytes).unwrap_err().to_string();
    assert!(e.contains("another catalog"), "{e}");
    assert!(!other.inspect().base_model);
    assert_eq!(
        other
            .recommend(&RecommendOptions::default())
            .unwrap()
            .items
            .len(),
        10
    );
    // forget() drops the tuned re-ranker too.
    r.forget();
    assert!(!r.inspect().fine_tuned);
    assert_eq!(r.inspect().base_fine_tune, None);
    assert_eq!(top(&r, 5), cold);
}

fn ids_of(r: &Recommendations) -> Vec<String> {
    ids(r)
}

/// A shop of `n` items shaped like `tests/web_scale.rs`: 400 categories of
/// 125 items in 12 departments, 300 brands, with a base model whose
/// statistics are counted on synthetic sessions, a shopper's 200 events and
/// a fine-tuned head.
fn big_shop(n: u32, sessions: usize) -> Recommender {
    use crate::nn::{Activation, MlpParams};
    use crate::rec::{BaseModel, CandidateConfig, ItemStats, ItemVocab, StatsConfig};
    let cats = n.div_ceil(125).max(1);
    let items: Vec<CatalogItem> = (0..n)
        .map(|i| {
            let c = i / 125;
            CatalogItem {
                id: format!("sku-{i}"),
                title: Some(format!("Product {i} of line {c}")),
                category: Some(format!("Dept{} > Cat{c}", c % 12)),
                brand: Some(format!("Brand{}", i % 300)),
                price: Some(5.0 + (i % 200) as f64),
                rating: Some(3.0 + (i % 5) as f64 * 0.4),
                in_stock: Some(i % 10 != 0),
                ..Default::default()
            }
        })
        .collect();
    let mut rng = Rng::new(5);
    let session = |rng: &mut Rng| -> Vec<u32> {
        let cs = [
            rng.below(cats as usize) as u32,
            rng.below(cats as usize) as u32,
        ];
        let len = 3 + rng.below(8);
        (0..len)
            .map(|_| {
                let c = cs[rng.below(2)];
                let k = ((rng.next_f64().powi(2) * 125.0) as u32).min(124);
                (c * 125 + k).min(n - 1)
            })
            .collect()
    };
    let seqs: Vec<Vec<u32>> = (0..sessions).map(|_| session(&mut rng)).collect();
    let refs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
    let vocab = ItemVocab::from_ids((0..n).map(|i| format!("sku-{i}")).collect()).unwrap();
    let stats = ItemStats::build(&refs, n as usize, &[], &StatsConfig::default()).unwrap();
    let ranker = MlpParams::new(crate::rec::FEATURE_COUNT)
        .layer(16, Activation::Relu)
        .layer(1, Activation::Sigmoid)
        .seed(1)
        .init()
        .unwrap();
    let blob = BaseModel::new(
        vocab,
        ItemVocab::new(),
        stats,
        CandidateConfig::default(),
        ranker,
    )
    .unwrap()
    .to_bytes();
    let mut r = Recommender::new(RecommenderConfig {
        seed: Some(3),
        ..Default::default()
    })
    .unwrap();
    r.load_catalog(items).unwrap();
    r.load_base_model(&blob).unwrap();
    let mut rng = Rng::new(9);
    let events: Vec<RawEvent> = (0..40)
        .flat_map(|k| {
            session(&mut rng)
                .into_iter()
                .enumerate()
                .map(move |(j, item)| {
                    ev(
                        &format!("sku-{item}"),
                        if j % 5 == 4 { "add_to_cart" } else { "view" },
                        (k * 20 + j) as f64,
                    )
                })
                .collect::<Vec<_>>()
        })
        .take(200)
        .collect();
    r.track(events, T0 + 1000.0 * MIN).unwrap();
    let p = train_all(&mut r, &TrainOptions::default());
    assert!(p.done && p.steps > 0, "{p:?}");
    r
}

/// Times `recommend` and `similar` on 50,000 items (prints, asserts
/// nothing about time): `cargo test --release --lib -- --ignored
/// --nocapture recommend_speed_on_50k_items`.
#[test]
#[ignore]
fn recommend_speed_on_50k_items() {
    let r = big_shop(50_000, 20_000);
    let time = |f: &dyn Fn()| {
        let mut ms: Vec<f64> = (0..15)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        (ms[0], ms[ms.len() / 2])
    };
    let opts = |k| RecommendOptions {
        k,
        ..Default::default()
    };
    type Case<'a> = (&'static str, Box<dyn Fn() + 'a>);
    let cases: [Case; 4] = [
        (
            "recommend k=20",
            Box::new(|| drop(r.recommend(&opts(20)).unwrap())),
        ),
        (
            "recommend k=200",
            Box::new(|| drop(r.recommend(&opts(200)).unwrap())),
        ),
        (
            "recommend k=20 in-stock, MMR 0.7",
            Box::new(|| {
                let mut o = opts(20);
                o.filters.in_stock_only = true;
                o.diversity.mmr_lambda = Some(0.7);
                drop(r.recommend(&o).unwrap())
            }),
        ),
        (
            "similar k=10",
            Box::new(|| drop(r.similar("sku-125", &SimilarOptions::default()).unwrap())),
        ),
    ];
    for (what, f) in &cases {
        let (min, median) = time(f.as_ref());
        println!("50k items, {what}: min {min:.2} ms, median {median:.2} ms");
    }
}

/// `recommend` scores blocks of items with the batched head, skips the
/// purchase / cart lookups of untouched items, reads dense token tables and
/// sorts only the head of the ranking: its lists must equal, score for score,
/// those of the plain path (every item's features, one `logit` each, the
/// full sort), kept here as the reference.
#[test]
fn fast_ranking_equals_the_full_sort_reference() {
    let r = big_shop(5_000, 3_000);
    let table = r.table().unwrap();
    let ctx = Context::new(table, &r.profile, r.base_stats())
        .with_ranker_scores(r.ranker_scores(&r.indexed_events()));
    let mut jaccard_matches = 0;
    for (i, it) in table.items().iter().enumerate() {
        let i = i as u32;
        let x = ctx.features(i);
        assert_eq!(
            x[0].to_bits(),
            (r.profile.token_affinity(&it.tokens) as f32).to_bits()
        );
        let brute = r
            .profile
            .recent()
            .iter()
            .rev()
            .enumerate()
            .filter(|&(_, &h)| h != i)
            .map(|(age, &h)| {
                let rw = 0.85f32.powi(age as i32);
                (h, jaccard(&it.tokens, &table.get(h).unwrap().tokens) * rw)
            })
            .fold(None, |best: Option<(u32, f32)>, (h, s)| {
                if s > 0.0 && best.is_none_or(|(_, b)| s > b) {
                    Some((h, s))
                } else {
                    best
                }
            });
        assert_eq!(ctx.best_recent_match(i, it), brute);
        jaccard_matches += usize::from(brute.is_some());
    }
    assert!(
        jaccard_matches > 100 && jaccard_matches < 4_000,
        "{jaccard_matches}"
    );
    let mut cases = Vec::new();
    for k in [1, 20, 200] {
        cases.push(RecommendOptions {
            k,
            ..Default::default()
        });
    }
    let mut o = RecommendOptions {
        k: 20,
        ..Default::default()
    };
    o.filters.in_stock_only = true;
    o.diversity.mmr_lambda = Some(0.7);
    cases.push(o.clone());
    o.diversity.per_category_cap = Some(2);
    cases.push(o.clone());
    // A cap without MMR that the best 600 cannot fill: the full sort.
    let mut o = RecommendOptions {
        k: 30,
        ..Default::default()
    };
    o.diversity.per_category_cap = Some(3);
    o.filters.max_price = Some(50.0);
    cases.push(o);
    for opts in &cases {
        let got = r.recommend(opts).unwrap();
        let mut reference: Vec<(f32, u32)> = Vec::new();
        for (i, it) in table.items().iter().enumerate() {
            let i = i as u32;
            let f = &opts.filters;
            if (f.exclude_purchased && r.profile.purchased(i))
                || (f.exclude_in_cart && r.profile.in_cart(i))
                || !f.item_passes(it, &f.category_paths())
            {
                continue;
            }
            let x = ctx.features(i);
            let mut z = [0.0f32];
            r.head
                .as_ref()
                .unwrap()
                .logits(&x, &mut z, &mut crate::nn::Workspace::new())
                .unwrap();
            let s = prior_score(&x) + z[0];
            reference.push((if s.is_finite() { s } else { f32::MIN }, i));
        }
        assert_eq!(got.candidates, reference.len());
        reference.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let want: Vec<(String, f64)> = diversify(table, &reference, opts.k, &opts.diversity)
            .into_iter()
            .map(|(s, i)| (table.get(i).unwrap().id.clone(), s as f64))
            .collect();
        let have: Vec<(String, f64)> = got
            .items
            .iter()
            .map(|x| (x.item_id.clone(), x.score))
            .collect();
        assert_eq!(have, want, "{opts:?}");
        assert!(!have.is_empty());
    }
}
