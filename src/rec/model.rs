//! The shippable base model: item ids, item statistics, attribute tokens, the optional item
//! embedding and the MLP re-ranker, in one versioned, checksummed blob (`codec::seal`, kind
//! `LRBM`, version 2; version-1 blobs, from before the embedding, are refused with a message
//! saying to pretrain again, since their re-ranker has 22 inputs instead of 24).
//!
//! ```
//! use localrec::rec::{pretrain, BaseModel, HistoryItem, PretrainConfig, RankScratch, ItemVocab};
//! let mut vocab = ItemVocab::new();
//! let seqs: Vec<Vec<u32>> = (0..60u32)
//!     .map(|u| (0..6).map(|t| vocab.intern(&format!("i{}", (u % 3) * 10 + (u + t) % 10)).unwrap()).collect())
//!     .collect();
//! let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
//! let cfg = PretrainConfig { epochs: 2, ..PretrainConfig::default() };
//! let (model, _report) = pretrain(&views, vocab, None, &[], &cfg, &mut |_| {})?;
//! let bytes = model.to_bytes();
//! let model = BaseModel::from_bytes(&bytes)?;
//! let history = [HistoryItem::new(model.item_index("i3").unwrap())];
//! let ranked = model.rank(&history, 5, &mut RankScratch::default())?;
//! assert_eq!(ranked.len(), 5);
//! assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
//! # Ok::<(), localrec::Error>(())
//! ```

use ndarray::ArrayView2;

use crate::codec::{self, Reader, Writer};
use crate::error::{Error, Result};
use crate::nn::{Mlp, Workspace};
use crate::rec::embed::ItemEmbedding;
use crate::rec::features::{CandidateConfig, Candidates, FEATURE_COUNT};
use crate::rec::stats::{ItemStats, ScoreScratch};
use crate::rec::vocab::ItemVocab;

/// Blob kind of a base model.
pub const MODEL_KIND: [u8; 4] = *b"LRBM";
/// Current format version.
pub const MODEL_VERSION: u16 = 2;

/// Weight of the embedding cosine in [`BaseModel::similar`] (co-occurrence counts up to 1).
pub const SIMILAR_EMBEDDING_WEIGHT: f32 = 0.5;
/// [`BaseModel::similar`] also considers this many nearest items in embedding space.
const SIMILAR_EMBEDDING_POOL: usize = 50;

/// Receives each item id of a model read by [`BaseModel::from_bytes_without_ids`] with its index.
pub type OnItemId<'a> = dyn FnMut(u32, &str) -> Result<()> + 'a;

/// One event of the shopper's local history (time order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryItem {
    /// Item index in the model's vocabulary.
    pub item: u32,
    /// Strength of the event (e.g. view 1, cart 2, purchase 3, times a recency decay); ≥ 0.
    /// Scales the item's co-occurrence contributions and attribute affinity.
    pub weight: f32,
    /// Event time in milliseconds (informational: the order of the slice is what counts).
    pub ts_ms: f64,
}

impl HistoryItem {
    /// An event of weight 1 at time 0.
    pub fn new(item: u32) -> Self {
        HistoryItem {
            item,
            weight: 1.0,
            ts_ms: 0.0,
        }
    }
}

/// Where a score came from, so the caller can write a reason.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Signals {
    /// item-kNN score (co-occurrence with the recency-weighted history).
    pub cooccurrence: f32,
    /// The history item that contributed most co-occurrence ("because you viewed X").
    pub because_of: Option<u32>,
    /// Markov probability from the last history item.
    pub markov: f32,
    /// The history item the candidate often follows ("often bought after X").
    pub after: Option<u32>,
    /// Session-kNN score (shoppers with similar sessions also viewed it).
    pub session_knn: f32,
    /// Popularity in [0, 1] (log scale).
    pub popularity: f32,
    /// Share of the candidate's attributes found in the history, in [0, 1].
    pub attribute_overlap: f32,
    /// The candidate is itself in the history.
    pub in_history: bool,
    /// Co-occurrence strength relative to the strongest, in [0, 1]: item-kNN score over the
    /// best candidate's in `rank`, neighbour weight over the strongest neighbour's in `similar`.
    pub cooccurrence_share: f32,
    /// The embedding's evidence on the same scale: the best cosine with a recent history item
    /// in `rank`, the embedding term of the score in `similar` (0 without an embedding).
    pub embedding: f32,
    /// The item `embedding` refers to (the closest recent history item; the query in `similar`).
    pub similar_to: Option<u32>,
}

impl Signals {
    /// Whether the learned embedding, not co-occurrence or a Markov transition, is the main
    /// evidence: then the data need not show the two items together, and a reason must not
    /// claim they were ("similar to <similar_to>" is honest, "bought together" may not be).
    pub fn embedding_dominates(&self) -> bool {
        self.similar_to.is_some() && self.embedding > self.cooccurrence_share.max(self.markov)
    }
}

/// A ranked item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    /// Item index.
    pub item: u32,
    /// Re-ranker probability in (0, 1) (higher is better).
    pub score: f32,
    /// The evidence behind the score.
    pub signals: Signals,
}

/// Reusable buffers for ranking (keep one per thread / per page).
#[derive(Debug, Clone, Default)]
pub struct RankScratch {
    pub(crate) score: ScoreScratch,
    pub(crate) cands: Candidates,
    pub(crate) probs: Vec<f32>,
    pub(crate) ws: Workspace,
    pub(crate) hist: Vec<(u32, f32)>,
}

/// The base model a shop ships (and the shopper's fine-tuned copy of it).
#[derive(Debug, Clone)]
pub struct BaseModel {
    pub(crate) vocab: ItemVocab,
    pub(crate) attr_vocab: ItemVocab,
    pub(crate) stats: ItemStats,
    pub(crate) candidates: CandidateConfig,
    /// The re-ranker in use (fine-tuned or base).
    pub(crate) ranker: Mlp,
    /// The pretrained re-ranker (fine-tuning always restarts from, and is pulled toward, it).
    pub(crate) base_ranker: Mlp,
    /// The learned item embedding (None when the data was too small to learn one).
    pub(crate) embedding: Option<ItemEmbedding>,
}

impl BaseModel {
    /// Assembles a model, checking that the parts agree.
    pub fn new(
        vocab: ItemVocab,
        attr_vocab: ItemVocab,
        stats: ItemStats,
        candidates: CandidateConfig,
        ranker: Mlp,
    ) -> Result<Self> {
        if vocab.len() != stats.n_items() {
            return Err(Error::shape(
                "base model items",
                vocab.len(),
                stats.n_items(),
            ));
        }
        Self::assemble(vocab, attr_vocab, stats, candidates, ranker)
    }

    /// [`BaseModel::new`] without the id check (`vocab` may be empty: a model read without ids).
    fn assemble(
        vocab: ItemVocab,
        attr_vocab: ItemVocab,
        stats: ItemStats,
        candidates: CandidateConfig,
        ranker: Mlp,
    ) -> Result<Self> {
        if ranker.input_dim() != FEATURE_COUNT || ranker.output_dim() != 1 {
            return Err(Error::shape(
                "re-ranker inputs/outputs",
                format!("{FEATURE_COUNT}/1"),
                format!("{}/{}", ranker.input_dim(), ranker.output_dim()),
            ));
        }
        if attr_vocab.len() < stats.n_attributes {
            return Err(Error::shape(
                "attribute vocabulary",
                stats.n_attributes,
                attr_vocab.len(),
            ));
        }
        Ok(BaseModel {
            vocab,
            attr_vocab,
            stats,
            candidates,
            base_ranker: ranker.clone(),
            ranker,
            embedding: None,
        })
    }

    /// Attaches (or removes) the item embedding; it must have one row per item.
    pub fn with_embedding(mut self, embedding: Option<ItemEmbedding>) -> Result<Self> {
        if let Some(e) = &embedding {
            if e.n_items() != self.item_count() {
                return Err(Error::shape(
                    "item embedding rows",
                    self.item_count(),
                    e.n_items(),
                ));
            }
        }
        self.embedding = embedding;
        Ok(self)
    }

    /// The learned item embedding, if the model has one.
    pub fn embedding(&self) -> Option<&ItemEmbedding> {
        self.embedding.as_ref()
    }

    /// Changes the candidate-generation settings (e.g. to switch a part off in an ablation).
    pub fn set_candidate_config(&mut self, candidates: CandidateConfig) {
        self.candidates = candidates;
    }

    /// Number of items in the catalog the model knows.
    pub fn item_count(&self) -> usize {
        self.stats.n_items()
    }

    /// The id string of item `idx` (None for a model read without its ids).
    pub fn item_id(&self, idx: u32) -> Option<&str> {
        self.vocab.id(idx)
    }

    /// The index of item `id` (None for a model read without its ids).
    pub fn item_index(&self, id: &str) -> Option<u32> {
        self.vocab.index(id)
    }

    /// Whether the model keeps its item ids (false after
    /// [`BaseModel::from_bytes_without_ids`]: then [`BaseModel::to_bytes`]
    /// writes no ids and its output cannot be read back).
    pub fn has_item_ids(&self) -> bool {
        self.vocab.len() == self.item_count()
    }

    /// The attribute tokens of item `idx` (e.g. brand and category ids).
    pub fn item_attributes(&self, idx: u32) -> Vec<&str> {
        self.stats
            .attributes
            .of(idx)
            .iter()
            .filter_map(|&t| self.attr_vocab.id(t))
            .collect()
    }

    /// The item statistics.
    pub fn stats(&self) -> &ItemStats {
        &self.stats
    }

    /// The candidate-generation settings.
    pub fn candidate_config(&self) -> &CandidateConfig {
        &self.candidates
    }

    /// The re-ranker in use.
    pub fn ranker(&self) -> &Mlp {
        &self.ranker
    }

    /// Replaces the re-ranker in use (e.g. with a locally trained one). Shapes must match.
    pub fn set_ranker(&mut self, ranker: Mlp) -> Result<()> {
        if ranker.input_dim() != FEATURE_COUNT || ranker.output_dim() != 1 {
            return Err(Error::shape(
                "re-ranker inputs/outputs",
                format!("{FEATURE_COUNT}/1"),
                format!("{}/{}", ranker.input_dim(), ranker.output_dim()),
            ));
        }
        self.ranker = ranker;
        Ok(())
    }

    /// Back to the pretrained re-ranker (forgets local fine-tuning).
    pub fn reset_ranker(&mut self) {
        self.ranker = self.base_ranker.clone();
    }

    /// Recounts the statistics from other sequences (same items and settings), keeping the re-ranker.
    /// Used by the evaluation to add the validation items before testing.
    pub fn with_stats_from(&self, sequences: &[&[u32]]) -> Result<Self> {
        let attrs = self.stats.attributes.clone();
        let stats = ItemStats::build_with(sequences, self.item_count(), attrs, &self.stats.config)?;
        let mut m = self.clone();
        m.stats = stats;
        Ok(m)
    }

    fn prepare(&self, history: &[HistoryItem], scratch: &mut RankScratch) -> Result<()> {
        scratch.hist.clear();
        for (p, h) in history.iter().enumerate() {
            if h.item as usize >= self.item_count() {
                return Err(Error::invalid(
                    format!("history[{p}].item"),
                    h.item,
                    format!("unknown item (the model has {})", self.item_count()),
                ));
            }
            if !(h.weight.is_finite() && h.weight >= 0.0) {
                return Err(Error::invalid(
                    format!("history[{p}].weight"),
                    h.weight,
                    "must be finite and ≥ 0",
                ));
            }
            scratch.hist.push((h.item, h.weight));
        }
        let hist = std::mem::take(&mut scratch.hist);
        let built = scratch.cands.build(
            &self.stats,
            self.embedding.as_ref(),
            &hist,
            &self.candidates,
            &mut scratch.score,
        );
        scratch.hist = hist;
        built?;
        let n = scratch.cands.len();
        let x = ArrayView2::from_shape((n, FEATURE_COUNT), &scratch.cands.features)
            .map_err(|e| Error::shape("candidate features", FEATURE_COUNT, e))?;
        scratch.probs.clear();
        scratch.probs.resize(n, 0.0);
        self.ranker
            .predict_into(x, &mut scratch.probs[..], &mut scratch.ws)
    }

    /// The recent history item (other than `item`) closest to `item` in embedding space, with
    /// the cosine (None without an embedding or a positive cosine).
    fn closest_recent(&self, item: u32, history: &[HistoryItem]) -> Option<(u32, f32)> {
        let e = self.embedding.as_ref()?;
        let recent = self.stats.config.knn_history.max(1);
        let mut best: Option<(u32, f32)> = None;
        for h in history.iter().rev().take(recent) {
            let c = e.cosine(item, h.item);
            if h.item != item && c > 0.0 && best.is_none_or(|(_, b)| c > b) {
                best = Some((h.item, c));
            }
        }
        best
    }

    fn signals(
        &self,
        item: u32,
        history: &[HistoryItem],
        knn_share: f32,
        scratch: &RankScratch,
    ) -> Signals {
        let s = &scratch.score;
        let j = item as usize;
        let knn = s.knn.get(j).copied().unwrap_or(0.0);
        let m1 = s.m1.get(j).copied().unwrap_or(0.0);
        let after = if m1 > 0.0 {
            history.last().map(|h| h.item)
        } else if s.m2.get(j).copied().unwrap_or(0.0) > 0.0 {
            history
                .len()
                .checked_sub(2)
                .and_then(|p| history.get(p))
                .map(|h| h.item)
        } else {
            None
        };
        let closest = self.closest_recent(item, history);
        Signals {
            cooccurrence: knn,
            because_of: if knn > 0.0 {
                s.knn_src.get(j).copied()
            } else {
                None
            },
            markov: m1,
            after,
            session_knn: s.sknn.get(j).copied().unwrap_or(0.0),
            popularity: self.stats.popularity_score(item),
            attribute_overlap: self.stats.attribute_affinity(item, s),
            in_history: history.iter().any(|h| h.item == item),
            cooccurrence_share: knn_share,
            embedding: closest.map_or(0.0, |(_, c)| c),
            similar_to: closest.map(|(h, _)| h),
        }
    }

    /// Ranks the candidates for `history` (time order; may be empty: popularity prior) and
    /// returns the best `k` (fewer if there are fewer candidates), best first. Ties are broken
    /// by item index, so the same history always gives the same list.
    pub fn rank(
        &self,
        history: &[HistoryItem],
        k: usize,
        scratch: &mut RankScratch,
    ) -> Result<Vec<Scored>> {
        if k == 0 {
            return Err(Error::invalid("k", 0, "must be at least 1"));
        }
        self.prepare(history, scratch)?;
        let probs = &scratch.probs;
        let items = &scratch.cands.items;
        let mut order = crate::sort::order_by(scratch.cands.len(), |a, b| {
            probs[b].total_cmp(&probs[a]).then(items[a].cmp(&items[b]))
        });
        order.truncate(k);
        Ok(order
            .into_iter()
            .map(|c| {
                let item = scratch.cands.items[c];
                let knn_share = scratch.cands.row(c).first().copied().unwrap_or(0.0);
                Scored {
                    item,
                    score: scratch.probs[c],
                    signals: self.signals(item, history, knn_share, scratch),
                }
            })
            .collect())
    }

    /// Dense scores over all items for evaluation: candidates get the re-ranker probability;
    /// every other item scores below all candidates (in [-2, -1]), ordered by a fixed blend of
    /// its item-kNN and session-kNN evidence (beyond the candidate cut), its embedding cosine
    /// with the recent items (when the model has an embedding) and popularity.
    pub fn score_all(
        &self,
        history: &[u32],
        scratch: &mut RankScratch,
        out: &mut [f32],
    ) -> Result<()> {
        if out.len() != self.item_count() {
            return Err(Error::shape(
                "score_all output",
                self.item_count(),
                out.len(),
            ));
        }
        let hist: Vec<HistoryItem> = history.iter().map(|&i| HistoryItem::new(i)).collect();
        self.prepare(&hist, scratch)?;
        for (o, p) in out.iter_mut().zip(self.stats.popularity_scores()) {
            *o = -2.0 + 0.2 * p;
        }
        let sc = &scratch.score;
        let max_knn = sc
            .touched
            .iter()
            .map(|&j| sc.knn[j as usize])
            .fold(0f32, f32::max);
        if max_knn > 0.0 {
            for &j in &sc.touched {
                if let Some(o) = out.get_mut(j as usize) {
                    *o += 0.5 * sc.knn[j as usize] / max_knn;
                }
            }
        }
        let max_sknn = sc
            .sknn_touched
            .iter()
            .map(|&j| sc.sknn[j as usize])
            .fold(0f32, f32::max);
        if max_sknn > 0.0 {
            for &j in &sc.sknn_touched {
                if let Some(o) = out.get_mut(j as usize) {
                    *o += 0.3 * sc.sknn[j as usize] / max_sknn;
                }
            }
        }
        if self.candidates.from_embedding > 0 {
            for (o, &c) in out.iter_mut().zip(&scratch.cands.emb_cos) {
                *o += 0.2 * c.max(0.0);
            }
        }
        for (&j, &p) in scratch.cands.items.iter().zip(&scratch.probs) {
            if let Some(o) = out.get_mut(j as usize) {
                *o = p;
            }
        }
        Ok(())
    }

    /// Items similar to `item`: co-occurrence neighbours (normalised by the strongest) plus a
    /// quarter of the attribute Jaccard similarity plus [`SIMILAR_EMBEDDING_WEIGHT`] times the
    /// (positive) embedding cosine, best first, `item` itself excluded. The embedding's
    /// nearest neighbours are candidates too, so items without co-occurrence can appear.
    pub fn similar(&self, item: u32, k: usize) -> Result<Vec<Scored>> {
        if item as usize >= self.item_count() {
            return Err(Error::invalid(
                "item",
                item,
                format!("unknown item (the model has {})", self.item_count()),
            ));
        }
        if k == 0 {
            return Err(Error::invalid("k", 0, "must be at least 1"));
        }
        let row = self.stats.cooc.row(item);
        let items = row.items();
        let max = row.iter().map(|(_, w)| w).fold(0f32, f32::max).max(1e-12);
        let emb = self.embedding.as_ref();
        let cos = |j: u32| emb.map_or(0.0, |e| e.cosine(item, j).max(0.0));
        let mut scored: Vec<Scored> = Vec::new();
        let mut push = |j: u32, cooc: f32, jac: f32| {
            if j == item {
                return;
            }
            let emb = SIMILAR_EMBEDDING_WEIGHT * cos(j);
            let score = cooc / max + 0.25 * jac + emb;
            let signals = Signals {
                cooccurrence_share: cooc / max,
                embedding: emb,
                similar_to: (emb > 0.0).then_some(item),
                cooccurrence: cooc,
                because_of: (cooc > 0.0).then_some(item),
                markov: self.stats.markov.weight(item, j),
                after: (self.stats.markov.weight(item, j) > 0.0).then_some(item),
                popularity: self.stats.popularity_score(j),
                attribute_overlap: jac,
                ..Signals::default()
            };
            scored.push(Scored {
                item: j,
                score,
                signals,
            });
        };
        for (j, w) in row.iter() {
            push(j, w, self.stats.attribute_jaccard(item, j));
        }
        let near: Vec<u32> = emb.map_or(Vec::new(), |e| {
            e.nearest(item, k.max(SIMILAR_EMBEDDING_POOL))
                .into_iter()
                .map(|(j, _)| j)
                .filter(|j| !items.contains(j))
                .collect()
        });
        for &j in &near {
            push(j, 0.0, self.stats.attribute_jaccard(item, j));
        }
        if !self.stats.attributes.of(item).is_empty() {
            for j in 0..self.item_count() as u32 {
                if !items.contains(&j) && !near.contains(&j) {
                    let jac = self.stats.attribute_jaccard(item, j);
                    if jac > 0.0 {
                        push(j, 0.0, jac);
                    }
                }
            }
        }
        crate::sort::sort_by(&mut scored, |a, b| {
            b.score
                .total_cmp(&a.score)
                .then(b.signals.popularity.total_cmp(&a.signals.popularity))
                .then(a.item.cmp(&b.item))
        });
        scored.truncate(k);
        Ok(scored)
    }

    /// Bytes taken by each part of the serialised model (item ids, statistics tables, re-rankers).
    pub fn size_report(&self) -> Vec<(&'static str, usize)> {
        let size = |f: &dyn Fn(&mut Writer)| {
            let mut w = Writer::new();
            f(&mut w);
            w.into_bytes().len()
        };
        let st = &self.stats;
        vec![
            (
                "item ids",
                size(&|w| self.vocab.ids().iter().for_each(|id| w.put_str(id))),
            ),
            ("co-occurrence", size(&|w| st.cooc.write(w))),
            ("markov", size(&|w| st.markov.write(w))),
            (
                "sessions",
                size(&|w| {
                    if let Some(s) = &st.sessions {
                        s.write(w)
                    }
                }),
            ),
            ("popularity", 8 * st.n_items()),
            (
                "item embedding",
                self.embedding.as_ref().map_or(0, |e| e.to_bytes().len()),
            ),
            (
                "re-rankers",
                self.ranker.to_bytes().len() + self.base_ranker.to_bytes().len(),
            ),
        ]
    }

    /// Serialises the model (`codec::seal`, kind `LRBM`, version 2). A model
    /// read without its ids ([`BaseModel::has_item_ids`] false) has none to
    /// write: reading its bytes fails with a decode error naming the item ids.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.put_len(self.vocab.len());
        for id in self.vocab.ids() {
            w.put_str(id);
        }
        w.put_len(self.attr_vocab.len());
        for id in self.attr_vocab.ids() {
            w.put_str(id);
        }
        self.stats.write(&mut w);
        let c = &self.candidates;
        for v in [
            c.from_knn,
            c.from_markov,
            c.from_sknn,
            c.popular,
            c.from_embedding,
        ] {
            w.put_u64(v as u64);
        }
        w.put_bool(c.exclude_history);
        w.put_bool(c.embedding_features);
        w.put_bool(self.embedding.is_some());
        if let Some(e) = &self.embedding {
            e.write(&mut w);
        }
        w.put_bytes(&self.base_ranker.to_bytes());
        w.put_bytes(&self.ranker.to_bytes());
        codec::seal(MODEL_KIND, MODEL_VERSION, &w.into_bytes())
    }

    /// Reads a model written by [`BaseModel::to_bytes`]; corrupt or truncated blobs are errors.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::decode(bytes, None)
    }

    /// Reads a model like [`BaseModel::from_bytes`] without keeping its item
    /// ids: each id is passed to `on_id` with its index instead (a caller
    /// that holds the same ids, like the storefront's catalog, maps them to
    /// its own), and the model's [`BaseModel::item_id`] and
    /// [`BaseModel::item_index`] know none. Saves the id table: about 50
    /// bytes an item in wasm (2.5 MiB at 50,000 items), and its peak while
    /// decoding. Duplicate ids are not detected here (`on_id` may).
    ///
    /// ```
    /// # use localrec::rec::{pretrain, BaseModel, ItemVocab, PretrainConfig};
    /// # let mut vocab = ItemVocab::new();
    /// # let seqs: Vec<Vec<u32>> = (0..40u32).map(|u| (0..4).map(|t| vocab.intern(&format!("i{}", (u + t) % 9)).unwrap()).collect()).collect();
    /// # let views: Vec<&[u32]> = seqs.iter().map(|s| s.as_slice()).collect();
    /// # let (model, _) = pretrain(&views, vocab, None, &[], &PretrainConfig { epochs: 1, ..Default::default() }, &mut |_| {})?;
    /// let mut ids = Vec::new();
    /// let lean = BaseModel::from_bytes_without_ids(&model.to_bytes(), &mut |i, id| {
    ///     ids.push((i, id.to_string()));
    ///     Ok(())
    /// })?;
    /// assert_eq!(lean.item_count(), model.item_count());
    /// assert_eq!((lean.item_id(0), ids[0].1.as_str()), (None, model.item_id(0).unwrap()));
    /// # Ok::<(), localrec::Error>(())
    /// ```
    pub fn from_bytes_without_ids(bytes: &[u8], on_id: &mut OnItemId<'_>) -> Result<Self> {
        Self::decode(bytes, Some(on_id))
    }

    fn decode(bytes: &[u8], on_id: Option<&mut OnItemId<'_>>) -> Result<Self> {
        let (version, payload) = codec::open(bytes, MODEL_KIND, MODEL_VERSION)?;
        if version < MODEL_VERSION {
            return Err(Error::decode(format!(
                "base model format {version} predates the item embedding and the {FEATURE_COUNT}-feature \
                 re-ranker (format {MODEL_VERSION}): pretrain it again with `localrec pretrain`"
            )));
        }
        let mut r = Reader::new(payload);
        let read_vocab = |r: &mut Reader<'_>, what: &str| -> Result<ItemVocab> {
            let n = r.get_len(what, 8)?;
            let mut ids = Vec::with_capacity(n);
            for _ in 0..n {
                ids.push(r.get_str(what)?);
            }
            ItemVocab::from_ids(ids).map_err(|e| Error::decode(format!("{what}: {e}")))
        };
        let (vocab, n_ids) = match on_id {
            None => {
                let vocab = read_vocab(&mut r, "item ids")?;
                let n = vocab.len();
                (vocab, n)
            }
            Some(on_id) => {
                let n = r.get_len("item ids", 8)?;
                for i in 0..n {
                    let id = std::str::from_utf8(r.get_bytes("item ids")?)
                        .map_err(|_| Error::decode("item ids: not UTF-8"))?;
                    on_id(i as u32, id)?;
                }
                (ItemVocab::new(), n)
            }
        };
        let attr_vocab = read_vocab(&mut r, "attribute ids")?;
        let stats = ItemStats::read(&mut r)?;
        if n_ids != stats.n_items() {
            return Err(Error::decode(format!(
                "item ids: {n_ids} ids for {} items of statistics",
                stats.n_items()
            )));
        }
        let mut sizes = [0usize; 5];
        for s in &mut sizes {
            *s = r.get_u64("candidate sizes")?.min(1 << 20) as usize;
        }
        let exclude_history = r.get_bool("exclude history")?;
        let embedding_features = r.get_bool("embedding features")?;
        let candidates = CandidateConfig {
            from_knn: sizes[0],
            from_markov: sizes[1],
            from_sknn: sizes[2],
            popular: sizes[3],
            from_embedding: sizes[4],
            exclude_history,
            embedding_features,
        };
        let embedding = if r.get_bool("has embedding")? {
            Some(ItemEmbedding::read(&mut r, n_ids)?)
        } else {
            None
        };
        let base = Mlp::from_bytes(r.get_bytes("base ranker")?)?;
        let ranker = Mlp::from_bytes(r.get_bytes("ranker")?)?;
        r.finish()?;
        let mut model = BaseModel::assemble(vocab, attr_vocab, stats, candidates, base)?
            .with_embedding(embedding)?;
        model.set_ranker(ranker)?;
        Ok(model)
    }
}
