//! Fine-tuning on the shopper's local history improves the held-out ranking
//! of the shopper's later items (issue 5), on the package path: the
//! `Recommender` API with a base model pretrained by `rec::pretrain` on the
//! aggregate data of *other* shoppers.
//!
//! The synthetic shop has a known structure. Other shoppers browse one
//! category per visit, any brand, and favour the popular items of it: the
//! base model learns "items of the same category go together" and
//! "popular first". The test shopper is loyal to one brand inside two
//! personal categories and picks items regardless of popularity: a taste the
//! aggregate data does not contain, so only local fine-tuning can learn it.
//! Each shopper's events are split in time: the first 70 % are tracked (and
//! trained on), the last 30 % are the held-out items. We rank the whole
//! catalog (items already seen excluded) and measure HR@10 (share of the
//! held-out items in the top 10) and MRR, averaged over seeded shoppers:
//! base model alone vs base model + fine-tuning, and without a base model
//! (profile prior alone vs trained from scratch on local history).
#![cfg(not(target_arch = "wasm32"))]

use localrec::prep::{CatalogItem, RawEvent};
use localrec::rec::{pretrain, ItemVocab, PretrainConfig};
use localrec::recommender::{RecommendOptions, Recommender, RecommenderConfig, TrainOptions};
use localrec::rng::Rng;

const CATEGORIES: usize = 8;
const BRANDS: usize = 6;
const PER_CELL: usize = 12;
const T0: f64 = 1.7e12;
const MINUTE: f64 = 60_000.0;

fn item_id(c: usize, b: usize, n: usize) -> String {
    format!("c{c}-b{b}-{n}")
}

fn catalog() -> Vec<CatalogItem> {
    let mut out = Vec::new();
    for c in 0..CATEGORIES {
        for b in 0..BRANDS {
            for n in 0..PER_CELL {
                out.push(CatalogItem {
                    id: item_id(c, b, n),
                    title: Some(format!("Brand{b} Cat{c} #{n}")),
                    category: Some(format!("Dept{} > Cat{c}", c / 2)),
                    brand: Some(format!("Brand{b}")),
                    price: Some(15.0 + 12.0 * c as f64 + n as f64),
                    rating: Some(3.0 + ((c + b + n) % 5) as f64 * 0.4),
                    ..Default::default()
                });
            }
        }
    }
    out
}

/// Popularity-skewed item number: small numbers are the shop's best sellers.
fn popular_n(rng: &mut Rng) -> usize {
    rng.below(PER_CELL).min(rng.below(PER_CELL))
}

/// The base model, pretrained on 800 other shoppers' visits (one category
/// each, any brand, popular items first).
fn base_model(ids: &[String]) -> Vec<u8> {
    let vocab = ItemVocab::from_ids(ids.to_vec()).expect("vocabulary");
    let mut rng = Rng::new(99);
    let mut seqs: Vec<Vec<u32>> = Vec::new();
    for _ in 0..800 {
        let c = rng.below(CATEGORIES).min(rng.below(CATEGORIES));
        let s = (0..6)
            .map(|_| {
                let id = item_id(c, rng.below(BRANDS), popular_n(&mut rng));
                vocab.index(&id).expect("catalog id")
            })
            .collect();
        seqs.push(s);
    }
    let refs: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    let cfg = PretrainConfig {
        epochs: 3,
        hidden: vec![16],
        ..PretrainConfig::default()
    };
    let (model, report) = pretrain(&refs, vocab, None, &[], &cfg, &mut |_| {}).expect("pretrain");
    eprintln!(
        "base model: {} training histories, candidate recall {:.2}, best epoch {}",
        report.histories,
        report.candidate_recall,
        report.best_epoch + 1
    );
    model.to_bytes()
}

/// One shopper: brand-loyal inside two personal categories, every item of
/// those two cells once, in a random order (no popularity preference): 24
/// distinct items, so the held-out items are exactly the unseen items of the
/// shopper's taste (a perfect ranking puts all of them in the top 10).
fn shopper(seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let brand = rng.below(BRANDS);
    let mut cats: Vec<usize> = (0..CATEGORIES).collect();
    rng.shuffle(&mut cats);
    let mut items: Vec<String> = cats[..2]
        .iter()
        .flat_map(|&c| (0..PER_CELL).map(move |n| item_id(c, brand, n)))
        .collect();
    rng.shuffle(&mut items);
    items
}

#[derive(Debug, Default, Clone, Copy)]
struct Scores {
    hr10: f64,
    mrr: f64,
}

/// HR@10 and MRR of the held-out items in the full ranking of the unseen items.
fn measure(rec: &Recommender, seen: &[String], held_out: &[String]) -> Scores {
    let k = catalog().len().min(1000);
    let list = rec
        .recommend(&RecommendOptions {
            k,
            ..Default::default()
        })
        .expect("recommend");
    let ranked: Vec<&str> = list
        .items
        .iter()
        .map(|x| x.item_id.as_str())
        .filter(|id| !seen.iter().any(|s| s == id))
        .collect();
    let mut s = Scores::default();
    for h in held_out {
        let rank = ranked
            .iter()
            .position(|id| id == h)
            .expect("every unseen item is ranked")
            + 1;
        s.hr10 += (rank <= 10) as u8 as f64;
        s.mrr += 1.0 / rank as f64;
    }
    s.hr10 /= held_out.len() as f64;
    s.mrr /= held_out.len() as f64;
    s
}

/// A fake clock (1 µs a reading): the step budget, not time, ends training.
fn train(rec: &mut Recommender) {
    let t = std::cell::Cell::new(0.0);
    let clock = || {
        t.set(t.get() + 0.001);
        t.get()
    };
    let mut p = rec.train_start(&TrainOptions::default()).expect("train");
    while !p.done {
        p = rec.train_chunk(10.0, &clock).expect("chunk");
    }
}

#[test]
fn fine_tuning_improves_the_held_out_ranking_of_later_items() {
    let items = catalog();
    let ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    let base = base_model(&ids);
    let shoppers = 8u64;
    let mut sums = [Scores::default(); 4];
    let names = [
        "base model alone",
        "base model + fine-tuning",
        "no base model, profile prior",
        "no base model, trained on local history",
    ];
    for s in 0..shoppers {
        let history = shopper(1000 + s);
        let cut = history.len() * 7 / 10;
        let (seen, held_out) = history.split_at(cut);
        let events: Vec<RawEvent> = seen
            .iter()
            .enumerate()
            .map(|(i, id)| RawEvent {
                item_id: id.clone(),
                kind: "view".into(),
                timestamp: T0 + i as f64 * 2.0 * MINUTE,
                ..Default::default()
            })
            .collect();
        for with_base in [true, false] {
            let mut rec = Recommender::new(RecommenderConfig {
                seed: Some(7 + s),
                ..Default::default()
            })
            .expect("recommender");
            rec.load_catalog(items.clone()).expect("catalog");
            if with_base {
                rec.load_base_model(&base).expect("base model");
            }
            let report = rec
                .track(events.clone(), T0 + 1000.0 * MINUTE)
                .expect("track");
            assert_eq!(report.accepted, seen.len(), "{report:?}");
            let before = measure(&rec, seen, held_out);
            train(&mut rec);
            let after = measure(&rec, seen, held_out);
            let slot = if with_base { 0 } else { 2 };
            for (i, m) in [(slot, before), (slot + 1, after)] {
                sums[i].hr10 += m.hr10;
                sums[i].mrr += m.mrr;
            }
            eprintln!(
                "shopper {s} {}: HR@10 {:.3} -> {:.3}, MRR {:.3} -> {:.3}",
                if with_base { "with base" } else { "no base  " },
                before.hr10,
                after.hr10,
                before.mrr,
                after.mrr
            );
        }
    }
    let mean: Vec<Scores> = sums
        .iter()
        .map(|s| Scores {
            hr10: s.hr10 / shoppers as f64,
            mrr: s.mrr / shoppers as f64,
        })
        .collect();
    for (name, m) in names.iter().zip(&mean) {
        eprintln!(
            "{name:<42} HR@10 {:.3}  MRR {:.3}  (mean of {shoppers} shoppers)",
            m.hr10, m.mrr
        );
    }
    assert!(
        mean[1].hr10 > mean[0].hr10 && mean[1].mrr > mean[0].mrr,
        "fine-tuning did not improve on the base model alone: {mean:?}"
    );
}
