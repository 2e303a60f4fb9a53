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
//! assert_eq!(stats.neighbours(0).collect::<Vec<_>>(), vec![(1, 0.5)]);
//! ```

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::rec::Neighbours;

/// "No index" in the maps between catalog and model indices.
const NONE: u32 = u32::MAX;

/// Popularity and neighbour lists indexed by *catalog* item index.
///
/// The neighbour lists are the base model's own table, shared (not copied)
/// and read through two index maps: at 50,000 items and 700,000 neighbours a
/// catalog-ordered copy cost 5.6 MB of the browser's heap.
#[derive(Debug, Clone, Default)]
pub struct BaseStats {
    /// ln(1 + count) scaled to [0, 1] by the catalog's maximum.
    popularity: Vec<f32>,
    /// Neighbour rows in the model's indices.
    cooc: Arc<Neighbours>,
    /// Catalog index → model index ([`NONE`] when the model does not know the item).
    to_model: Vec<u32>,
    /// Model index → catalog index ([`NONE`] when the catalog does not hold the item).
    to_catalog: Vec<u32>,
    /// Catalog items the base model knows.
    pub known_items: usize,
}

impl BaseStats {
    /// Aligns statistics indexed by the base model's own item indices to the
    /// catalog (`catalog_ids[i]` is catalog item i; `model_index` maps an id
    /// to the model's index). Fails, so that the caller falls back to cold
    /// start, when fewer than half of the catalog's items are known to the
    /// model: it was built for another catalog. Neighbour weights are kept
    /// to bfloat16 precision, as the base model stores them.
    pub fn align(
        catalog_ids: &[impl AsRef<str>],
        model_index: impl Fn(&str) -> Option<u32>,
        model_popularity: &[f32],
        model_neighbours: &[Vec<(u32, f32)>],
    ) -> Result<BaseStats> {
        let rows = model_popularity.len().max(model_neighbours.len());
        let mut to_catalog = vec![NONE; rows];
        for (ci, id) in catalog_ids.iter().enumerate() {
            if let Some(slot) =
                model_index(id.as_ref()).and_then(|mi| to_catalog.get_mut(mi as usize))
            {
                *slot = ci as u32;
            }
        }
        let mut lists: Vec<Vec<(u32, f32)>> = model_neighbours.to_vec();
        lists.resize(rows, Vec::new());
        for l in &mut lists {
            l.retain(|&(j, _)| (j as usize) < rows);
        }
        let cooc = Neighbours::from_lists(lists)?;
        Self::link(
            catalog_ids.len(),
            to_catalog,
            model_popularity,
            Arc::new(cooc),
        )
    }

    /// The statistics of a base model whose item `mi` is catalog item
    /// `to_catalog[mi]` ([`u32::MAX`] when the catalog does not hold it),
    /// for a catalog of `catalog_len` items: popularity from the model's
    /// counts, neighbours shared with the model. Fails when fewer than half
    /// of the catalog's items are known (the model was built for another
    /// catalog) or two model items claim the same catalog item.
    pub fn link(
        catalog_len: usize,
        to_catalog: Vec<u32>,
        model_popularity: &[f32],
        cooc: Arc<Neighbours>,
    ) -> Result<BaseStats> {
        if u32::try_from(catalog_len).is_err() {
            return Err(Error::invalid(
                "catalog.length",
                catalog_len,
                "too many items",
            ));
        }
        let mut to_model = vec![NONE; catalog_len];
        for (mi, &ci) in to_catalog.iter().enumerate() {
            if ci == NONE {
                continue;
            }
            let Some(slot) = to_model.get_mut(ci as usize) else {
                return Err(Error::invalid(
                    "baseModel item",
                    mi,
                    format!("maps to catalog item {ci} of {catalog_len}"),
                ));
            };
            if *slot != NONE {
                return Err(Error::invalid(
                    "baseModel item ids",
                    format!("items {} and {mi}", *slot),
                    "both are the same catalog item (an id appears twice)",
                ));
            }
            *slot = mi as u32;
        }
        let known = to_model.iter().filter(|&&m| m != NONE).count();
        if known * 2 < catalog_len {
            return Err(Error::invalid(
                "baseModel",
                format!("{known} of {catalog_len} catalog items known"),
                "the base model was built for another catalog (fewer than half of the items match); using cold start",
            ));
        }
        let max_pop = model_popularity
            .iter()
            .copied()
            .filter(|p| p.is_finite() && *p > 0.0)
            .fold(0.0f32, f32::max);
        let popularity = to_model
            .iter()
            .map(|&mi| match model_popularity.get(mi as usize) {
                Some(&p) if max_pop > 0.0 && p.is_finite() && p > 0.0 => {
                    p.ln_1p() / max_pop.ln_1p()
                }
                _ => 0.0,
            })
            .collect();
        Ok(BaseStats {
            popularity,
            cooc,
            to_model,
            to_catalog,
            known_items: known,
        })
    }

    /// Popularity in [0, 1] (0 when unknown).
    pub fn popularity(&self, item: u32) -> f32 {
        self.popularity.get(item as usize).copied().unwrap_or(0.0)
    }

    /// Co-occurrence neighbours of a catalog item (catalog indices, positive
    /// weights, in the model's row order: strongest first; each at most once).
    pub fn neighbours(&self, item: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        let row = self
            .model_index(item)
            .map_or_else(Default::default, |mi| self.cooc.row(mi));
        row.iter()
            .filter(|&(_, w)| w.is_finite() && w > 0.0)
            .filter_map(|(j, w)| self.catalog_index(j).map(|c| (c, w)))
    }

    /// The co-occurrence weight of `other` in the neighbours of `item` (0 when absent).
    pub fn neighbour_weight(&self, item: u32, other: u32) -> f32 {
        self.neighbours(item)
            .find(|&(c, _)| c == other)
            .map_or(0.0, |(_, w)| w)
    }

    /// The model index of catalog item `item`, if the model knows it.
    pub fn model_index(&self, item: u32) -> Option<u32> {
        self.to_model
            .get(item as usize)
            .copied()
            .filter(|&m| m != NONE)
    }

    /// The catalog index of model item `item`, if the catalog holds it.
    pub fn catalog_index(&self, item: u32) -> Option<u32> {
        self.to_catalog
            .get(item as usize)
            .copied()
            .filter(|&c| c != NONE)
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
/// catalog: the statistics aligned to it (with the index maps both ways) and
/// an identity of the blob so a fine-tuned re-ranker is only restored onto
/// the base it was tuned from.
#[derive(Debug, Clone)]
pub struct BaseLink {
    /// The model, read without its item ids (the catalog holds them).
    pub model: crate::rec::BaseModel,
    pub stats: BaseStats,
    /// FNV-1a 64 of the base model blob.
    pub fingerprint: u64,
    /// The re-ranker was fine-tuned on this device.
    pub tuned: bool,
}

impl BaseLink {
    /// Decodes a base model blob and links it to a catalog of `catalog_len`
    /// items (`catalog_index` finds an id's index in it). The model's ids are
    /// mapped as they are read and never stored. Fails when the blob is
    /// corrupt or the model was built for another catalog.
    pub fn new(
        bytes: &[u8],
        catalog_len: usize,
        catalog_index: impl Fn(&str) -> Option<u32>,
    ) -> Result<BaseLink> {
        let fingerprint = crate::prep::hash::fnv1a_64(bytes);
        let mut to_catalog: Vec<u32> = Vec::new();
        let model = crate::rec::BaseModel::from_bytes_without_ids(bytes, &mut |_, id| {
            to_catalog.push(catalog_index(id).unwrap_or(NONE));
            Ok(())
        })?;
        to_catalog.shrink_to_fit();
        let source = model.stats();
        let stats = BaseStats::link(
            catalog_len,
            to_catalog,
            &source.popularity,
            Arc::clone(&source.cooc),
        )?;
        Ok(BaseLink {
            model,
            stats,
            fingerprint,
            tuned: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_map_both_ways_and_refuse_two_items_for_one() {
        let cooc = Arc::new(
            Neighbours::from_lists(vec![vec![(1, 0.5), (2, 0.25)], vec![(0, 0.5)], vec![]])
                .unwrap(),
        );
        // Model items 0, 1, 2 are catalog items 2, 0 and (not in the catalog).
        let stats =
            BaseStats::link(3, vec![2, 0, NONE], &[4.0, 1.0, 9.0], Arc::clone(&cooc)).unwrap();
        assert_eq!(
            (stats.model_index(2), stats.model_index(1)),
            (Some(0), None)
        );
        assert_eq!(stats.catalog_index(2), None);
        // Catalog item 2 (model 0): model neighbour 1 is catalog item 0; model 2 is unknown.
        assert_eq!(stats.neighbours(2).collect::<Vec<_>>(), vec![(0, 0.5)]);
        assert_eq!(stats.neighbour_weight(0, 2), 0.5);
        assert_eq!(stats.neighbour_weight(0, 1), 0.0);
        assert_eq!(stats.known_items, 2);
        assert!(stats.popularity(2) > stats.popularity(0) && stats.popularity(1) == 0.0);
        let twice = BaseStats::link(3, vec![0, 0, 1], &[1.0; 3], Arc::clone(&cooc));
        assert!(twice.unwrap_err().to_string().contains("appears twice"));
        let outside = BaseStats::link(3, vec![0, 7, 1], &[1.0; 3], cooc);
        assert!(outside.is_err());
    }
}
