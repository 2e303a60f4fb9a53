//! The base-model format did not change with the memory work of issue 5 (flat tables,
//! bfloat16 weights kept as bits, the model read without its ids): the committed demo
//! model (`www/assets/model.bin`, format 2, built by `make assets`) still loads, writes
//! back byte for byte, and ranks the same whether its ids are kept or mapped away.
#![cfg(not(target_arch = "wasm32"))]

use localrec::prep::CatalogItem;
use localrec::rec::{BaseModel, HistoryItem, RankScratch};
use localrec::recommender::{Recommender, RecommenderConfig};

const MODEL: &str = "www/assets/model.bin";
const CATALOG: &str = "www/assets/catalog.json";

fn model_bytes() -> Vec<u8> {
    std::fs::read(MODEL).expect("the committed demo model")
}

#[test]
fn the_committed_model_writes_back_byte_for_byte() {
    let bytes = model_bytes();
    let model = BaseModel::from_bytes(&bytes).expect("format 2 loads");
    assert!(model.item_count() > 0 && model.has_item_ids());
    assert!(model.to_bytes() == bytes, "re-serialised model differs");
}

#[test]
fn a_model_read_without_ids_ranks_like_the_full_one() {
    let bytes = model_bytes();
    let full = BaseModel::from_bytes(&bytes).expect("model");
    let mut ids = Vec::new();
    let lean = BaseModel::from_bytes_without_ids(&bytes, &mut |i, id| {
        ids.push((i, id.to_string()));
        Ok(())
    })
    .expect("model without ids");
    assert_eq!(lean.item_count(), full.item_count());
    assert!(!lean.has_item_ids());
    assert_eq!(ids.len(), full.item_count());
    for (i, id) in &ids {
        assert_eq!(full.item_id(*i), Some(id.as_str()));
        assert_eq!(lean.item_id(*i), None);
    }
    let n = full.item_count() as u32;
    for start in [0, n / 3, n / 2] {
        let history: Vec<HistoryItem> = (start..(start + 4).min(n)).map(HistoryItem::new).collect();
        let a = full
            .rank(&history, 20, &mut RankScratch::default())
            .expect("rank");
        let b = lean
            .rank(&history, 20, &mut RankScratch::default())
            .expect("rank");
        assert_eq!(a, b);
        assert_eq!(full.similar(start, 10).ok(), lean.similar(start, 10).ok());
    }
    // An id callback's error stops the decoding.
    let refused = BaseModel::from_bytes_without_ids(&bytes, &mut |_, _| {
        Err(localrec::Error::decode("refused"))
    });
    assert!(refused.is_err());
}

#[test]
fn the_demo_shop_links_every_catalog_item() {
    let text = std::fs::read_to_string(CATALOG).expect("the committed demo catalog");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let items: Vec<CatalogItem> =
        serde_json::from_value(json["items"].clone()).expect("catalog items");
    let count = items.len();
    let mut r = Recommender::new(RecommenderConfig {
        seed: Some(1),
        ..Default::default()
    })
    .expect("recommender");
    r.load_catalog(items).expect("catalog");
    let report = r.load_base_model(&model_bytes()).expect("base model");
    assert_eq!(report.known_catalog_items, count);
}
