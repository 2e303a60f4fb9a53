//! Hand-written readers of the option, config, catalog and event objects that
//! JavaScript passes in: what `serde_wasm_bindgen::from_value` did with the
//! serde derives, field by field, with the same messages.
//!
//! Why not serde here: the derived `Deserialize` code, serde's error plumbing
//! and the float formatting its messages need (`invalid type: floating point
//! `1.5``) were about 17 KB of the gzipped package; these readers are a small
//! fraction of that. The derives stay on the types (the CLI reads JSON with them).
//!
//! Each reader follows serde-wasm-bindgen 0.6 exactly: a field is missing when
//! its value is `undefined` and the key is not `in` the object; fields are read
//! in declaration order (an alias right after its name) and the first error
//! wins; `null`/`undefined` are `None`; an unsigned integer must be a safe
//! non-negative integer (or a BigInt); a sequence is an array or any iterable;
//! a map is an iterable of pairs or a plain object's entries. An error's text is
//! serde's ("invalid type: string \"x\", expected usize") with the `Error: `
//! prefix that serde-wasm-bindgen's JavaScript error put in front.

use crate::fmtnum::Num;
use crate::prep::{Attributes, CatalogItem, RawEvent};
use crate::quote::Quoted;
use crate::recommender::{
    Diversity, Filters, FineTuneConfig, KindWeights, RecommendOptions, RecommenderConfig,
    SimilarOptions, TrainOptions,
};
use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

/// Why a value could not be read: the message, as `String(error)` shows it in JavaScript.
pub struct Fail(pub String);

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

type Read<T> = Result<T, Fail>;

/// A serde error message as serde-wasm-bindgen's `Error` displays it.
fn fail(msg: String) -> Fail {
    Fail(format!("Error: {msg}"))
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// JavaScript's `String(value)`.
    #[wasm_bindgen(js_name = String)]
    fn js_string(value: &JsValue) -> String;
}

/// A JavaScript exception thrown while reading (e.g. by `Reflect.get` on a primitive).
fn thrown(e: JsValue) -> Fail {
    Fail(js_string(&e))
}

/// serde's `Unexpected` for a JS value, as serde-wasm-bindgen classifies it.
fn unexpected(v: &JsValue) -> String {
    if v.loose_eq(&JsValue::NULL) {
        "unit value".into()
    } else if let Some(b) = v.as_bool() {
        format!("boolean `{b}`")
    } else if let Some(n) = v.as_f64() {
        // serde's `WithDecimalPoint`: a finite number always shows a decimal point.
        let s = Num(n).to_string();
        if n.is_finite() && !s.contains('.') {
            format!("floating point `{s}.0`")
        } else {
            format!("floating point `{s}`")
        }
    } else if let Some(s) = v.as_string() {
        format!("string {}", Quoted(&s))
    } else if v.dyn_ref::<Uint8Array>().is_some() || v.dyn_ref::<ArrayBuffer>().is_some() {
        "byte array".into()
    } else {
        format!("{v:?}")
    }
}

fn invalid_type(v: &JsValue, expected: &str) -> Fail {
    fail(format!(
        "invalid type: {}, expected {expected}",
        unexpected(v)
    ))
}

fn f64_(v: &JsValue) -> Read<f64> {
    v.as_f64().ok_or_else(|| invalid_type(v, "f64"))
}

fn bool_(v: &JsValue) -> Read<bool> {
    v.as_bool().ok_or_else(|| invalid_type(v, "a boolean"))
}

fn string_(v: &JsValue) -> Read<String> {
    v.as_string().ok_or_else(|| invalid_type(v, "a string"))
}

/// A `u64` as serde-wasm-bindgen's `deserialize_u64` reads it (`expected` names the Rust type).
fn unsigned(v: &JsValue, expected: &str) -> Read<u64> {
    if v.is_bigint() {
        return u64::try_from(v.clone()).map_err(|_| {
            fail("Couldn't deserialize u64 from a BigInt outside u64::MIN..u64::MAX bounds".into())
        });
    }
    match v.as_f64() {
        Some(n) if js_sys::Number::is_safe_integer(v) && n >= 0.0 => Ok(n as u64),
        _ => Err(invalid_type(v, expected)),
    }
}

fn u64_(v: &JsValue) -> Read<u64> {
    unsigned(v, "u64")
}

fn usize_(v: &JsValue) -> Read<usize> {
    let n = unsigned(v, "usize")?;
    usize::try_from(n).map_err(|_| fail(format!("invalid value: integer `{n}`, expected usize")))
}

/// `Option<T>`: `null` and `undefined` are `None`.
fn option<T>(v: &JsValue, read: fn(&JsValue) -> Read<T>) -> Read<Option<T>> {
    if v.loose_eq(&JsValue::NULL) {
        Ok(None)
    } else {
        read(v).map(Some)
    }
}

/// The iterator of `v` (`js_sys::try_iter`, whose exception on a primitive is the error).
fn iterator(v: &JsValue) -> Read<Option<js_sys::IntoIter>> {
    js_sys::try_iter(v).map_err(thrown)
}

fn next(item: Result<JsValue, JsValue>) -> Read<JsValue> {
    item.map_err(thrown)
}

/// `Vec<T>`: an array, else any iterable.
fn seq<T>(v: &JsValue, read: fn(&JsValue) -> Read<T>) -> Read<Vec<T>> {
    if let Some(arr) = v.dyn_ref::<Array>() {
        return arr.iter().map(|x| read(&x)).collect();
    }
    match iterator(v)? {
        Some(it) => it.map(|x| read(&next(x)?)).collect(),
        None => Err(invalid_type(v, "a sequence")),
    }
}

/// `Attributes` (a map of numbers): an iterable of `[key, value]` pairs, else an
/// object's entries; of equal keys the last wins, as in the `BTreeMap` serde filled.
fn number_map(v: &JsValue) -> Read<Attributes> {
    let mut map = Vec::new();
    let mut put = |pair: JsValue| -> Read<()> {
        // serde-wasm-bindgen read `pair[0]` here, and a `null` entry threw a bare
        // TypeError through the wasm; it is an error message now.
        if pair.loose_eq(&JsValue::NULL) {
            return Err(invalid_type(&pair, "a [key, value] pair"));
        }
        let pair = pair.unchecked_into::<Array>();
        map.push((string_(&pair.get(0))?, f64_(&pair.get(1))?));
        Ok(())
    };
    if let Some(it) = iterator(v)? {
        for pair in it {
            put(next(pair)?)?;
        }
    } else if v.is_object() {
        for pair in Object::entries(v.unchecked_ref()).iter() {
            put(pair)?;
        }
    } else {
        return Err(invalid_type(v, "a map"));
    }
    Ok(Attributes::from_pairs(map))
}

/// The fields of a JavaScript object, read as a serde struct reads them.
struct Fields<'a>(&'a JsValue);

impl<'a> Fields<'a> {
    /// `v` as a struct named `name` (`struct Filters`): any object, arrays included.
    fn of(v: &'a JsValue, name: &str) -> Read<Fields<'a>> {
        if v.is_object() {
            Ok(Fields(v))
        } else {
            Err(invalid_type(v, name))
        }
    }

    /// The value of `key`, or `None` when the field is missing.
    fn get(&self, key: &str) -> Option<JsValue> {
        let k = JsValue::from_str(key);
        let value = Reflect::get(self.0, &k).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() && !Reflect::has(self.0, &k).unwrap_or(false) {
            None
        } else {
            Some(value)
        }
    }

    /// Reads `key` into `slot` when present (not inlined: one copy per type, not per field).
    #[inline(never)]
    fn read<T>(&self, key: &str, slot: &mut T, read: fn(&JsValue) -> Read<T>) -> Read<()> {
        if let Some(v) = self.get(key) {
            *slot = read(&v)?;
        }
        Ok(())
    }

    /// Reads `key` or its `alias` (the next field) into `slot`; both present is an error.
    fn read_aliased<T>(
        &self,
        key: &str,
        alias: &str,
        slot: &mut T,
        read: fn(&JsValue) -> Read<T>,
    ) -> Read<()> {
        let seen = self.get(key).is_some();
        self.read(key, slot, read)?;
        if seen && self.get(alias).is_some() {
            return Err(fail(format!("duplicate field `{key}`")));
        }
        self.read(alias, slot, read)
    }
}

/// The declared fields of each options type (camelCase), for unknown-key errors.
pub const CONFIG_FIELDS: &[&str] = &[
    "seed",
    "hidden",
    "fineTune",
    "halfLifeDays",
    "sessionGapMinutes",
    "maxEvents",
    "maxCatalogItems",
    "kindWeights",
];
pub const FINE_TUNE_FIELDS: &[&str] = &[
    "maxSteps",
    "maxMs",
    "epochs",
    "learningRate",
    "pull",
    "negatives",
    "batchSize",
    "maxExamples",
    "hardNegatives",
];
pub const KIND_WEIGHTS_FIELDS: &[&str] =
    &["view", "click", "addToCart", "removeFromCart", "purchase"];
pub const FILTERS_FIELDS: &[&str] = &[
    "excludePurchased",
    "excludeInCart",
    "inStockOnly",
    "categories",
    "minPrice",
    "maxPrice",
    "excludeIds",
];
pub const DIVERSITY_FIELDS: &[&str] = &["mmrLambda", "perCategoryCap"];
pub const RECOMMEND_FIELDS: &[&str] = &["k", "filters", "diversity"];
pub const SIMILAR_FIELDS: &[&str] = &["k", "filters"];
pub const TRAIN_FIELDS: &[&str] = &[
    "maxSteps",
    "maxMs",
    "epochs",
    "learningRate",
    "pull",
    "negatives",
    "batchSize",
    "hardNegatives",
];
/// The keys the catalog item and event readers read, in order (an alias right after its name).
pub const CATALOG_ITEM_FIELDS: &[&str] = &[
    "id",
    "title",
    "category",
    "brand",
    "price",
    "tags",
    "inStock",
    "in_stock",
    "rating",
    "attributes",
    "image",
];
pub const RAW_EVENT_FIELDS: &[&str] = &[
    "itemId",
    "item_id",
    "kind",
    "timestamp",
    "dwellMs",
    "dwell_ms",
    "quantity",
    "query",
];

/// `RecommenderConfig` (`new LocalRecCore(config)`).
pub fn recommender_config(v: &JsValue) -> Read<RecommenderConfig> {
    let o = Fields::of(v, "struct RecommenderConfig")?;
    let mut c = RecommenderConfig::default();
    o.read("seed", &mut c.seed, |x| option(x, u64_))?;
    o.read("hidden", &mut c.hidden, |x| seq(x, usize_))?;
    o.read("fineTune", &mut c.fine_tune, fine_tune_config)?;
    o.read("halfLifeDays", &mut c.half_life_days, f64_)?;
    o.read("sessionGapMinutes", &mut c.session_gap_minutes, f64_)?;
    o.read("maxEvents", &mut c.max_events, usize_)?;
    o.read("maxCatalogItems", &mut c.max_catalog_items, usize_)?;
    o.read("kindWeights", &mut c.kind_weights, kind_weights)?;
    Ok(c)
}

/// `FineTuneConfig` (`config.fineTune`).
pub fn fine_tune_config(v: &JsValue) -> Read<FineTuneConfig> {
    let o = Fields::of(v, "struct FineTuneConfig")?;
    let mut c = FineTuneConfig::default();
    o.read("maxSteps", &mut c.max_steps, usize_)?;
    o.read("maxMs", &mut c.max_ms, f64_)?;
    o.read("epochs", &mut c.epochs, usize_)?;
    o.read("learningRate", &mut c.learning_rate, f64_)?;
    o.read("pull", &mut c.pull, f64_)?;
    o.read("negatives", &mut c.negatives, usize_)?;
    o.read("batchSize", &mut c.batch_size, usize_)?;
    o.read("maxExamples", &mut c.max_examples, usize_)?;
    o.read("hardNegatives", &mut c.hard_negatives, f64_)?;
    Ok(c)
}

/// `KindWeights` (`config.kindWeights`).
pub fn kind_weights(v: &JsValue) -> Read<KindWeights> {
    let o = Fields::of(v, "struct KindWeights")?;
    let mut w = KindWeights::default();
    o.read("view", &mut w.view, f64_)?;
    o.read("click", &mut w.click, f64_)?;
    o.read("addToCart", &mut w.add_to_cart, f64_)?;
    o.read("removeFromCart", &mut w.remove_from_cart, f64_)?;
    o.read("purchase", &mut w.purchase, f64_)?;
    Ok(w)
}

/// `Filters` (`options.filters`; missing fields take `Filters::default()`).
pub fn filters(v: &JsValue) -> Read<Filters> {
    let o = Fields::of(v, "struct Filters")?;
    let mut f = Filters::default();
    o.read("excludePurchased", &mut f.exclude_purchased, bool_)?;
    o.read("excludeInCart", &mut f.exclude_in_cart, bool_)?;
    o.read("inStockOnly", &mut f.in_stock_only, bool_)?;
    o.read("categories", &mut f.categories, |x| seq(x, string_))?;
    o.read("minPrice", &mut f.min_price, |x| option(x, f64_))?;
    o.read("maxPrice", &mut f.max_price, |x| option(x, f64_))?;
    o.read("excludeIds", &mut f.exclude_ids, |x| seq(x, string_))?;
    Ok(f)
}

/// `Diversity` (`options.diversity`).
pub fn diversity(v: &JsValue) -> Read<Diversity> {
    let o = Fields::of(v, "struct Diversity")?;
    let mut d = Diversity::default();
    o.read("mmrLambda", &mut d.mmr_lambda, |x| option(x, f64_))?;
    o.read("perCategoryCap", &mut d.per_category_cap, |x| {
        option(x, usize_)
    })?;
    Ok(d)
}

/// `RecommendOptions` (`recommend(options)`).
pub fn recommend_options(v: &JsValue) -> Read<RecommendOptions> {
    let o = Fields::of(v, "struct RecommendOptions")?;
    let mut r = RecommendOptions::default();
    o.read("k", &mut r.k, usize_)?;
    o.read("filters", &mut r.filters, filters)?;
    o.read("diversity", &mut r.diversity, diversity)?;
    Ok(r)
}

/// `SimilarOptions` (`similar(id, options)`).
pub fn similar_options(v: &JsValue) -> Read<SimilarOptions> {
    let o = Fields::of(v, "struct SimilarOptions")?;
    let mut s = SimilarOptions::default();
    o.read("k", &mut s.k, usize_)?;
    o.read("filters", &mut s.filters, filters)?;
    Ok(s)
}

/// `TrainOptions` (`trainStart(options)`).
pub fn train_options(v: &JsValue) -> Read<TrainOptions> {
    let o = Fields::of(v, "struct TrainOptions")?;
    let mut t = TrainOptions::default();
    o.read("maxSteps", &mut t.max_steps, |x| option(x, usize_))?;
    o.read("maxMs", &mut t.max_ms, |x| option(x, f64_))?;
    o.read("epochs", &mut t.epochs, |x| option(x, usize_))?;
    o.read("learningRate", &mut t.learning_rate, |x| option(x, f64_))?;
    o.read("pull", &mut t.pull, |x| option(x, f64_))?;
    o.read("negatives", &mut t.negatives, |x| option(x, usize_))?;
    o.read("batchSize", &mut t.batch_size, |x| option(x, usize_))?;
    o.read("hardNegatives", &mut t.hard_negatives, |x| option(x, f64_))?;
    Ok(t)
}

/// One `CatalogItem` (`loadCatalog(items)`).
pub fn catalog_item(v: &JsValue) -> Read<CatalogItem> {
    let o = Fields::of(v, "struct CatalogItem")?;
    let mut c = CatalogItem::default();
    o.read("id", &mut c.id, string_)?;
    o.read("title", &mut c.title, |x| option(x, string_))?;
    o.read("category", &mut c.category, |x| option(x, string_))?;
    o.read("brand", &mut c.brand, |x| option(x, string_))?;
    o.read("price", &mut c.price, |x| option(x, f64_))?;
    o.read("tags", &mut c.tags, |x| seq(x, string_))?;
    o.read_aliased("inStock", "in_stock", &mut c.in_stock, |x| option(x, bool_))?;
    o.read("rating", &mut c.rating, |x| option(x, f64_))?;
    o.read("attributes", &mut c.attributes, number_map)?;
    o.read("image", &mut c.image, |x| option(x, string_))?;
    Ok(c)
}

/// One `RawEvent` (`track(event)`, `trackMany(events)`).
pub fn raw_event(v: &JsValue) -> Read<RawEvent> {
    let o = Fields::of(v, "struct RawEvent")?;
    let mut e = RawEvent::default();
    o.read_aliased("itemId", "item_id", &mut e.item_id, string_)?;
    o.read("kind", &mut e.kind, string_)?;
    o.read("timestamp", &mut e.timestamp, f64_)?;
    o.read_aliased("dwellMs", "dwell_ms", &mut e.dwell_ms, |x| option(x, f64_))?;
    o.read("quantity", &mut e.quantity, |x| option(x, f64_))?;
    o.read("query", &mut e.query, |x| option(x, string_))?;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    /// serde's declared fields of `T` (aliases included), found with a probe deserializer.
    fn serde_fields<T: DeserializeOwned>() -> &'static [&'static str] {
        super::super::convert::probe::field_names::<T>()
    }

    #[test]
    fn field_lists_match_the_serde_types() {
        assert_eq!(CONFIG_FIELDS, serde_fields::<RecommenderConfig>());
        assert_eq!(FINE_TUNE_FIELDS, serde_fields::<FineTuneConfig>());
        assert_eq!(KIND_WEIGHTS_FIELDS, serde_fields::<KindWeights>());
        assert_eq!(FILTERS_FIELDS, serde_fields::<Filters>());
        assert_eq!(DIVERSITY_FIELDS, serde_fields::<Diversity>());
        assert_eq!(RECOMMEND_FIELDS, serde_fields::<RecommendOptions>());
        assert_eq!(SIMILAR_FIELDS, serde_fields::<SimilarOptions>());
        assert_eq!(TRAIN_FIELDS, serde_fields::<TrainOptions>());
        assert_eq!(CATALOG_ITEM_FIELDS, serde_fields::<CatalogItem>());
        assert_eq!(RAW_EVENT_FIELDS, serde_fields::<RawEvent>());
    }
}
