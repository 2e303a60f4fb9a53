//! The fitted item featurizer: hand-computed values, unseen categories and
//! missing fields at transform time, serialization round trip.
#![cfg(not(target_arch = "wasm32"))] // native test: files, serde_json, threads

use localrec::prep::{Catalog, CatalogItem, FeatureConfig, ItemFeaturizer};
use std::collections::BTreeMap;
use std::f64::consts::E;

fn catalog() -> Catalog {
    let mut a_attrs = BTreeMap::new();
    a_attrs.insert("ml".to_string(), 10.0);
    a_attrs.insert("rare".to_string(), 1.0);
    let mut b_attrs = BTreeMap::new();
    b_attrs.insert("ml".to_string(), 30.0);
    let items = vec![
        CatalogItem {
            id: "a".into(),
            title: Some("Vitamin Serum".into()),
            category: Some("Beauty > Skin".into()),
            brand: Some("Glow".into()),
            price: Some(E - 1.0), // log1p = 1
            tags: vec!["vegan".into()],
            in_stock: Some(true),
            rating: Some(2.0),
            attributes: a_attrs.into_iter().collect(),
            image: Some("https://img/a.jpg".into()),
        },
        CatalogItem {
            id: "b".into(),
            title: Some("Hair Oil".into()),
            category: Some("Beauty > Hair".into()),
            brand: Some("Silk".into()),
            price: Some(E.powi(3) - 1.0), // log1p = 3
            in_stock: Some(false),
            rating: Some(4.0),
            attributes: b_attrs.into_iter().collect(),
            ..Default::default()
        },
        CatalogItem {
            id: "c".into(),
            category: Some("Home".into()),
            ..Default::default()
        },
    ];
    Catalog::from_items(items).unwrap().0
}

fn config() -> FeatureConfig {
    FeatureConfig {
        price_buckets: 2,
        category_buckets: 8,
        brand_buckets: 8,
        tag_buckets: 8,
        title_buckets: 8,
        ..FeatureConfig::default()
    }
}

fn feature(f: &ItemFeaturizer, x: &[f32], name: &str) -> f32 {
    let i = f
        .feature_names()
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no feature {name}"));
    x[i]
}

fn close(a: f32, b: f64) -> bool {
    (f64::from(a) - b).abs() < 1e-6
}

#[test]
fn numeric_features_match_hand_computed_values() {
    let c = catalog();
    let f = ItemFeaturizer::fit(&c, &config()).unwrap();
    assert_eq!(f.feature_names().len(), f.dim());
    assert_eq!(f.attribute_names(), vec!["ml"]); // "rare" is on one item only
    let x: Vec<Vec<f32>> = c.items().iter().map(|i| f.transform(i).unwrap()).collect();
    // log prices 1 and 3: mean 2, population std 1.
    assert!(close(feature(&f, &x[0], "price_log_z"), -1.0));
    assert!(close(feature(&f, &x[1], "price_log_z"), 1.0));
    assert_eq!(feature(&f, &x[2], "price_log_z"), 0.0);
    assert_eq!(feature(&f, &x[2], "price_missing"), 1.0);
    assert_eq!(feature(&f, &x[0], "price_missing"), 0.0);
    // Two quantile buckets split at log price 3.
    assert_eq!(feature(&f, &x[0], "price_bucket_0"), 1.0);
    assert_eq!(feature(&f, &x[1], "price_bucket_1"), 1.0);
    assert_eq!(
        feature(&f, &x[2], "price_bucket_0") + feature(&f, &x[2], "price_bucket_1"),
        0.0
    );
    // Ratings 2 and 4: min-max 0 and 1, the missing one imputed with the mean 0.5.
    assert_eq!(feature(&f, &x[0], "rating_minmax"), 0.0);
    assert_eq!(feature(&f, &x[1], "rating_minmax"), 1.0);
    assert_eq!(feature(&f, &x[2], "rating_minmax"), 0.5);
    assert_eq!(feature(&f, &x[2], "rating_missing"), 1.0);
    // In stock: one of two known, so the missing one is imputed 0.5.
    assert_eq!(feature(&f, &x[0], "in_stock"), 1.0);
    assert_eq!(feature(&f, &x[1], "in_stock"), 0.0);
    assert_eq!(feature(&f, &x[2], "in_stock"), 0.5);
    assert_eq!(feature(&f, &x[2], "in_stock_missing"), 1.0);
    // Attribute ml 10 and 30: z -1 and +1.
    assert!(close(feature(&f, &x[0], "attr_z:ml"), -1.0));
    assert!(close(feature(&f, &x[1], "attr_z:ml"), 1.0));
    assert_eq!(feature(&f, &x[2], "attr_missing:ml"), 1.0);
    assert_eq!(feature(&f, &x[0], "has_image"), 1.0);
    assert_eq!(feature(&f, &x[2], "has_title"), 0.0);
    // Top-level categories: beauty (2 items) then home.
    assert_eq!(feature(&f, &x[0], "top_category=beauty"), 1.0);
    assert_eq!(feature(&f, &x[2], "top_category=home"), 1.0);
    assert_eq!(feature(&f, &x[2], "top_category=<oov>"), 0.0);
}

#[test]
fn hashed_blocks_hit_the_buckets_of_their_values() {
    let c = catalog();
    let f = ItemFeaturizer::fit(&c, &config()).unwrap();
    let x = f.transform(c.item(0).unwrap()).unwrap();
    let names = f.feature_names();
    let hot = |prefix: &str| -> usize {
        names
            .iter()
            .zip(&x)
            .filter(|(n, v)| n.starts_with(prefix) && **v == 1.0)
            .count()
    };
    // Two category prefixes (beauty, beauty>skin) may collide into one bucket of 8.
    assert!((1..=2).contains(&hot("category_hash_")));
    assert_eq!(hot("brand_hash_"), 1);
    assert_eq!(hot("tag_hash_"), 1);
    assert!((1..=2).contains(&hot("title_hash_"))); // vitamin, serum
    assert_eq!(hot("brand_hash_<oov>") + hot("tag_hash_<oov>"), 0);
    // Item c has no brand, tags or title: those blocks are all zero.
    let xc = f.transform(c.item(2).unwrap()).unwrap();
    for (n, v) in names.iter().zip(&xc) {
        if n.starts_with("brand_") || n.starts_with("tag_") || n.starts_with("title_") {
            assert_eq!(*v, 0.0, "{n}");
        }
    }
}

#[test]
fn unseen_values_go_to_oov_and_extreme_numbers_are_clipped() {
    let c = catalog();
    let f = ItemFeaturizer::fit(&c, &config()).unwrap();
    let new_item = CatalogItem {
        id: "new".into(),
        title: Some("Garden Hose".into()),
        category: Some("Garden > Tools".into()),
        brand: Some("Unknown Brand".into()),
        tags: vec!["outdoor".into()],
        price: Some(1e6),
        rating: Some(f64::NAN),
        attributes: [("ml".to_string(), f64::INFINITY)].into_iter().collect(),
        ..Default::default()
    };
    let x = f.transform_raw(new_item).unwrap();
    for name in [
        "top_category=<oov>",
        "category_hash_<oov>",
        "brand_hash_<oov>",
        "tag_hash_<oov>",
        "title_hash_<oov>",
        "rating_missing",
        "attr_missing:ml",
        "price_bucket_1",
    ] {
        assert_eq!(feature(&f, &x, name), 1.0, "{name}");
    }
    assert_eq!(feature(&f, &x, "price_log_z"), 5.0); // z = 11.8, clipped
    assert!(x.iter().all(|v| v.is_finite()));
    let e = f
        .transform_raw(CatalogItem::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("item.id") && e.contains("missing_id"), "{e}");
}

#[test]
fn serialization_round_trip_gives_identical_outputs() {
    let c = catalog();
    let f = ItemFeaturizer::fit(&c, &FeatureConfig::default()).unwrap();
    let bytes = f.to_bytes();
    let g = ItemFeaturizer::from_bytes(&bytes).unwrap();
    assert_eq!(f, g);
    assert_eq!(g.to_bytes(), bytes);
    assert_eq!(
        f.transform_catalog(&c).unwrap(),
        g.transform_catalog(&c).unwrap()
    );
    assert_eq!(g.catalog_fingerprint(), c.fingerprint());
    // Fitting is deterministic.
    assert_eq!(
        ItemFeaturizer::fit(&c, &FeatureConfig::default())
            .unwrap()
            .to_bytes(),
        bytes
    );
}

#[test]
fn corrupt_truncated_or_foreign_bytes_are_rejected() {
    let c = catalog();
    let bytes = ItemFeaturizer::fit(&c, &config()).unwrap().to_bytes();
    for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            ItemFeaturizer::from_bytes(&bytes[..cut]).is_err(),
            "cut {cut}"
        );
    }
    for pos in [20, bytes.len() / 2, bytes.len() - 5] {
        let mut b = bytes.clone();
        b[pos] ^= 0x40;
        assert!(ItemFeaturizer::from_bytes(&b).is_err(), "flip at {pos}");
    }
    let other = localrec::codec::seal(*b"MLP0", 1, &[1, 2, 3]);
    let e = ItemFeaturizer::from_bytes(&other).unwrap_err().to_string();
    assert!(e.contains("PREP"), "{e}");
}

#[test]
fn transform_catalog_rows_equal_single_transforms_and_tokens_match() {
    let c = catalog();
    let f = ItemFeaturizer::fit(&c, &config()).unwrap();
    let m = f.transform_catalog(&c).unwrap();
    for (i, item) in c.items().iter().enumerate() {
        assert_eq!(m.row(i).to_vec(), f.transform(item).unwrap());
        let t = f.tokens(item);
        assert_eq!(t, item.tokens);
        assert!(t.windows(2).all(|w| w[0] < w[1]));
    }
    // a and b share the "beauty" prefix token; c shares none with them.
    let shared = |x: &[u32], y: &[u32]| x.iter().filter(|t| y.contains(t)).count();
    assert_eq!(shared(&c.items()[0].tokens, &c.items()[1].tokens), 1);
    assert_eq!(shared(&c.items()[0].tokens, &c.items()[2].tokens), 0);
}

#[test]
fn config_errors_name_the_field_and_json_config_works() {
    let c = catalog();
    let bad = FeatureConfig {
        brand_buckets: 0,
        ..FeatureConfig::default()
    };
    let e = ItemFeaturizer::fit(&c, &bad).unwrap_err().to_string();
    assert!(e.contains("brandBuckets"), "{e}");
    let empty = Catalog::from_items(vec![]).unwrap().0;
    assert!(ItemFeaturizer::fit(&empty, &FeatureConfig::default()).is_err());
    let cfg: FeatureConfig =
        serde_json::from_str(r#"{"price_buckets": 4, "titleBuckets": 16}"#).unwrap();
    assert_eq!((cfg.price_buckets, cfg.title_buckets), (4, 16));
    assert_eq!(cfg.brand_buckets, 32);
}
