//! The JavaScript façade: a thin `#[wasm_bindgen]` layer over the core.
//!
//! Every exported function returns `Result<_, JsError>`, so bad input becomes
//! a JavaScript `Error` instead of a panic that would kill the instance.
//! Arguments arrive as `JsValue` and are validated here (type, size, NaN)
//! before the core sees them; messages name the argument, field and value.
//! TypeScript shapes of the options and results are in [`types`].

mod convert;
#[doc(hidden)]
pub mod read;
mod types;
#[doc(hidden)]
pub mod write;

use crate::recommender::{Recommender, MAX_TRACK_BATCH};
use convert::{bytes, check_keys, check_nested, number, options, record, records, string, to_js};
use read::*;
use wasm_bindgen::prelude::*;

pub mod bench;

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}

/// Which SIMD build of the module is running: `"relaxed-simd"` (fused
/// multiply-add kernels, loaded where the browser supports relaxed SIMD) or
/// `"simd128"`.
#[wasm_bindgen(js_name = simdLevel)]
pub fn simd_level() -> String {
    if cfg!(target_feature = "relaxed-simd") {
        "relaxed-simd".into()
    } else {
        "simd128".into()
    }
}

/// Checks that the module works in this browser: seeded RNG, the binary
/// container and (when present) a tiny training run. Returns a short report.
#[wasm_bindgen(js_name = selfCheck)]
pub fn self_check() -> Result<String, JsError> {
    let mut rng = crate::rng::Rng::new(0);
    let first = rng.next_u64();
    let mut w = crate::codec::Writer::new();
    w.put_u64(first);
    let blob = crate::codec::seal(*b"SELF", 1, &w.into_bytes());
    let (_, payload) = crate::codec::open(&blob, *b"SELF", 1).map_err(to_js_error)?;
    let back = crate::codec::Reader::new(payload)
        .get_u64("first")
        .map_err(to_js_error)?;
    if back != first {
        return Err(JsError::new(
            "self-check: codec round trip changed the value",
        ));
    }
    Ok(format!(
        "localrec {} ok: rng {first:016x}, crc32 {:08x}",
        crate::VERSION,
        crate::codec::crc32(b"123456789")
    ))
}

/// Converts a core error into a JavaScript `Error` with the same message.
pub(crate) fn to_js_error(e: crate::Error) -> JsError {
    JsError::new(&e.to_string())
}

/// The low-level recommender of one shopper (the package's `index.js`
/// wraps it with storage, async training and a worker client).
#[wasm_bindgen(js_name = LocalRecCore)]
pub struct LocalRecCore {
    inner: Recommender,
}

#[wasm_bindgen(js_class = LocalRecCore)]
impl LocalRecCore {
    /// Creates a recommender; `config` may be omitted (every field has a default).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "LocalRecConfig | undefined")] config: JsValue,
    ) -> Result<LocalRecCore, JsError> {
        check_keys("config", &config, CONFIG_FIELDS)?;
        check_nested("config", &config, "fineTune", FINE_TUNE_FIELDS)?;
        check_nested("config", &config, "kindWeights", KIND_WEIGHTS_FIELDS)?;
        let cfg = options("config", config, recommender_config)?;
        Ok(LocalRecCore {
            inner: Recommender::new(cfg).map_err(to_js_error)?,
        })
    }

    /// The effective configuration (defaults filled in).
    #[wasm_bindgen(unchecked_return_type = "Required<LocalRecConfig>")]
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(self.inner.config())
    }

    /// Loads (or replaces) the catalog; returns what was kept and rejected.
    #[wasm_bindgen(js_name = loadCatalog, unchecked_return_type = "CatalogReport")]
    pub fn load_catalog(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "CatalogItem[]")] items: JsValue,
    ) -> Result<JsValue, JsError> {
        let max = self.inner.config().max_catalog_items;
        let items = records("items", items, max, catalog_item)?;
        to_js(&self.inner.load_catalog(items).map_err(to_js_error)?)
    }

    /// Loads the shop's base model bytes. On failure the recommender keeps
    /// working without one (cold start from the catalog).
    #[wasm_bindgen(js_name = loadBaseModel, unchecked_return_type = "BaseModelReport")]
    pub fn load_base_model(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes_: JsValue,
    ) -> Result<JsValue, JsError> {
        let b = bytes("bytes", &bytes_)?;
        to_js(&self.inner.load_base_model(&b).map_err(to_js_error)?)
    }

    /// Records one event (`nowMs` defaults to `Date.now()`).
    #[wasm_bindgen(unchecked_return_type = "TrackReport")]
    pub fn track(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "ShopperEvent")] event: JsValue,
        #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number | undefined")]
        now_ms: JsValue,
    ) -> Result<JsValue, JsError> {
        let now = number("nowMs", &now_ms, js_sys::Date::now)?;
        let e = record("event", event, raw_event)?;
        to_js(&self.inner.track(vec![e], now).map_err(to_js_error)?)
    }

    /// Records many events (at most 10,000 per call).
    #[wasm_bindgen(js_name = trackMany, unchecked_return_type = "TrackReport")]
    pub fn track_many(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "ShopperEvent[]")] events: JsValue,
        #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number | undefined")]
        now_ms: JsValue,
    ) -> Result<JsValue, JsError> {
        let now = number("nowMs", &now_ms, js_sys::Date::now)?;
        let es = records("events", events, MAX_TRACK_BATCH, raw_event)?;
        to_js(&self.inner.track(es, now).map_err(to_js_error)?)
    }

    /// Starts a fine-tuning run (options override the configured budget).
    #[wasm_bindgen(js_name = trainStart, unchecked_return_type = "TrainProgress")]
    pub fn train_start(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "TrainBudget | undefined")] opts: JsValue,
    ) -> Result<JsValue, JsError> {
        check_keys("train options", &opts, TRAIN_FIELDS)?;
        let o = options("train options", opts, train_options)?;
        to_js(&self.inner.train_start(&o).map_err(to_js_error)?)
    }

    /// Trains for up to `maxMs` milliseconds (at least one batch); call again
    /// until `done`. Cancelling = not calling it again.
    #[wasm_bindgen(js_name = trainChunk, unchecked_return_type = "TrainProgress")]
    pub fn train_chunk(
        &mut self,
        #[wasm_bindgen(js_name = maxMs, unchecked_param_type = "number | undefined")]
        max_ms: JsValue,
    ) -> Result<JsValue, JsError> {
        let ms = number("maxMs", &max_ms, || 10.0)?;
        to_js(
            &self
                .inner
                .train_chunk(ms, &convert::clock_ms)
                .map_err(to_js_error)?,
        )
    }

    /// Recommended items with score and reason.
    #[wasm_bindgen(unchecked_return_type = "Recommendations")]
    pub fn recommend(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RecommendOptions | undefined")] opts: JsValue,
    ) -> Result<JsValue, JsError> {
        check_keys("recommend options", &opts, RECOMMEND_FIELDS)?;
        check_nested("recommend options", &opts, "filters", FILTERS_FIELDS)?;
        check_nested("recommend options", &opts, "diversity", DIVERSITY_FIELDS)?;
        let o = options("recommend options", opts, recommend_options)?;
        to_js(&self.inner.recommend(&o).map_err(to_js_error)?)
    }

    /// Items similar to `itemId`.
    #[wasm_bindgen(unchecked_return_type = "Recommendations")]
    pub fn similar(
        &self,
        #[wasm_bindgen(js_name = itemId, unchecked_param_type = "string")] item_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "SimilarOptions | undefined")] opts: JsValue,
    ) -> Result<JsValue, JsError> {
        let id = string("itemId", &item_id, 1024)?;
        check_keys("similar options", &opts, SIMILAR_FIELDS)?;
        check_nested("similar options", &opts, "filters", FILTERS_FIELDS)?;
        let o = options("similar options", opts, similar_options)?;
        to_js(&self.inner.similar(&id, &o).map_err(to_js_error)?)
    }

    /// The fine-tuned model as versioned, checksummed bytes.
    #[wasm_bindgen(js_name = exportModel)]
    pub fn export_model(&self) -> Result<Vec<u8>, JsError> {
        self.inner.export_model().map_err(to_js_error)
    }

    /// Replaces the fine-tuned model; a corrupt or foreign blob is rejected
    /// and the current model kept.
    #[wasm_bindgen(js_name = importModel, unchecked_return_type = "ModelReport")]
    pub fn import_model(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes_: JsValue,
    ) -> Result<JsValue, JsError> {
        let b = bytes("bytes", &bytes_)?;
        to_js(&self.inner.import_model(&b).map_err(to_js_error)?)
    }

    /// Events as versioned, checksummed bytes: all, or only those not yet saved.
    #[wasm_bindgen(js_name = exportEvents)]
    pub fn export_events(
        &self,
        #[wasm_bindgen(js_name = onlyUnsaved, unchecked_param_type = "boolean | undefined")]
        only_unsaved: JsValue,
    ) -> Result<Vec<u8>, JsError> {
        let only = match (
            only_unsaved.is_undefined() || only_unsaved.is_null(),
            only_unsaved.as_bool(),
        ) {
            (true, _) => false,
            (false, Some(b)) => b,
            (false, None) => {
                return Err(JsError::new(&format!(
                    "invalid onlyUnsaved = {}: must be a boolean",
                    convert::describe(&only_unsaved)
                )))
            }
        };
        Ok(self.inner.export_events(only))
    }

    /// Marks the events of an export as stored; returns how many.
    #[wasm_bindgen(js_name = markSaved)]
    pub fn mark_saved(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes_: JsValue,
    ) -> Result<u32, JsError> {
        let b = bytes("bytes", &bytes_)?;
        Ok(self.inner.mark_saved(&b).map_err(to_js_error)? as u32)
    }

    /// Merges exported events (deduplicated by event id).
    #[wasm_bindgen(js_name = importEvents, unchecked_return_type = "ImportReport")]
    pub fn import_events(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes_: JsValue,
    ) -> Result<JsValue, JsError> {
        let b = bytes("bytes", &bytes_)?;
        to_js(&self.inner.import_events(&b).map_err(to_js_error)?)
    }

    /// What is stored locally (counts, date range, sizes).
    #[wasm_bindgen(unchecked_return_type = "Inspection")]
    pub fn inspect(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.inspect())
    }

    /// Forgets events, profile and fine-tuned model (in memory; `index.js`
    /// also deletes the IndexedDB database).
    pub fn forget(&mut self) {
        self.inner.forget();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_names_of_option_types() {
        use super::convert::probe::field_names;
        let f = field_names::<crate::recommender::RecommendOptions>();
        assert_eq!(f, &["k", "filters", "diversity"]);
        assert!(field_names::<crate::recommender::RecommenderConfig>().contains(&"halfLifeDays"));
        assert!(field_names::<crate::recommender::Filters>().contains(&"excludeIds"));
    }
}
