//! A fixed, platform-independent digest of the whole preprocessing path, for
//! the "same numbers natively and in headless Firefox" test.
//!
//! [`feature_digest`] cleans a small fixed catalog and event log, fits a
//! featurizer, and returns every item's feature vector followed by profile
//! values (strengths, affinities, price preference, session features). A
//! native test pins it to [`EXPECTED`]; the browser test compares the wasm
//! build's digest against the same constants (within 1e-6).
//!
//! ```
//! let d = localrec::prep::selftest::feature_digest().unwrap();
//! assert_eq!(d.len(), localrec::prep::selftest::EXPECTED.len());
//! ```

use crate::error::{Error, Result};
use crate::prep::{
    clean_events, Attributes, Catalog, CatalogItem, CleanConfig, FeatureConfig, ItemFeaturizer,
    Profile, ProfileConfig, RawEvent,
};

/// The reference time of the digest (2024-03-01T00:00:00Z).
pub const NOW_MS: f64 = 1_709_251_200_000.0;

#[allow(clippy::too_many_arguments)] // a fixture table row, read positionally
fn item(
    id: &str,
    title: Option<&str>,
    category: Option<&str>,
    brand: Option<&str>,
    price: Option<f64>,
    tags: &[&str],
    rating: Option<f64>,
    volume: Option<f64>,
) -> CatalogItem {
    let mut attributes = Attributes::new();
    if let Some(v) = volume {
        attributes.insert("volume_ml".to_string(), v);
    }
    CatalogItem {
        id: id.into(),
        title: title.map(Into::into),
        category: category.map(Into::into),
        brand: brand.map(Into::into),
        price,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        in_stock: Some(id != "d"),
        rating,
        attributes,
        image: None,
    }
}

/// The fixed catalog of the digest.
pub fn catalog_items() -> Vec<CatalogItem> {
    vec![
        item(
            "a",
            Some("Vitamin C Serum 30ml"),
            Some("Beauty > Skin Care > Serums"),
            Some("Glow"),
            Some(24.5),
            &["vegan", "vitamin c"],
            Some(4.5),
            Some(30.0),
        ),
        item(
            "b",
            Some("Night Cream"),
            Some("Beauty > Skin Care > Moisturizers"),
            Some("Glow"),
            Some(39.0),
            &["vegan"],
            Some(4.1),
            Some(50.0),
        ),
        item(
            "c",
            Some("Argan Shampoo"),
            Some("Beauty > Hair"),
            Some("Silk"),
            Some(8.99),
            &["argan"],
            None,
            Some(250.0),
        ),
        item("d", Some("Gift Card"), None, None, None, &[], None, None),
        item(
            "e",
            Some("Rose Lip Balm"),
            Some("Beauty > Lips"),
            Some("Rosa"),
            Some(f64::NAN),
            &["rose", "vegan"],
            Some(3.9),
            None,
        ),
    ]
}

/// The fixed event log of the digest (unordered, with a duplicate and an unknown item).
pub fn raw_events() -> Vec<RawEvent> {
    let ev =
        |id: &str, kind: &str, minutes_ago: f64, dwell: Option<f64>, qty: Option<f64>| RawEvent {
            item_id: id.into(),
            kind: kind.into(),
            timestamp: NOW_MS - minutes_ago * 60_000.0,
            dwell_ms: dwell,
            quantity: qty,
            query: None,
        };
    vec![
        ev("b", "view", 3_000.0, Some(12_000.0), None),
        ev("a", "view", 3_010.0, Some(40_000.0), None),
        ev("a", "add_to_cart", 3_005.0, None, Some(2.0)),
        ev("a", "add_to_cart", 3_005.0, None, Some(2.0)),
        ev("zz", "view", 100.0, None, None),
        ev("c", "click", 60.0, None, None),
        ev("a", "purchase", 55.0, None, Some(1.0)),
        ev("e", "view", 10.0, Some(5_000.0), None),
        ev("b", "remove_from_cart", 5.0, None, None),
    ]
}

fn small_config() -> FeatureConfig {
    FeatureConfig {
        price_buckets: 3,
        max_attributes: 4,
        min_attribute_items: 2,
        max_top_categories: 4,
        category_buckets: 4,
        brand_buckets: 4,
        tag_buckets: 4,
        title_buckets: 4,
        z_clip: 5.0,
    }
}

/// Every item's features, then profile values, as one vector (see the module doc).
pub fn feature_digest() -> Result<Vec<f32>> {
    let (catalog, _) = Catalog::from_items(catalog_items())?;
    let featurizer = ItemFeaturizer::fit(&catalog, &small_config())?;
    // Through the serialized form, as the browser receives it.
    let featurizer = ItemFeaturizer::from_bytes(&featurizer.to_bytes())?;
    let mut out = Vec::new();
    for it in catalog.items() {
        out.extend(featurizer.transform(it)?);
    }
    let (events, report) = clean_events(&catalog, raw_events(), &CleanConfig::default(), NOW_MS)?;
    out.push(report.kept as f32);
    let config = ProfileConfig {
        half_life_ms: 86_400_000.0,
        ..ProfileConfig::default()
    };
    let profile = Profile::from_events(config, &events, &catalog)?;
    for i in 0..catalog.len() as u32 {
        out.push(profile.item_strength(i, NOW_MS) as f32);
    }
    let first = catalog.item(0)?;
    for t in &first.tokens {
        out.push(profile.token_affinity(*t, NOW_MS) as f32);
    }
    for it in catalog.items() {
        out.push(profile.content_score(&it.tokens) as f32);
    }
    let price = profile
        .price_preference()
        .ok_or_else(|| Error::Training("selftest: no price preference".into()))?;
    out.push(price.mean_log_price as f32);
    out.push(price.std_log_price as f32);
    let s = profile.session(NOW_MS);
    out.push(s.sessions as f32);
    out.push(s.current_session_events as f32);
    out.push(s.current_session_ms as f32);
    out.push(s.since_last_event_ms as f32);
    out.extend(profile.history().iter().map(|h| h.item as f32));
    if let Some(bad) = out.iter().position(|x| !x.is_finite()) {
        return Err(Error::invalid("digest", bad, "value is not finite"));
    }
    Ok(out)
}

/// The digest computed natively (x86-64, `cargo test`); pinned by a test.
#[rustfmt::skip]
pub const EXPECTED: [f32; 205] = [
    0.0, 0.28085446, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0,
    1.0, 1.0, 0.0, 0.0, -0.80538726, 1.0, 0.0, 0.0,
    1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0,
    0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0,
    1.0, 0.0, 0.0, 0.0, 1.0599229, 0.0, 0.0, 1.0,
    0.0, 0.33333334, 0.0, 1.0, 1.0, 0.0, 0.0, -0.60404044,
    1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0,
    0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0,
    0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.3407774,
    1.0, 0.0, 0.0, 1.0, 0.44444445, 0.0, 1.0, 1.0,
    0.0, 0.0, 1.4094278, 1.0, 0.0, 1.0, 0.0, 1.0,
    0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0,
    0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.44444445,
    0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
    0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0,
    0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0,
    1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0,
    1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 7.0,
    9.620096, -1.7592237, 1.9430639, 0.0, 0.9951981, 9.620096, 9.620096, 7.8608723,
    8.8560705, 10.799134, 7.8608723, 0.8610355, 0.5577152, 0.26214442, 0.0, 0.35693064,
    3.0933626, 0.35713914, 3.0, 2.0, 300000.0, 300000.0, 0.0, 0.0,
    1.0, 2.0, 0.0, 4.0, 1.0,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_pinned_constants() {
        let d = feature_digest().unwrap();
        println!("{d:?}");
        assert_eq!(d.len(), EXPECTED.len(), "digest length");
        for (i, (a, b)) in d.iter().zip(EXPECTED.iter()).enumerate() {
            assert!((a - b).abs() <= 1e-6, "digest[{i}]: {a} vs expected {b}");
        }
    }
}

/// The same check in headless Firefox: `cargo test --target wasm32-unknown-unknown --lib selftest`
/// with `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner`.
#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn digest_matches_native_constants_in_the_browser() {
        let d = feature_digest().unwrap();
        assert_eq!(d.len(), EXPECTED.len());
        let mut max_diff = 0f32;
        for (i, (a, b)) in d.iter().zip(EXPECTED.iter()).enumerate() {
            let diff = (a - b).abs();
            assert!(diff <= 1e-6, "digest[{i}]: {a} in wasm vs {b} native");
            max_diff = max_diff.max(diff);
        }
        web_sys::console::log_1(
            &format!(
                "prep digest: {} values, max |wasm - native| = {max_diff:e}",
                d.len()
            )
            .into(),
        );
    }

    #[wasm_bindgen_test]
    fn js_objects_deserialize_and_featurize_in_the_browser() {
        use crate::prep::{CleanConfig, EventKind};
        let items = r#"[{"id": "a", "inStock": true, "price": 12.5, "tags": ["x"]},
                        {"id": "b", "in_stock": false, "price": null, "attributes": {"ml": 30}}]"#;
        let items: Vec<CatalogItem> =
            serde_wasm_bindgen::from_value(js_sys::JSON::parse(items).unwrap()).unwrap();
        let (catalog, report) = Catalog::from_items(items).unwrap();
        assert_eq!(report.kept, 2);
        assert_eq!(catalog.get(0).unwrap().in_stock, Some(true));
        assert_eq!(catalog.get(1).unwrap().price, None);
        let events = r#"[{"itemId": "a", "kind": "addToCart", "timestamp": 1709251200000, "quantity": 2},
                         {"item_id": "b", "kind": "view", "timestamp": 1709251260000, "dwellMs": 900}]"#;
        let raw: Vec<RawEvent> =
            serde_wasm_bindgen::from_value(js_sys::JSON::parse(events).unwrap()).unwrap();
        let (events, report) =
            clean_events(&catalog, raw, &CleanConfig::default(), NOW_MS).unwrap();
        assert_eq!(report.kept, 2);
        assert_eq!(events[0].kind, EventKind::AddToCart);
        assert_eq!(events[1].dwell_ms, Some(900.0));
        let f = ItemFeaturizer::fit(&catalog, &FeatureConfig::default()).unwrap();
        let back = ItemFeaturizer::from_bytes(&f.to_bytes()).unwrap();
        assert_eq!(
            back.transform_catalog(&catalog).unwrap(),
            f.transform_catalog(&catalog).unwrap()
        );
    }
}
