//! Preprocessing on the real Amazon Beauty data (research-only, read from
//! /work/shared/data, never copied). Skips with a message when it is absent.
//!
//! The data has anonymous attribute ids (category levels and brand) and no
//! timestamps: attributes become tags, each review a purchase event, one
//! synthetic day apart (only the order is real).
//!
//! Timings: `cargo test --release --test prep_real_data -- --ignored --nocapture`.
#![cfg(not(target_arch = "wasm32"))] // native test: files, serde_json, threads

use localrec::prep::{
    clean_events, Catalog, CatalogItem, CleanConfig, FeatureConfig, ItemFeaturizer, Profile,
    ProfileConfig, RawEvent,
};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

const DIR: &str = "/work/shared/data/amazon-beauty";
const DAY: f64 = 86_400_000.0;
const T0: f64 = 1_400_000_000_000.0;

fn load() -> Option<(Vec<CatalogItem>, Vec<Vec<String>>)> {
    let attrs_path = Path::new(DIR).join("Beauty_item2attributes.json");
    let seq_path = Path::new(DIR).join("Beauty.txt");
    let (Ok(attrs), Ok(seqs)) = (
        std::fs::read_to_string(&attrs_path),
        std::fs::read_to_string(&seq_path),
    ) else {
        eprintln!("SKIPPED: Amazon Beauty data not found in {DIR}");
        return None;
    };
    let attrs: BTreeMap<String, Vec<u32>> = serde_json::from_str(&attrs).expect("attributes JSON");
    let sequences: Vec<Vec<String>> = seqs
        .lines()
        .map(|l| l.split_whitespace().skip(1).map(String::from).collect())
        .collect();
    let mut ids: BTreeSet<u32> = BTreeSet::new();
    for s in &sequences {
        ids.extend(s.iter().map(|i| i.parse::<u32>().expect("numeric item id")));
    }
    let items = ids
        .iter()
        .map(|id| CatalogItem {
            id: id.to_string(),
            tags: attrs
                .get(&id.to_string())
                .map(|a| a.iter().map(|x| format!("attr{x}")).collect())
                .unwrap_or_default(),
            ..Default::default()
        })
        .collect();
    Some((items, sequences))
}

fn user_events(seq: &[String]) -> Vec<RawEvent> {
    seq.iter()
        .enumerate()
        .map(|(k, id)| RawEvent {
            item_id: id.clone(),
            kind: "purchase".into(),
            timestamp: T0 + k as f64 * DAY,
            ..Default::default()
        })
        .collect()
}

#[test]
fn beauty_attribute_tokens_are_a_bijection_of_attribute_ids() {
    let Some((items, _)) = load() else { return };
    let raw_sets: Vec<BTreeSet<String>> = items
        .iter()
        .map(|i| i.tags.iter().cloned().collect())
        .collect();
    let distinct_attrs: BTreeSet<&String> = raw_sets.iter().flatten().collect();
    let (catalog, report) = Catalog::from_items(items).unwrap();
    assert_eq!(catalog.len(), 12_101);
    assert_eq!(report.dropped_total(), 0);
    let mut token_of: BTreeMap<&String, u32> = BTreeMap::new();
    for (item, attrs) in catalog.items().iter().zip(&raw_sets) {
        assert_eq!(item.tokens.len(), attrs.len(), "item {}", item.id);
        for a in attrs {
            let t = localrec::prep::catalog::tag_token(a);
            assert!(item.tokens.contains(&t));
            token_of.insert(a, t);
        }
    }
    let distinct_tokens: BTreeSet<u32> = token_of.values().copied().collect();
    assert_eq!(distinct_attrs.len(), 637);
    assert_eq!(
        distinct_tokens.len(),
        distinct_attrs.len(),
        "32-bit token collision"
    );
}

#[test]
fn beauty_featurizer_fits_transforms_and_round_trips() {
    let Some((items, _)) = load() else { return };
    let (catalog, _) = Catalog::from_items(items).unwrap();
    let f = ItemFeaturizer::fit(&catalog, &FeatureConfig::default()).unwrap();
    let m = f.transform_catalog(&catalog).unwrap();
    assert_eq!(m.dim(), (12_101, f.dim()));
    assert!(m.iter().all(|x| x.is_finite()));
    // Every item has tags, none has a price: the price-missing indicator is on for all.
    let names = f.feature_names();
    let missing = names.iter().position(|n| n == "price_missing").unwrap();
    assert!(m.column(missing).iter().all(|&x| x == 1.0));
    let tag_cols: Vec<usize> = (0..names.len())
        .filter(|&i| names[i].starts_with("tag_hash_") && !names[i].ends_with("<oov>"))
        .collect();
    for row in m.rows() {
        assert!(tag_cols.iter().any(|&c| row[c] == 1.0));
    }
    let bytes = f.to_bytes();
    let g = ItemFeaturizer::from_bytes(&bytes).unwrap();
    assert_eq!(g.transform_catalog(&catalog).unwrap(), m);
    println!("featurizer: dim {}, {} bytes", f.dim(), bytes.len());
}

#[test]
fn beauty_histories_clean_and_build_profiles() {
    let Some((items, sequences)) = load() else {
        return;
    };
    let (catalog, _) = Catalog::from_items(items).unwrap();
    let now = T0 + 400.0 * DAY;
    let mut total_in = 0;
    let mut total_kept = 0;
    for seq in sequences.iter().step_by(7) {
        let (events, report) =
            clean_events(&catalog, user_events(seq), &CleanConfig::default(), now).unwrap();
        total_in += report.input;
        total_kept += report.kept;
        let p = Profile::from_events(ProfileConfig::default(), &events, &catalog).unwrap();
        let history: Vec<u32> = p.history().iter().map(|h| h.item).collect();
        let want: Vec<u32> = seq
            .iter()
            .rev()
            .take(50)
            .rev()
            .map(|id| catalog.index_of(id).unwrap())
            .collect();
        assert_eq!(history, want);
        assert_eq!(p.session(now).sessions as usize, seq.len()); // one day apart: one session each
        let last = catalog.index_of(seq.last().unwrap()).unwrap();
        assert!(p.item_strength(last, now) > 0.0);
    }
    // One day apart, one purchase each: nothing is a duplicate or a burst.
    assert_eq!(total_in, total_kept);
}

#[test]
#[ignore = "timing run: prints numbers, asserts nothing about speed"]
fn beauty_timings() {
    let Some((items, sequences)) = load() else {
        return;
    };
    let t = Instant::now();
    let (catalog, _) = Catalog::from_items(items).unwrap();
    let catalog_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let f = ItemFeaturizer::fit(&catalog, &FeatureConfig::default()).unwrap();
    let fit_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let m = f.transform_catalog(&catalog).unwrap();
    let transform_ms = t.elapsed().as_secs_f64() * 1e3;
    let raw: Vec<Vec<RawEvent>> = sequences.iter().map(|s| user_events(s)).collect();
    let n_events: usize = raw.iter().map(Vec::len).sum();
    let t = Instant::now();
    let cleaned: Vec<_> = raw
        .into_iter()
        .map(|r| {
            clean_events(&catalog, r, &CleanConfig::default(), T0 + 400.0 * DAY)
                .unwrap()
                .0
        })
        .collect();
    let clean_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let mut checksum = 0.0;
    for events in &cleaned {
        let p = Profile::from_events(ProfileConfig::default(), events, &catalog).unwrap();
        checksum += p.session(T0).events as f64;
    }
    let profile_ms = t.elapsed().as_secs_f64() * 1e3;
    println!(
        "catalog {} items: clean {catalog_ms:.1} ms, fit {fit_ms:.1} ms, transform all ({} x {}) {transform_ms:.1} ms",
        catalog.len(),
        m.nrows(),
        m.ncols()
    );
    println!(
        "{} users, {n_events} events: clean_events {clean_ms:.1} ms ({:.2} us/event), profiles {profile_ms:.1} ms ({:.2} us/event), checksum {checksum}",
        cleaned.len(),
        clean_ms * 1e3 / n_events as f64,
        profile_ms * 1e3 / n_events as f64
    );
}
