//! The storefront-facing recommender: a shop's catalog (string ids), the
//! shopper's local events, a profile updated on every event, an optional
//! base model from the shop, and a small MLP fine-tuned on the device —
//! turned into "recommended for you" and "similar items" lists with filters,
//! diversity and a reason that names real data.
//!
//! Pure Rust (no browser APIs, no clock): the wasm façade and native tests
//! drive the same code. Deterministic for a seed.
//!
//! ```
//! use localrec::prep::{CatalogItem, RawEvent};
//! use localrec::recommender::{Recommender, RecommenderConfig, RecommendOptions};
//! let mut rec = Recommender::new(RecommenderConfig { seed: Some(1), ..Default::default() }).unwrap();
//! let item = |id: &str, cat: &str| CatalogItem { id: id.into(), category: Some(cat.into()), ..Default::default() };
//! rec.load_catalog(vec![item("run1", "Shoes > Running"), item("pan", "Kitchen"), item("run2", "Shoes > Running")]).unwrap();
//! let ev = RawEvent { item_id: "run1".into(), kind: "view".into(), timestamp: 1.7e12, ..Default::default() };
//! let report = rec.track(vec![ev], 1.7e12).unwrap();
//! assert_eq!(report.accepted, 1);
//! let list = rec.recommend(&RecommendOptions { k: 2, ..Default::default() }).unwrap();
//! assert_eq!(list.items[0].item_id, "run2"); // shares the category with what was viewed
//! assert!(list.items[0].reason.contains("run1"));
//! ```
//!
//! **Memory budget and scale.** 50,000 items with a base model stay under
//! 28 MiB of wasm heap at the peak of the whole path (`tests/web_scale.rs`,
//! headless Firefox, asserted; measured 22.1 MiB, natively the same path in
//! `tests/recommender_memory.rs`): the catalog's ranking view ([`ItemTable`],
//! about 170 bytes an item on wasm32: 8.1 MiB) and the base model with its
//! catalog links (8.6 MiB live for a 5.4 MiB blob of 20,000 sessions'
//! statistics and a 16-dimensional embedding); the peak is `loadBaseModel`,
//! where the blob copied into wasm memory and the decoded model coexist.
//! What grows with the items: the `ItemTable` (id, title ≤ 200 chars,
//! tokens, price, rating; categories and brands are shared between items),
//! its id index (16 bytes an item), and the base model's popularity,
//! co-occurrence / Markov (6 bytes a neighbour), session and embedding
//! tables. The model is read without its item ids (the catalog holds them)
//! and [`BaseStats`] reads its co-occurrence rows through index maps (4
//! bytes an item each way) rather than keeping a catalog-ordered copy.
//! Events and the profile are bounded by `maxEvents`, the head is a few
//! hundred weights. A `recommend` call over 50,000 items raises the heap
//! 2.6 MiB above the live heap at its peak (the scores, 8 bytes an item; a
//! flag per item; the base re-ranker's candidate generation), all freed
//! when it returns.
//! `recommend` scores every item (13 features + the head): linear in the
//! catalog, 9–10 ms for 50,000 items in headless Firefox (release build,
//! median of 15 calls; 28 ms before the dense tables below) and 6.0 ms
//! natively (release; 23 ms before). What it costs per item: the 13
//! features — the token affinity read from a dense per-token table
//! (`ItemTable` renumbers the attribute tokens densely), the Jaccard loop
//! against the ≤ 10 recent items only for items sharing a token with one of
//! them, the category / brand affinity by interned id, per-item maps only
//! for the few items the profile or the co-occurrence lists hold, an `ln`
//! and an `exp` for the price closeness — then the head (13 → 16 → 1:
//! ~220 multiply-adds, an `nn::Mlp` scoring blocks of 256 items with the
//! engine's kernels, [`train::Head::logits`]); only the best `k` (or MMR's
//! pool) are sorted (`select_nth`). Re-measured when the head moved onto
//! `nn` (it was a hand-written 8-rows-at-a-time loop), alternating old and
//! new builds on a loaded machine: in Firefox no slower (50k items, k=20,
//! medians 9, 9, 9 ms against 10, 16, 10 ms), natively slower (min 7.7–8.0
//! ms against 5.9–6.1 ms): the engine's AVX2 kernel ran this narrow
//! 13 × 16 product at about 3 GMAC/s where the old loop reached 8 (head
//! alone on 50,000 rows: 3.2 ms against 1.3 ms). Since the AVX2 path
//! computes products with k ≤ 16 row by row (2.5 → 7.7 GMAC/s on this
//! shape), native `recommend` is 5.5 ms again.
//! `similar` is ~1 ms native, 2 ms in Firefox. `maxCatalogItems` (default
//! 200,000) bounds the catalog; time and memory grow linearly with it.
//! Measured with `cargo test --release --lib -- --ignored --nocapture
//! recommend_speed_on_50k_items` and `CARGO_PROFILE_RELEASE_PANIC=unwind
//! wasm-pack test --release --headless --firefox -- --test web_scale --
//! --nocapture`.
//!
//! Errors and edge cases (never a panic): calls before `load_catalog` fail
//! naming `catalog`; unknown item ids in events are counted rejections;
//! `k = 0` or `k` larger than the catalog (or 1000) is an error; filters that
//! exclude everything give an empty list with a `note` saying so.

pub mod base;
pub mod catalog;
pub mod config;
pub mod events;
pub mod features;
pub mod options;
pub mod profile;
pub mod train;

pub use base::{BaseLink, BaseStats};
pub use catalog::{CatalogReport, ItemTable, Rejection};
pub use config::{FineTuneConfig, KindWeights, RecommenderConfig};
pub use events::{EventLog, ImportReport, StoredEvent};
pub use options::{
    Diversity, Filters, ReasonKind, RecommendOptions, Recommendation, Recommendations,
    SimilarOptions,
};
pub use train::{TrainOptions, TrainProgress};

use crate::codec::{open, seal, Reader, Writer};
use crate::error::{Error, Result};
use crate::fmtnum::Num;
use crate::prep::{CatalogItem, EventKind, RawEvent};
use crate::sort::U32Map;
use catalog::jaccard;
use features::{prior_score, Context, PRIOR_WEIGHTS};
use profile::Profile;
use serde::{Deserialize, Serialize};
use train::{Head, TrainingRun};

/// Catalog items the base model ranks mainly by its embedding → the closest recent item.
type EmbeddingNear = U32Map<u32>;

/// Most events one `track` call accepts (a larger batch is an error).
pub const MAX_TRACK_BATCH: usize = 10_000;
/// Events more than this far after `now` are rejected as "in the future".
const FUTURE_SLACK_MS: f64 = 5.0 * 60_000.0;
const MODEL_KIND: [u8; 4] = *b"LRMD";
/// Format 2: the head is an `nn::Mlp` blob. Format 1 (the hand-written
/// head, the same network) is still read and converted.
const MODEL_VERSION: u16 = 2;

/// What `track` did with a batch.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackReport {
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
}

/// What is stored locally, for a privacy panel.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Inspection {
    pub events: usize,
    pub unsaved_events: usize,
    pub distinct_items: usize,
    pub by_kind: crate::prep::Counts,
    pub first_event_ms: Option<f64>,
    pub last_event_ms: Option<f64>,
    pub catalog_items: usize,
    pub base_model: bool,
    pub base_model_known_items: usize,
    pub fine_tuned: bool,
    pub trained_steps: u64,
    pub model_params: usize,
    /// Size of `exportEvents()` in bytes (what `save()` stores for events).
    pub events_bytes: usize,
    /// Size of `exportModel()` in bytes.
    pub model_bytes: usize,
    /// The last fine-tuning of the base model's re-ranker on this device: whether its weights
    /// were kept or the base weights (the held-out check), e.g. "base weights kept,
    /// fine-tuning ranked worse: held-out MRR 0.100 fine-tuned vs 0.250 base over 1 item(s)".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_fine_tune: Option<String>,
}

/// The recommender of one shopper.
#[derive(Debug, Clone)]
pub struct Recommender {
    config: RecommenderConfig,
    seed: u64,
    table: Option<ItemTable>,
    base: Option<BaseStats>,
    /// Boxed, as `run`: a large struct, built in one place and moved into here.
    link: Option<Box<BaseLink>>,
    /// A run started with a base model: its re-ranker is fine-tuned (and
    /// the run's examples built) by the first chunk.
    pending_base_tune: Option<(FineTuneConfig, u64)>,
    /// The last base re-ranker fine-tuning's verdict (which weights are in use, and why).
    base_fine_tune: Option<String>,
    log: EventLog,
    profile: Profile,
    head: Option<Head>,
    /// Boxed: a run is a large struct, moved between `build_run`, `train_start` and
    /// `train_chunk` (each move was a copy of it in the wasm code).
    run: Option<Box<TrainingRun>>,
    runs: u64,
    nonce: u64,
    counter: u64,
}

/// One splitmix64 step from `x`.
fn mix(x: u64) -> u64 {
    crate::rng::mix64(x.wrapping_add(0x9E37_79B9_7F4A_7C15))
}

fn verb(kind: Option<EventKind>) -> &'static str {
    match kind {
        Some(EventKind::Purchase) => "bought",
        Some(EventKind::AddToCart) => "added to your cart",
        Some(EventKind::Click) => "looked at",
        _ => "viewed",
    }
}

impl Recommender {
    /// A recommender with no catalog yet. Fails naming the first bad config field.
    pub fn new(config: RecommenderConfig) -> Result<Recommender> {
        config.validate()?;
        let seed = config.seed.unwrap_or_else(crate::rng::random_seed);
        Ok(Recommender {
            log: EventLog::new(config.max_events),
            profile: Profile::new(&config),
            seed,
            config,
            table: None,
            base: None,
            link: None,
            pending_base_tune: None,
            base_fine_tune: None,
            head: None,
            run: None,
            runs: 0,
            // Event ids must differ between tabs even with the same seed.
            nonce: crate::rng::random_seed(),
            counter: 0,
        })
    }

    pub fn config(&self) -> &RecommenderConfig {
        &self.config
    }

    fn table(&self) -> Result<&ItemTable> {
        self.table
            .as_ref()
            .ok_or_else(|| Error::invalid("catalog", "none", "call loadCatalog first"))
    }

    /// Loads (or replaces) the catalog. Replacing it keeps the events,
    /// rebuilds the profile, and drops a base model and fine-tuned head made
    /// for another catalog.
    pub fn load_catalog(&mut self, items: Vec<CatalogItem>) -> Result<CatalogReport> {
        let (table, report) = ItemTable::from_items(items, self.config.max_catalog_items)?;
        let same = self.table.as_ref().map(|t| t.fingerprint()) == Some(table.fingerprint());
        if !same {
            self.base = None;
            self.link = None;
            self.head = None;
            self.run = None;
            self.pending_base_tune = None;
        }
        self.table = Some(table);
        self.rebuild_profile();
        Ok(report)
    }

    /// Installs aggregate statistics of a base model (already aligned to
    /// this catalog with [`BaseStats::align`]).
    pub fn set_base_stats(&mut self, stats: BaseStats) -> Result<()> {
        let n = self.table()?.len();
        if stats.len() != n {
            return Err(Error::shape("base statistics items", n, stats.len()));
        }
        self.base = Some(stats);
        Ok(())
    }

    /// Loads the shop's base model blob (`rec::BaseModel`, made by
    /// `localrec pretrain`): its popularity and co-occurrence become the
    /// cold-start prior and cross features, its MLP re-ranker scores the
    /// candidates (feature 12) and is fine-tuned by `train`. A corrupt blob or
    /// one built for another catalog (fewer than half of the items known) is
    /// rejected with a clear error and the recommender keeps what it had
    /// (without a base model: cold start from the catalog and local history).
    pub fn load_base_model(&mut self, bytes: &[u8]) -> Result<BaseReport> {
        let table = self.table()?;
        let link = Box::new(BaseLink::new(bytes, table.len(), |id| table.index_of(id))?);
        let report = BaseReport {
            model_items: link.model.item_count(),
            known_catalog_items: link.stats.known_items,
        };
        self.link = Some(link);
        Ok(report)
    }

    fn base_stats(&self) -> Option<&BaseStats> {
        self.link.as_ref().map(|l| &l.stats).or(self.base.as_ref())
    }

    /// The base history of the shopper in model indices: the last 50 events
    /// (time order) whose items the base model knows, weighted by kind.
    fn base_history(&self, events: &[(u32, EventKind, f64)]) -> Vec<crate::rec::HistoryItem> {
        let Some(link) = &self.link else {
            return Vec::new();
        };
        let k = &self.config.kind_weights;
        let start = events.len().saturating_sub(50);
        events[start..]
            .iter()
            .filter_map(|&(ci, kind, ts)| {
                let w = match kind {
                    EventKind::View => k.view,
                    EventKind::Click => k.click,
                    EventKind::AddToCart => k.add_to_cart,
                    EventKind::Purchase => k.purchase,
                    EventKind::RemoveFromCart | EventKind::Search => return None,
                };
                let mi = link.stats.model_index(ci)?;
                (w > 0.0 && w.is_finite()).then_some(crate::rec::HistoryItem {
                    item: mi,
                    weight: w as f32,
                    ts_ms: ts,
                })
            })
            .collect()
    }

    /// The base re-ranker's probabilities for its top candidates given the
    /// events (catalog indices). Empty without a base model or on error.
    fn ranker_scores(&self, events: &[(u32, EventKind, f64)]) -> U32Map<f32> {
        self.ranked_by_base(events).0
    }

    /// The base re-ranker's probabilities (catalog index → probability), and the candidates it
    /// ranks mainly because of the learned embedding (catalog index → the closest recent item).
    fn ranked_by_base(&self, events: &[(u32, EventKind, f64)]) -> (U32Map<f32>, EmbeddingNear) {
        let Some(link) = &self.link else {
            return (U32Map::default(), U32Map::default());
        };
        let history = self.base_history(events);
        let mut scratch = crate::rec::RankScratch::default();
        let ranked = link
            .model
            .rank(&history, 300, &mut scratch)
            .unwrap_or_default();
        let catalog = |m: u32| link.stats.catalog_index(m);
        let mut scores = Vec::new();
        let mut near = Vec::new();
        for s in ranked.iter().filter(|s| s.score.is_finite()) {
            let Some(c) = catalog(s.item) else { continue };
            scores.push((c, s.score));
            if s.signals.embedding_dominates() {
                if let Some(h) = s.signals.similar_to.and_then(catalog) {
                    near.push((c, h));
                }
            }
        }
        (U32Map::from_last(&scores), U32Map::from_last(&near))
    }

    /// The logged events as (catalog index, kind, time), known items only.
    fn indexed_events(&self) -> Vec<(u32, EventKind, f64)> {
        let Some(table) = &self.table else {
            return Vec::new();
        };
        self.log
            .events()
            .iter()
            .filter_map(|e| table.index_of(&e.item).map(|i| (i, e.kind, e.ts_ms)))
            .collect()
    }

    fn rebuild_profile(&mut self) {
        let mut p = Profile::new(&self.config);
        if let Some(t) = &self.table {
            for e in self.log.events() {
                if let Some(i) = t.index_of(&e.item) {
                    p.add(t, i, e.kind, e.ts_ms, e.quantity);
                }
            }
        }
        self.profile = p;
    }

    /// Validates and records events. Unknown items, unknown kinds, `search`
    /// events (not used), non-finite or future times and bad quantities are
    /// counted rejections; the rest are stored and change the profile (and so
    /// the next `recommend`) immediately.
    pub fn track(&mut self, events: Vec<RawEvent>, now_ms: f64) -> Result<TrackReport> {
        crate::error::check_finite("nowMs", now_ms)?;
        if events.len() > MAX_TRACK_BATCH {
            return Err(Error::invalid(
                "events.length",
                events.len(),
                format!("at most {MAX_TRACK_BATCH} events per call"),
            ));
        }
        let table = self
            .table
            .as_ref()
            .ok_or_else(|| Error::invalid("catalog", "none", "call loadCatalog first"))?;
        let mut report = TrackReport::default();
        for (index, e) in events.into_iter().enumerate() {
            let reject = |reason: String| Rejection { index, reason };
            let item_id = e.item_id.trim();
            let Some(item) = table.index_of(item_id) else {
                let shown: String = item_id.chars().take(40).collect();
                report.rejected.push(reject(format!(
                    "unknown item id {}",
                    crate::quote::Quoted(&shown)
                )));
                continue;
            };
            let Some(kind) = EventKind::parse(e.kind.trim()) else {
                let shown: String = e.kind.chars().take(40).collect();
                report.rejected.push(reject(format!(
                    "unknown kind {} (view, click, add_to_cart, remove_from_cart, purchase)",
                    crate::quote::Quoted(&shown)
                )));
                continue;
            };
            if kind == EventKind::Search {
                report
                    .rejected
                    .push(reject("search events are not used (nothing stored)".into()));
                continue;
            }
            if !e.timestamp.is_finite() || e.timestamp < 0.0 {
                report.rejected.push(reject(format!(
                    "timestamp {} is not a time in ms",
                    Num(e.timestamp)
                )));
                continue;
            }
            if e.timestamp > now_ms + FUTURE_SLACK_MS {
                report.rejected.push(reject(format!(
                    "timestamp {} is in the future",
                    Num(e.timestamp)
                )));
                continue;
            }
            let quantity = e.quantity.unwrap_or(1.0);
            if !(quantity.is_finite() && quantity > 0.0 && quantity <= 1e6) {
                report.rejected.push(reject(format!(
                    "quantity {} is not in (0, 1e6]",
                    Num(quantity)
                )));
                continue;
            }
            self.counter += 1;
            let id = mix(self.nonce ^ mix(self.counter));
            let stored = StoredEvent {
                id,
                item: item_id.to_string(),
                kind,
                ts_ms: e.timestamp,
                quantity,
            };
            if self.log.push(stored) {
                self.profile.add(table, item, kind, e.timestamp, quantity);
                report.accepted += 1;
            } else {
                report
                    .rejected
                    .push(reject("event id collision (event not stored)".into()));
            }
        }
        Ok(report)
    }

    fn head_mut(&mut self) -> Result<&mut Head> {
        if self.head.is_none() {
            self.head = Some(Head::new(
                features::FEATURES,
                &self.config.hidden,
                mix(self.seed ^ 0x4845_4144),
            )?);
        }
        self.head
            .as_mut()
            .ok_or_else(|| Error::Training("no model".into()))
    }

    /// Starts a fine-tuning run on the local history (replacing a run in
    /// progress). Returns the initial progress: `done` at once when there is
    /// nothing to learn (fewer than two usable events). With a base model the
    /// first chunk fine-tunes its re-ranker and only then builds the local
    /// examples, so the head learns on the same (tuned) re-ranker scores it
    /// will be served with (`examples` is 0 until then).
    pub fn train_start(&mut self, opts: &TrainOptions) -> Result<TrainProgress> {
        let budget = opts.resolve(&self.config.fine_tune)?;
        self.table()?;
        self.head_mut()?;
        self.runs += 1;
        let seed = mix(self.seed ^ self.runs);
        self.run = None;
        self.pending_base_tune = None;
        if self.link.is_some() && budget.epochs > 0 && budget.max_steps > 0 {
            self.pending_base_tune = Some((budget, seed));
            return Ok(TrainProgress::default());
        }
        let run = self.build_run(budget, seed)?;
        let progress = run.progress_copy();
        self.run = Some(run);
        Ok(progress)
    }

    /// The examples of a run, from the events and the current re-ranker.
    fn build_run(&mut self, budget: FineTuneConfig, seed: u64) -> Result<Box<TrainingRun>> {
        let ranker = |prefix: &[(u32, EventKind, f64)]| self.ranker_scores(prefix);
        let ranker: Option<&train::RankerFn<'_>> = if self.link.is_some() {
            Some(&ranker)
        } else {
            None
        };
        let mut head = self
            .head
            .clone()
            .ok_or_else(|| Error::Training("no model".into()))?;
        let run = TrainingRun::start(
            self.table()?,
            &self.config,
            self.base_stats(),
            ranker,
            self.log.events(),
            &mut head,
            budget,
            seed,
        );
        self.head = Some(head);
        run.map(Box::new)
    }

    /// Runs the current training run for up to `max_ms` (measured with
    /// `clock`, in ms). Fails naming `train` when no run was started.
    pub fn train_chunk(&mut self, max_ms: f64, clock: &dyn Fn() -> f64) -> Result<TrainProgress> {
        if let Some((budget, seed)) = self.pending_base_tune.take() {
            // First chunk of a run with a base model: fine-tune its re-ranker (one call,
            // restarting from the pretrained weights, within half the run's time budget,
            // at most 250 ms), then build the local examples with it; the head trains
            // in the following chunks.
            let report = self.tune_base(max_ms, &budget, clock)?;
            let mut run = self.build_run(budget, seed)?;
            run.set_base_steps(report.steps);
            let mut progress = run.progress_copy();
            progress.loss = report.loss.map_or(0.0, |l| l as f64);
            if !progress.done {
                self.run = Some(run);
            }
            return Ok(progress);
        }
        let (Some(run), Some(head)) = (self.run.as_mut(), self.head.as_mut()) else {
            return Err(Error::invalid(
                "train",
                "not started",
                "call trainStart first",
            ));
        };
        let result = run.chunk(head, max_ms, clock);
        if result.is_err() || result.as_ref().is_ok_and(|p| p.done) {
            self.run = None;
        }
        result
    }

    fn tune_base(
        &mut self,
        max_ms: f64,
        ft: &FineTuneConfig,
        clock: &dyn Fn() -> f64,
    ) -> Result<crate::rec::FineTuneReport> {
        crate::error::check_finite("maxMs", max_ms)?;
        let events = self.indexed_events();
        let history = self.base_history(&events);
        let budget_ms = (ft.max_ms / 2.0).min(250.0);
        let seed = mix(self.seed ^ self.runs ^ 0xBA5E);
        let budget = crate::rec::FineTuneBudget {
            max_steps: ft.max_steps,
            max_ms: budget_ms,
            now_ms: clock,
            negatives: ft.negatives.max(1),
            pull: ft.pull as f32,
            learning_rate: 1e-3,
            batch_size: ft.batch_size,
            seed,
            // The held-out check: the base weights stay unless fine-tuning ranks the most
            // recent event no worse (`inspect().baseFineTune` says which and why).
            ..crate::rec::FineTuneBudget::new(clock)
        };
        let Some(link) = self.link.as_mut() else {
            return Err(Error::Training("no base model".into()));
        };
        let report = link.model.fine_tune(&history, &budget)?;
        link.tuned = report.steps > 0 && report.kept;
        self.base_fine_tune = Some(report.verdict());
        Ok(report)
    }

    /// Recommendations for the shopper. See [`RecommendOptions`].
    pub fn recommend(&self, opts: &RecommendOptions) -> Result<Recommendations> {
        let table = self.table()?;
        opts.validate(table.len())?;
        let events = self.indexed_events();
        let (ranker_scores, embedding_near) = self.ranked_by_base(&events);
        let ctx =
            Context::new(table, &self.profile, self.base_stats()).with_ranker_scores(ranker_scores);
        let paths = opts.filters.category_paths();
        let excluded = excluded_indices(table, &opts.filters);
        let mut scored: Vec<(f32, u32)> = Vec::with_capacity(table.len());
        // Features of a block of candidates, scored by the head together.
        const BLOCK: usize = 256;
        let mut xs: Vec<f32> = Vec::with_capacity(BLOCK * features::FEATURES);
        let mut logits = [0.0f32; BLOCK];
        let mut ws = crate::nn::Workspace::new();
        let mut block_start = 0;
        let mut flush = |xs: &mut Vec<f32>, scored: &mut Vec<(f32, u32)>, start: usize| {
            let rows = scored.get_mut(start..).unwrap_or_default();
            if let Some(h) = &self.head {
                let logits = logits.get_mut(..rows.len()).unwrap_or_default();
                if h.logits(xs, logits, &mut ws).is_ok() {
                    for (row, z) in rows.iter_mut().zip(logits.iter()) {
                        row.0 += z;
                    }
                } else {
                    // Only a row with non-finite features or logit fails: score
                    // the block row by row, and rank such a row last.
                    let d = features::FEATURES;
                    for (row, x) in rows.iter_mut().zip(xs.chunks_exact(d)) {
                        let mut z = [0.0f32];
                        row.0 = match h.logits(x, &mut z, &mut ws) {
                            Ok(()) => row.0 + z[0],
                            Err(_) => f32::NAN,
                        };
                    }
                }
            }
            for row in rows {
                if !row.0.is_finite() {
                    row.0 = f32::MIN;
                }
            }
            xs.clear();
        };
        for (i, item) in table.items().iter().enumerate() {
            let i = i as u32;
            // Purchases and the cart are in the profile: only touched items can be in them.
            let touched = ctx.is_touched(i);
            if excluded.binary_search(&i).is_ok()
                || (touched && opts.filters.exclude_purchased && self.profile.purchased(i))
                || (touched && opts.filters.exclude_in_cart && self.profile.in_cart(i))
                || !opts.filters.item_passes(item, &paths)
            {
                continue;
            }
            let x = ctx.features(i);
            scored.push((prior_score(&x), i));
            xs.extend_from_slice(&x);
            if scored.len() - block_start == BLOCK {
                flush(&mut xs, &mut scored, block_start);
                block_start = scored.len();
            }
        }
        flush(&mut xs, &mut scored, block_start);
        let candidates = scored.len();
        // Highest score first, ties in catalog order (deterministic): only
        // the head of that order is sorted, the prefix `diversify` reads. A
        // per-category cap without MMR may walk further: then all of it.
        let d = &opts.diversity;
        let pool = opts.k.saturating_mul(20).max(200);
        let need = match (d.mmr_lambda, d.per_category_cap) {
            (None, None) => opts.k,
            _ => pool,
        };
        let mut picked = diversify(table, sort_head(&mut scored, need, |&e| e), opts.k, d);
        if picked.len() < opts.k && need < candidates && d.mmr_lambda.is_none() {
            picked = diversify(table, sort_head(&mut scored, candidates, |&e| e), opts.k, d);
        }
        let mut items = Vec::with_capacity(picked.len());
        for (s, i) in picked {
            let x = ctx.features(i);
            let near = embedding_near.get(i);
            items.push(self.reason(table, &ctx, i, &x, s, near));
        }
        let note = if items.len() < opts.k {
            Some(if candidates == 0 {
                "the filters exclude every item of the catalog".to_string()
            } else {
                format!(
                    "only {} items pass the filters{}",
                    candidates,
                    if opts.diversity.per_category_cap.is_some() {
                        " and the per-category cap"
                    } else {
                        ""
                    }
                )
            })
        } else {
            None
        };
        Ok(Recommendations {
            items,
            note,
            candidates,
            model: self.model_name(),
        })
    }

    fn model_name(&self) -> String {
        if self.head.as_ref().is_some_and(|h| h.steps > 0) {
            "fineTuned".into()
        } else {
            "prior".into()
        }
    }

    fn reason(
        &self,
        table: &ItemTable,
        ctx: &Context,
        i: u32,
        x: &[f32; features::FEATURES],
        score: f32,
        embedding_near: Option<u32>,
    ) -> Recommendation {
        let w = PRIOR_WEIGHTS;
        let item = table.get(i);
        let category = item.and_then(|it| it.category());
        let title_of = |j: u32| table.get(j).map_or("", |t| t.title.as_str());
        let id_of = |j: u32| table.get(j).map(|t| t.id.clone());
        let hist = w[0] * x[0] + w[1] * x[1] + w[3] * x[3];
        // The base re-ranker's term counts as co-occurrence unless its own evidence for the
        // item is mainly the learned embedding: then it is not a "bought together" claim.
        let ranker = w[12] * x[12];
        let (co, emb) = match embedding_near {
            Some(_) => (w[5] * x[5] + w[7] * x[7], ranker),
            None => (w[5] * x[5] + w[7] * x[7] + ranker, 0.0),
        };
        let cat = w[2] * x[2];
        let make = |kind, reason: String, about: Option<u32>| Recommendation {
            item_id: id_of(i).unwrap_or_default(),
            score: score as f64,
            reason,
            reason_kind: kind,
            reason_item_id: about.and_then(id_of),
        };
        if let Some(h) = embedding_near.filter(|_| emb > co && emb >= hist) {
            return make(
                ReasonKind::LearnedSimilarity,
                text(&["similar to ", title_of(h)]),
                Some(h),
            );
        }
        if co > 0.0 && co >= hist {
            if let Some((h, is_base)) = ctx.co_source(i) {
                return if is_base {
                    make(
                        ReasonKind::BoughtTogether,
                        text(&["often bought together with ", title_of(h)]),
                        Some(h),
                    )
                } else {
                    make(
                        ReasonKind::SameSession,
                        text(&["you looked at it in the same visit as ", title_of(h)]),
                        Some(h),
                    )
                };
            }
        }
        if hist > 0.0 {
            if let Some((h, _)) = item.and_then(|it| ctx.best_recent_match(i, it)) {
                let v = verb(self.profile.strongest_kind(h));
                return make(
                    ReasonKind::History,
                    text(&["because you ", v, " ", title_of(h)]),
                    Some(h),
                );
            }
        }
        if cat > 0.0 {
            if let Some(c) = &category {
                return make(
                    ReasonKind::Category,
                    text(&["matches your interest in ", c]),
                    None,
                );
            }
        }
        let place = category.as_deref().unwrap_or("the shop");
        if x[6] > 0.0 {
            return make(ReasonKind::Popular, text(&["popular in ", place]), None);
        }
        if let Some(r) = item.and_then(|it| it.rating) {
            return make(
                ReasonKind::TopRated,
                format!("rated {:.1} in {place}", Num(r)),
                None,
            );
        }
        make(ReasonKind::Catalog, text(&["from ", place]), None)
    }

    /// Items close to `item_id` (shared attributes, local and base-model
    /// co-occurrence, and the base model's learned item embedding: half its
    /// positive cosine, as in `rec::BaseModel::similar`), the item itself excluded. Items with no similarity at
    /// all are not returned (the `note` says so when fewer than `k` remain).
    pub fn similar(&self, item_id: &str, opts: &SimilarOptions) -> Result<Recommendations> {
        let table = self.table()?;
        options::check_k(opts.k, table.len())?;
        opts.filters.validate()?;
        let Some(q) = table.index_of(item_id.trim()) else {
            return Err(Error::invalid("itemId", item_id, "not in the catalog"));
        };
        let qi = table
            .get(q)
            .ok_or_else(|| Error::invalid("itemId", item_id, "not in the catalog"))?;
        let paths = opts.filters.category_paths();
        let excluded = excluded_indices(table, &opts.filters);
        let local = self.profile.co_occurring(q);
        // The query's base neighbours, sorted by catalog index for the lookups below.
        let mut base_n: Vec<(u32, f32)> = self
            .base_stats()
            .map_or(Vec::new(), |b| b.neighbours(q).collect());
        crate::sort::sort_by_key(&mut base_n, |&(c, _)| c);
        // The embedding cosine with the query item (model indices; 0 for unknown items).
        let embedding = self.link.as_ref().and_then(|l| {
            let e = l.model.embedding()?;
            let qm = l.stats.model_index(q)?;
            Some((l, e, qm))
        });
        let emb_cos = |i: u32| -> f32 {
            embedding.map_or(0.0, |(l, e, qm)| {
                l.stats
                    .model_index(i)
                    .map_or(0.0, |mi| e.cosine(qm, mi).max(0.0))
            })
        };
        let mut scored: Vec<(f32, u32, f32, f32, f32)> = Vec::new();
        for (i, it) in table.items().iter().enumerate() {
            let i = i as u32;
            if i == q
                || excluded.binary_search(&i).is_ok()
                || (opts.filters.exclude_purchased && self.profile.purchased(i))
                || (opts.filters.exclude_in_cart && self.profile.in_cart(i))
                || !opts.filters.item_passes(it, &paths)
            {
                continue;
            }
            let attr = jaccard(&qi.tokens, &it.tokens);
            let bco = base_n
                .binary_search_by_key(&i, |&(c, _)| c)
                .ok()
                .and_then(|k| base_n.get(k))
                .map_or(0.0, |&(_, w)| w.tanh());
            let lco = local
                .and_then(|m| m.get(&i))
                .map_or(0.0, |n| (n / 2.0).tanh() as f32);
            let emb = crate::rec::model::SIMILAR_EMBEDDING_WEIGHT * emb_cos(i);
            let s = attr + bco + 0.5 * lco + emb;
            if s > 0.0 && s.is_finite() {
                let pop = self.base_stats().map_or(0.0, |b| b.popularity(i));
                scored.push((s + 0.01 * pop, i, attr, bco.max(0.5 * lco), emb));
            }
        }
        let candidates = scored.len();
        let best = sort_head(&mut scored, opts.k, |&(s, i, _, _, _)| (s, i));
        let items: Vec<Recommendation> = best
            .iter()
            .copied()
            .map(|(s, i, attr, co, emb)| {
                let it = table.get(i);
                // The largest score term names the reason: the embedding never claims that
                // the items were bought together.
                let (kind, reason) = if emb > co && emb > attr {
                    (
                        ReasonKind::LearnedSimilarity,
                        text(&["similar to ", &qi.title]),
                    )
                } else if co > attr {
                    (
                        ReasonKind::BoughtTogether,
                        text(&["often bought together with ", &qi.title]),
                    )
                } else {
                    let same_brand = it.and_then(|x| x.brand.as_ref()).is_some()
                        && it.and_then(|x| x.brand.as_ref()) == qi.brand.as_ref();
                    let same_cat = it.is_some_and(|x| {
                        !x.category_path().is_empty() && x.category_path() == qi.category_path()
                    });
                    let what = match (same_cat, same_brand) {
                        (true, true) => "same category and brand",
                        (true, false) => "same category",
                        (false, true) => "same brand",
                        (false, false) => "shared attributes",
                    };
                    (
                        ReasonKind::SimilarAttributes,
                        text(&["similar to ", &qi.title, ": ", what]),
                    )
                };
                Recommendation {
                    item_id: it.map_or(String::new(), |x| x.id.clone()),
                    score: s as f64,
                    reason,
                    reason_kind: kind,
                    reason_item_id: Some(qi.id.clone()),
                }
            })
            .collect();
        let note = (items.len() < opts.k).then(|| {
            format!("only {candidates} items share attributes or co-occurrence with {item_id} and pass the filters")
        });
        Ok(Recommendations {
            items,
            note,
            candidates,
            model: "similarity".into(),
        })
    }

    /// The fine-tuned model, sealed (kind `LRMD`): the catalog fingerprint and
    /// the MLP head. Fails when nothing was trained or imported yet.
    pub fn export_model(&self) -> Result<Vec<u8>> {
        let table = self.table()?;
        let head = self.head.as_ref().ok_or_else(|| {
            Error::invalid("model", "none", "nothing trained yet: call train first")
        })?;
        let mut w = Writer::new();
        w.put_u64(table.fingerprint());
        w.put_len(features::FEATURES);
        head.write(&mut w);
        // The base model's fine-tuned re-ranker, tied to that base model's blob.
        match self.link.as_ref().filter(|l| l.tuned) {
            Some(link) => {
                w.put_bool(true);
                w.put_u64(link.fingerprint);
                w.put_bytes(&link.model.ranker().to_bytes());
            }
            None => w.put_bool(false),
        }
        Ok(seal(MODEL_KIND, MODEL_VERSION, &w.into_bytes()))
    }

    /// Replaces the fine-tuned model with an exported one. A truncated,
    /// corrupt, foreign-version or other-catalog blob is rejected and the
    /// current model is kept.
    pub fn import_model(&mut self, bytes: &[u8]) -> Result<ModelReport> {
        let table = self.table()?;
        let (version, payload) = open(bytes, MODEL_KIND, MODEL_VERSION)?;
        let mut r = Reader::new(payload);
        let fp = r.get_u64("model.catalogFingerprint")?;
        if fp != table.fingerprint() {
            return Err(Error::invalid(
                "model",
                format!("catalog fingerprint {fp:016x}"),
                format!(
                    "built for another catalog (this one is {:016x})",
                    table.fingerprint()
                ),
            ));
        }
        let nf = r.get_u64("model.features")?;
        if nf != features::FEATURES as u64 {
            return Err(Error::shape("model features", features::FEATURES, nf));
        }
        let head = if version == 1 {
            Head::read_v1(&mut r)?
        } else {
            Head::read(&mut r)?
        };
        let base_ranker = if r.get_bool("model.hasBaseRanker")? {
            let fp = r.get_u64("model.baseFingerprint")?;
            let mlp = crate::nn::Mlp::from_bytes(r.get_bytes("model.baseRanker")?)?;
            Some((fp, mlp))
        } else {
            None
        };
        r.finish()?;
        if head.input_dim() != features::FEATURES {
            return Err(Error::shape(
                "model input",
                features::FEATURES,
                head.input_dim(),
            ));
        }
        let mut report = ModelReport {
            params: head.param_count(),
            trained_steps: head.steps,
            hidden: head.hidden(),
            base_ranker: "none".into(),
        };
        if let Some((fp, mlp)) = base_ranker {
            report.base_ranker = match self.link.as_mut() {
                Some(link) if link.fingerprint == fp => {
                    link.model.set_ranker(mlp)?;
                    link.tuned = true;
                    "restored".into()
                }
                Some(_) => "skipped: tuned from another base model".into(),
                None => "skipped: no base model loaded".into(),
            };
        }
        self.head = Some(head);
        self.run = None;
        self.pending_base_tune = None;
        Ok(report)
    }

    /// Sealed events (kind `EVTS`): all of them, or only those not yet marked saved.
    pub fn export_events(&self, only_unsaved: bool) -> Vec<u8> {
        self.log.export(only_unsaved)
    }

    /// Marks the events of an export as stored (after the storage write resolved).
    pub fn mark_saved(&mut self, exported: &[u8]) -> Result<usize> {
        let ids = EventLog::ids_in(exported)?;
        self.log.mark_saved(&ids);
        Ok(ids.len())
    }

    /// Merges exported events (dedup by event id) and rebuilds the profile.
    pub fn import_events(&mut self, bytes: &[u8]) -> Result<ImportReport> {
        let report = self.log.import(bytes)?;
        if report.added > 0 || report.dropped_oldest > 0 {
            self.rebuild_profile();
        }
        Ok(report)
    }

    /// Counts, date range and sizes of what is stored locally.
    pub fn inspect(&self) -> Inspection {
        let mut by_kind = crate::prep::Counts::default();
        for e in self.log.events() {
            by_kind.add(e.kind.as_str(), 1);
        }
        let events = self.log.events();
        Inspection {
            events: events.len(),
            unsaved_events: self.log.unsaved_count(),
            distinct_items: {
                let mut ids: Vec<&str> = events.iter().map(|e| e.item.as_str()).collect();
                crate::sort::sort(&mut ids);
                ids.dedup();
                ids.len()
            },
            by_kind,
            first_event_ms: events.first().map(|e| e.ts_ms),
            last_event_ms: events.last().map(|e| e.ts_ms),
            catalog_items: self.table.as_ref().map_or(0, |t| t.len()),
            base_model: self.base_stats().is_some(),
            base_model_known_items: self.base_stats().map_or(0, |b| b.known_items),
            fine_tuned: self.head.as_ref().is_some_and(|h| h.steps > 0),
            trained_steps: self.head.as_ref().map_or(0, |h| h.steps),
            model_params: self.head.as_ref().map_or(0, |h| h.param_count()),
            events_bytes: self.log.export(false).len(),
            model_bytes: self.export_model().map_or(0, |b| b.len()),
            base_fine_tune: self.base_fine_tune.clone(),
        }
    }

    /// Forgets the shopper: events, profile, fine-tuned model, training run.
    /// The shop's catalog and base model stay loaded.
    pub fn forget(&mut self) {
        self.log.clear();
        self.profile = Profile::new(&self.config);
        self.head = None;
        self.run = None;
        self.pending_base_tune = None;
        self.base_fine_tune = None;
        if let Some(link) = self.link.as_mut() {
            link.model.reset_ranker();
            link.tuned = false;
        }
    }
}

/// The pieces of a reason, joined (one shared copy instead of a `format!` per reason).
#[inline(never)]
fn text(pieces: &[&str]) -> String {
    let mut out = String::new();
    for p in pieces {
        out.push_str(p);
    }
    out
}

/// What `import_model` loaded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelReport {
    pub params: usize,
    pub trained_steps: u64,
    pub hidden: Vec<usize>,
    /// The base model's fine-tuned re-ranker: "none" (not in the blob),
    /// "restored", or "skipped: …" (another or no base model loaded).
    pub base_ranker: String,
}

/// What `load_base_model` loaded.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BaseReport {
    pub model_items: usize,
    pub known_catalog_items: usize,
}

/// Puts the `n` best of `scored` first, in order (highest score first, ties
/// in catalog order: a total order, so the same prefix a full sort gives),
/// in linear time plus the sort of those `n`; returns that prefix.
fn sort_head<E>(scored: &mut [E], n: usize, key: impl Fn(&E) -> (f32, u32)) -> &[E] {
    let order = |a: &E, b: &E| {
        let ((sa, ia), (sb, ib)) = (key(a), key(b));
        sb.total_cmp(&sa).then(ia.cmp(&ib))
    };
    let n = n.min(scored.len());
    if n == 0 {
        return &[];
    }
    if n < scored.len() {
        crate::sort::select_nth_by(scored, n - 1, order);
    }
    let head = scored.get_mut(..n).unwrap_or_default();
    // The shared sort (one copy in the wasm); stable or not, a total order
    // with distinct indices gives the one order.
    crate::sort::sort_by(head, order);
    head
}

/// Picks `k` of the sorted candidates, applying MMR and/or a per-category cap.
fn diversify(table: &ItemTable, sorted: &[(f32, u32)], k: usize, d: &Diversity) -> Vec<(f32, u32)> {
    let cap = d.per_category_cap.unwrap_or(usize::MAX);
    let top_cat = |i: u32| {
        table
            .get(i)
            .and_then(|t| t.category_path().first().cloned())
    };
    // Items taken per top category; a few dozen at most, so a list searched in order.
    let mut per_cat: Vec<(Option<String>, usize)> = Vec::new();
    fn taken(per_cat: &mut Vec<(Option<String>, usize)>, cat: Option<String>) -> &mut usize {
        let at = match per_cat.iter().position(|c| c.0 == cat) {
            Some(at) => at,
            None => {
                per_cat.push((cat, 0));
                per_cat.len() - 1
            }
        };
        &mut per_cat[at].1
    }
    let mut out = Vec::with_capacity(k);
    let Some(lambda) = d.mmr_lambda else {
        for &(s, i) in sorted {
            if out.len() == k {
                break;
            }
            let c = taken(&mut per_cat, top_cat(i));
            if *c < cap {
                *c += 1;
                out.push((s, i));
            }
        }
        return out;
    };
    let pool_len = sorted.len().min((k * 20).max(200));
    let mut pool: Vec<(f32, u32)> = sorted.iter().take(pool_len).copied().collect();
    let (hi, lo) = pool
        .iter()
        .fold((f32::MIN, f32::MAX), |(h, l), &(s, _)| (h.max(s), l.min(s)));
    let range = (hi - lo).max(1e-6);
    let lambda = lambda as f32;
    while out.len() < k && !pool.is_empty() {
        let mut best: Option<(f32, usize)> = None;
        for (pi, &(s, i)) in pool.iter().enumerate() {
            let cat = top_cat(i);
            if per_cat.iter().find(|c| c.0 == cat).map_or(0, |c| c.1) >= cap {
                continue;
            }
            let toks = table.get(i).map_or(&[][..], |t| &t.tokens);
            let redundancy = out
                .iter()
                .map(|&(_, j): &(f32, u32)| {
                    jaccard(toks, table.get(j).map_or(&[][..], |t| &t.tokens))
                })
                .fold(0.0f32, f32::max);
            let v = lambda * (s - lo) / range - (1.0 - lambda) * redundancy;
            if best.is_none_or(|(b, _)| v > b) {
                best = Some((v, pi));
            }
        }
        let Some((_, pi)) = best else { break };
        let (s, i) = pool.remove(pi);
        *taken(&mut per_cat, top_cat(i)) += 1;
        out.push((s, i));
    }
    out
}

/// The catalog indices of `filters.exclude_ids` (unknown ids ignored), sorted ascending
/// without repeats, for `binary_search`.
fn excluded_indices(table: &ItemTable, filters: &Filters) -> Vec<u32> {
    let mut ids: Vec<u32> = filters
        .exclude_ids
        .iter()
        .filter_map(|id| table.index_of(id.trim()))
        .collect();
    crate::sort::sort_u32(&mut ids);
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests;
