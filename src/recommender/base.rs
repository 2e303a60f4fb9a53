//! Aggregate item statistics from the shop's base model, aligned to the
//! loaded catalog: popularity and item-to-item co-occurrence ("often bought
//! together"). They are the cold-start prior and a cross feature of the
//! re-ranker. Items of the catalog the base model does not know get none.
//!
//! ```
//! use localrec::recommender::base::BaseStats;
//! let ids = ["a", "b", "c"].map(String::from);
//! let stats = BaseStats::align(&ids, |id| match id { "a" => Some(0), "b" => Some(1), _ => None },
//!     &[10.0, 1.0], &[vec![(1, 0.5)], vec![(0, 0.5)]]).unwrap();
//! assert!(stats.popularity(0) > stats.popularity(1));
//! assert_eq!(stats.popularity(2), 0.0);
//! ```

use crate::error::{Error, Result};

/// Popularity and neighbour lists indexed by *catalog* item index.
#[derive(Debug, Clone, Default)]
pub struct BaseStats {
    /// ln(1 + count) scaled to [0, 1] by the catalog's maximum.
    popularity: Vec<f32>,
    /// Neighbours of catalog item i: `entries[offsets[i]..offsets[i + 1]]`,
    /// sorted by item (one flat table: no allocation per item).
    offsets: Vec<u32>,
    entries: Vec<(u32, f32)>,
    /// Catalog items the base model knows.
    pub known_items: usize,
}

impl BaseStats {
    /// Aligns statistics indexed by the base model's own item indices to the
    /// catalog (`catalog_ids[i]` is catalog item i; `model_index` maps an id
    /// to the model's index). Fails, so that the caller falls back to cold
    /// start, when fewer than half of the catalog's items are known to the
    /// model: it was built for another catalog.
    pub fn align(
        catalog_ids: &[impl AsRef<str>],
        model_index: impl Fn(&str) -> Option<u32>,
        model_popularity: &[f32],
        model_neighbours: &[Vec<(u32, f32)>],
    ) -> Result<BaseStats> {
        let rows = model_popularity.len().max(model_neighbours.len());
        Self::align_rows(catalog_ids, model_index, model_popularity, rows, |mi| {
            model_neighbours.get(mi).cloned().unwrap_or_default()
        })
    }

    /// [`BaseStats::align`] reading the model's neighbour rows one at a time
    /// (`rows` of them), so no per-item copy of the whole table is made.
    pub fn align_rows(
        catalog_ids: &[impl AsRef<str>],
        model_index: impl Fn(&str) -> Option<u32>,
        model_popularity: &[f32],
        rows: usize,
        model_row: impl Fn(usize) -> Vec<(u32, f32)>,
    ) -> Result<BaseStats> {
        let rows = rows.max(model_popularity.len());
        let mut to_catalog: Vec<Option<u32>> = vec![None; rows];
        for (ci, id) in catalog_ids.iter().enumerate() {
            if let Some(mi) = model_index(id.as_ref()) {
                if let Some(slot) = to_catalog.get_mut(mi as usize) {
                    *slot = Some(ci as u32);
                }
            }
        }
        let known = to_catalog.iter().filter(|x| x.is_some()).count();
        if known * 2 < catalog_ids.len() {
            return Err(Error::invalid(
                "baseModel",
                format!("{known} of {} catalog items known", catalog_ids.len()),
                "the base model was built for another catalog (fewer than half of the items match); using cold start",
            ));
        }
        if u32::try_from(catalog_ids.len()).is_err() {
            return Err(Error::invalid(
                "catalog.length",
                catalog_ids.len(),
                "too many items",
            ));
        }
        let mut popularity = vec![0.0f32; catalog_ids.len()];
        let mut model_of: Vec<Option<usize>> = vec![None; catalog_ids.len()];
        let max_pop = model_popularity
            .iter()
            .copied()
            .filter(|p| p.is_finite() && *p > 0.0)
            .fold(0.0f32, f32::max);
        for (mi, ci) in to_catalog.iter().enumerate() {
            let Some(ci) = ci else { continue };
            if let Some(slot) = model_of.get_mut(*ci as usize) {
                *slot = Some(mi);
            }
            if let (Some(&p), true) = (model_popularity.get(mi), max_pop > 0.0) {
                if p.is_finite() && p > 0.0 {
                    if let Some(slot) = popularity.get_mut(*ci as usize) {
                        *slot = p.ln_1p() / max_pop.ln_1p();
                    }
                }
            }
        }
        // Rows in catalog order, each mapped to catalog indices and sorted.
        let mut offsets = Vec::with_capacity(catalog_ids.len() + 1);
        let mut entries: Vec<(u32, f32)> = Vec::new();
        offsets.push(0u32);
        for mi in &model_of {
            if let Some(mi) = mi {
                let start = entries.len();
                entries.extend(
                    model_row(*mi)
                        .into_iter()
                        .filter(|(_, w)| w.is_finite() && *w > 0.0)
                        .filter_map(|(n, w)| {
                            to_catalog
                                .get(n as usize)
                                .copied()
                                .flatten()
                                .map(|c| (c, w))
                        }),
                );
                if let Some(row) = entries.get_mut(start..) {
                    crate::sort::sort_by_key(row, |&(c, _)| c);
                }
            }
            let end = u32::try_from(entries.len()).map_err(|_| {
                Error::invalid("baseModel.neighbours", entries.len(), "too many entries")
            })?;
            offsets.push(end);
        }
        entries.shrink_to_fit();
        Ok(BaseStats {
            popularity,
            offsets,
            entries,
            known_items: known,
        })
    }

    /// Popularity in [0, 1] (0 when unknown).
    pub fn popularity(&self, item: u32) -> f32 {
        self.popularity.get(item as usize).copied().unwrap_or(0.0)
    }
    /// Co-occurrence neighbours of an item, sorted by item index.
    pub fn neighbours(&self, item: u32) -> &[(u32, f32)] {
        let i = item as usize;
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => self.entries.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
    /// Number of catalog items the statistics are aligned to.
    pub fn len(&self) -> usize {
        self.popularity.len()
    }
    pub fn is_empty(&self) -> bool {
        self.popularity.is_empty()
    }
    pub fn has_popularity(&self) -> bool {
        self.popularity.iter().any(|&p| p > 0.0)
    }
}

/// The shop's base model ([`crate::rec::BaseModel`]) linked to the loaded
/// catalog: index maps both ways, the aligned statistics, and an identity
/// of the blob so a fine-tuned re-ranker is only restored onto the base it
/// was tuned from.
#[derive(Debug, Clone)]
pub struct BaseLink {
    pub model: crate::rec::BaseModel,
    /// Catalog index → model index.
    pub to_model: Vec<Option<u32>>,
    /// Model index → catalog index.
    pub to_catalog: Vec<Option<u32>>,
    pub stats: BaseStats,
    /// FNV-1a 64 of the base model blob.
    pub fingerprint: u64,
    /// The re-ranker was fine-tuned on this device.
    pub tuned: bool,
}

impl BaseLink {
    /// Decodes a base model blob and links it to the catalog ids. Fails when
    /// the blob is corrupt or the model was built for another catalog.
    pub fn new(bytes: &[u8], catalog_ids: &[&str]) -> Result<BaseLink> {
        let model = crate::rec::BaseModel::from_bytes(bytes)?;
        let n = model.item_count();
        let stats_src = model.stats();
        let stats = BaseStats::align_rows(
            catalog_ids,
            |id| model.item_index(id),
            &stats_src.popularity,
            n,
            |mi| {
                let (items, weights) = stats_src.cooc.row(mi as u32);
                items.iter().copied().zip(weights.iter().copied()).collect()
            },
        )?;
        let mut to_model = vec![None; catalog_ids.len()];
        let mut to_catalog = vec![None; n];
        for (ci, id) in catalog_ids.iter().enumerate() {
            if let Some(mi) = model.item_index(id) {
                to_model[ci] = Some(mi);
                if let Some(slot) = to_catalog.get_mut(mi as usize) {
                    *slot = Some(ci as u32);
                }
            }
        }
        let fingerprint = crate::prep::hash::fnv1a_64(bytes);
        Ok(BaseLink {
            model,
            to_model,
            to_catalog,
            stats,
            fingerprint,
            tuned: false,
        })
    }
}
