//! Catalog cleaning: every documented outcome for missing fields, NaN and
//! infinite numbers, empty and very long strings, duplicate ids, JSON input.
#![cfg(not(target_arch = "wasm32"))] // native test: files, serde_json, threads

use localrec::prep::{Catalog, CatalogItem};
use std::collections::BTreeMap;

fn item(id: &str) -> CatalogItem {
    CatalogItem {
        id: id.into(),
        ..Default::default()
    }
}

#[test]
fn only_the_id_is_required() {
    let (c, r) = Catalog::from_items(vec![item("only-id")]).unwrap();
    assert_eq!(r.kept, 1);
    assert!(r.dropped.is_empty() && r.fixed.is_empty());
    let it = c.get(0).unwrap();
    assert_eq!(it.title, None);
    assert!(it.category.is_empty());
    assert_eq!(it.price, None);
    assert!(it.tokens.is_empty());
}

#[test]
fn empty_and_blank_ids_are_dropped_with_a_reason() {
    let (c, r) = Catalog::from_items(vec![item(""), item("   "), item("ok")]).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(r.dropped["missing_id"], 2);
    assert_eq!(
        r.rejected.iter().map(|x| x.index).collect::<Vec<_>>(),
        vec![0, 1]
    );
}

#[test]
fn duplicate_ids_keep_the_first_occurrence() {
    let mut second = item("a");
    second.title = Some("second".into());
    let mut first = item("a");
    first.title = Some("first".into());
    let (c, r) = Catalog::from_items(vec![first, item("b"), second]).unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(r.dropped["duplicate_id"], 1);
    assert_eq!(r.rejected[0].index, 2);
    assert_eq!(c.get(0).unwrap().title.as_deref(), Some("first"));
}

#[test]
fn nan_infinite_and_negative_numbers_become_missing_not_zero() {
    let mut attrs = BTreeMap::new();
    attrs.insert("weight".to_string(), f64::NAN);
    attrs.insert("size".to_string(), 3.0);
    attrs.insert("volume".to_string(), f64::NEG_INFINITY);
    let raw = vec![
        CatalogItem {
            id: "nan".into(),
            price: Some(f64::NAN),
            rating: Some(f64::INFINITY),
            attributes: attrs.into_iter().collect(),
            ..Default::default()
        },
        CatalogItem {
            id: "neg".into(),
            price: Some(-5.0),
            rating: Some(-1.0),
            ..Default::default()
        },
        CatalogItem {
            id: "free".into(),
            price: Some(0.0),
            ..Default::default()
        },
    ];
    let (c, r) = Catalog::from_items(raw).unwrap();
    assert_eq!(c.len(), 3);
    let nan = c.get(0).unwrap();
    assert_eq!(nan.price, None);
    assert_eq!(nan.rating, None);
    assert_eq!(nan.attributes.len(), 1);
    assert_eq!(nan.attributes.get("size"), Some(3.0));
    assert_eq!(c.get(1).unwrap().price, None);
    assert_eq!(c.get(2).unwrap().price, Some(0.0));
    assert_eq!(r.fixed["price_not_finite"], 1);
    assert_eq!(r.fixed["rating_not_finite"], 1);
    assert_eq!(r.fixed["attribute_not_finite"], 2);
    assert_eq!(r.fixed["price_negative"], 1);
    assert_eq!(r.fixed["rating_negative"], 1);
}

#[test]
fn empty_strings_are_missing_and_whitespace_is_normalised() {
    let raw = CatalogItem {
        id: " x ".into(),
        title: Some("  Rose\n\twater  ".into()),
        brand: Some("".into()),
        category: Some(" > >  ".into()),
        tags: vec!["".into(), "  ".into(), "Vegan".into()],
        image: Some(" ".into()),
        ..Default::default()
    };
    let (c, _) = Catalog::from_items(vec![raw]).unwrap();
    let it = c.get(0).unwrap();
    assert_eq!(it.id, "x");
    assert_eq!(it.title.as_deref(), Some("Rose water"));
    assert_eq!(it.brand, None);
    assert!(it.category.is_empty());
    assert_eq!(it.tags, vec!["Vegan"]);
    assert_eq!(it.image, None);
}

#[test]
fn very_long_strings_are_capped_or_rejected() {
    let raw = vec![
        CatalogItem {
            id: "long".into(),
            title: Some("ä".repeat(1_000_000)),
            brand: Some("b".repeat(10_000)),
            category: Some(vec!["level"; 50].join(" > ")),
            tags: (0..10_000).map(|i| format!("tag{i}")).collect(),
            image: Some(format!("https://x/{}", "y".repeat(10_000))),
            ..Default::default()
        },
        item(&"i".repeat(10_000)),
    ];
    let (c, r) = Catalog::from_items(raw).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(r.dropped["id_too_long"], 1);
    let it = c.get(0).unwrap();
    assert_eq!(it.title.as_ref().unwrap().chars().count(), 300);
    assert_eq!(it.brand.as_ref().unwrap().chars().count(), 100);
    assert_eq!(it.category.len(), 8);
    assert_eq!(it.tags.len(), 64);
    assert_eq!(it.image, None);
    assert_eq!(r.fixed["title_truncated"], 1);
    assert_eq!(r.fixed["brand_truncated"], 1);
    assert_eq!(r.fixed["category_too_deep"], 1);
    assert_eq!(r.fixed["tags_capped"], 1);
    assert_eq!(r.fixed["image_url_too_long"], 1);
}

#[test]
fn json_accepts_camel_and_snake_case_and_missing_fields() {
    let json = r#"[
        {"id": "1", "inStock": false, "price": 9.5, "tags": ["a"]},
        {"id": "2", "in_stock": true, "attributes": {"ml": 30}},
        {"id": "3"}
    ]"#;
    let items: Vec<CatalogItem> = serde_json::from_str(json).unwrap();
    let (c, r) = Catalog::from_items(items).unwrap();
    assert_eq!(r.kept, 3);
    assert_eq!(c.get(0).unwrap().in_stock, Some(false));
    assert_eq!(c.get(1).unwrap().in_stock, Some(true));
    assert_eq!(c.get(1).unwrap().attributes.get("ml"), Some(30.0));
    assert_eq!(c.get(2).unwrap().in_stock, None);
}

#[test]
fn report_serializes_for_users() {
    let (_, r) = Catalog::from_items(vec![item(""), item("a"), item("a")]).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(
        json,
        r#"{"input":3,"kept":1,"dropped":{"duplicate_id":1,"missing_id":1},"fixed":{},"rejected":[{"index":0,"reason":"missing_id"},{"index":2,"reason":"duplicate_id"}]}"#
    );
}
