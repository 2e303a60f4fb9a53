//! The fitted item featurizer: a catalog item becomes a dense `f32` vector
//! (for the network) and a sorted set of attribute tokens (for content
//! overlap and "similar items").
//!
//! Fit once on the shop's catalog ([`ItemFeaturizer::fit`]), ship the frozen
//! state next to the model ([`ItemFeaturizer::to_bytes`], codec kind `PREP`),
//! and the browser computes exactly the same vectors. Missing fields map to
//! "was missing" indicators, unseen categories to OOV slots: transforming
//! never fails on item content.
//!
//! Layout (see [`ItemFeaturizer::feature_names`]):
//! price (missing, log-price z-score clipped, quantile-bucket one-hot) ·
//! rating (missing, min-max clipped to [0, 1]) · in stock (missing, value) ·
//! has title · has image · each kept numeric attribute (missing, z clipped) ·
//! top-level category one-hot (+OOV) · hashed category prefixes · hashed
//! brand · hashed tags · hashed title words (each with an OOV bucket).
//!
//! ```
//! use localrec::prep::{Catalog, CatalogItem, FeatureConfig, ItemFeaturizer};
//! let items = vec![
//!     CatalogItem { id: "a".into(), price: Some(10.0), brand: Some("Nivea".into()), ..Default::default() },
//!     CatalogItem { id: "b".into(), price: Some(30.0), category: Some("Beauty > Hair".into()), ..Default::default() },
//! ];
//! let (catalog, _) = Catalog::from_items(items).unwrap();
//! let f = ItemFeaturizer::fit(&catalog, &FeatureConfig::default()).unwrap();
//! let x = f.transform(catalog.item(0).unwrap()).unwrap();
//! assert_eq!(x.len(), f.dim());
//! let back = ItemFeaturizer::from_bytes(&f.to_bytes()).unwrap();
//! assert_eq!(back.transform(catalog.item(0).unwrap()).unwrap(), x);
//! ```

use crate::codec::{open, seal, Reader, Writer};
use crate::error::{Error, Result};
use crate::prep::catalog::{category_prefixes, clean_item, Catalog, CleanItem};
use crate::prep::encode::{HashingEncoder, OneHotEncoder};
use crate::prep::format::{Persist, PREP_KIND, PREP_VERSION};
use crate::prep::report::CleanReport;
use crate::prep::scale::{signed_log1p, Bucketizer, MinMaxScaler, StandardScaler};
use crate::prep::text::{key, title_words};
use crate::prep::types::CatalogItem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Hyper-parameters of the featurizer (fixed before fitting).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FeatureConfig {
    /// Quantile buckets of the log price (default 8).
    #[serde(alias = "price_buckets")]
    pub price_buckets: usize,
    /// Most numeric attributes kept, the most common first (default 16).
    #[serde(alias = "max_attributes")]
    pub max_attributes: usize,
    /// An attribute is kept only if at least this many items have it (default 2).
    #[serde(alias = "min_attribute_items")]
    pub min_attribute_items: usize,
    /// Most top-level categories one-hot encoded (default 32; the rest are OOV).
    #[serde(alias = "max_top_categories")]
    pub max_top_categories: usize,
    /// Hash buckets of category path prefixes (default 32).
    #[serde(alias = "category_buckets")]
    pub category_buckets: u32,
    /// Hash buckets of brands (default 32).
    #[serde(alias = "brand_buckets")]
    pub brand_buckets: u32,
    /// Hash buckets of tags (default 32).
    #[serde(alias = "tag_buckets")]
    pub tag_buckets: u32,
    /// Hash buckets of title words (default 64).
    #[serde(alias = "title_buckets")]
    pub title_buckets: u32,
    /// Z-scores are clipped to `[-z_clip, z_clip]` (default 5): one absurd price cannot dominate.
    #[serde(alias = "z_clip")]
    pub z_clip: f64,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            price_buckets: 8,
            max_attributes: 16,
            min_attribute_items: 2,
            max_top_categories: 32,
            category_buckets: 32,
            brand_buckets: 32,
            tag_buckets: 32,
            title_buckets: 64,
            z_clip: 5.0,
        }
    }
}

impl FeatureConfig {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<()> {
        if self.price_buckets == 0 || self.price_buckets > 1024 {
            return Err(Error::invalid(
                "priceBuckets",
                self.price_buckets,
                "must be between 1 and 1024",
            ));
        }
        if self.max_attributes > 1024 {
            return Err(Error::invalid(
                "maxAttributes",
                self.max_attributes,
                "must be at most 1024",
            ));
        }
        if self.max_top_categories > 4096 {
            return Err(Error::invalid(
                "maxTopCategories",
                self.max_top_categories,
                "must be at most 4096",
            ));
        }
        for (field, b) in [
            ("categoryBuckets", self.category_buckets),
            ("brandBuckets", self.brand_buckets),
            ("tagBuckets", self.tag_buckets),
            ("titleBuckets", self.title_buckets),
        ] {
            if b == 0 || b > 65_536 {
                return Err(Error::invalid(field, b, "must be between 1 and 65536"));
            }
        }
        if !self.z_clip.is_finite() || self.z_clip <= 0.0 {
            return Err(Error::invalid(
                "zClip",
                self.z_clip,
                "must be a finite number > 0",
            ));
        }
        Ok(())
    }

    fn write(&self, w: &mut Writer) {
        w.put_len(self.price_buckets);
        w.put_len(self.max_attributes);
        w.put_len(self.min_attribute_items);
        w.put_len(self.max_top_categories);
        w.put_u32(self.category_buckets);
        w.put_u32(self.brand_buckets);
        w.put_u32(self.tag_buckets);
        w.put_u32(self.title_buckets);
        w.put_f64(self.z_clip);
    }

    fn read(r: &mut Reader) -> Result<Self> {
        let to_usize = |v: u64, field: &str| {
            usize::try_from(v).map_err(|_| Error::decode(format!("{field}: {v} too large")))
        };
        let c = FeatureConfig {
            price_buckets: to_usize(r.get_u64("config.priceBuckets")?, "priceBuckets")?,
            max_attributes: to_usize(r.get_u64("config.maxAttributes")?, "maxAttributes")?,
            min_attribute_items: to_usize(
                r.get_u64("config.minAttributeItems")?,
                "minAttributeItems",
            )?,
            max_top_categories: to_usize(
                r.get_u64("config.maxTopCategories")?,
                "maxTopCategories",
            )?,
            category_buckets: r.get_u32("config.categoryBuckets")?,
            brand_buckets: r.get_u32("config.brandBuckets")?,
            tag_buckets: r.get_u32("config.tagBuckets")?,
            title_buckets: r.get_u32("config.titleBuckets")?,
            z_clip: r.get_f64("config.zClip")?,
        };
        c.validate()
            .map_err(|e| Error::decode(format!("stored featurizer config: {e}")))?;
        Ok(c)
    }
}

/// A fitted, frozen item featurizer.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFeaturizer {
    config: FeatureConfig,
    /// [`Catalog::fingerprint`] of the catalog it was fitted on.
    catalog_fingerprint: u64,
    log_price: StandardScaler,
    price_buckets: Bucketizer,
    rating: MinMaxScaler,
    /// Imputed min-max rating for items without one.
    rating_fill: f64,
    /// Imputed in-stock value: the fitted share of items in stock.
    in_stock_fill: f64,
    attributes: Vec<(String, StandardScaler)>,
    top_category: OneHotEncoder,
    category: HashingEncoder,
    brand: HashingEncoder,
    tags: HashingEncoder,
    title: HashingEncoder,
}

impl ItemFeaturizer {
    /// Fits on the items of `catalog`. Fails on a bad `config` or an empty catalog.
    pub fn fit(catalog: &Catalog, config: &FeatureConfig) -> Result<Self> {
        config.validate()?;
        if catalog.is_empty() {
            return Err(Error::invalid(
                "catalog",
                "0 items",
                "cannot fit features on an empty catalog",
            ));
        }
        let items = catalog.items();
        let log_prices: Vec<f64> = items
            .iter()
            .filter_map(|i| i.price)
            .map(signed_log1p)
            .collect::<Result<_>>()?;
        let log_price = StandardScaler::fit(&log_prices).unwrap_or(StandardScaler::IDENTITY);
        let price_buckets = Bucketizer::fit_quantiles(&log_prices, config.price_buckets)?;
        let ratings: Vec<f64> = items.iter().filter_map(|i| i.rating).collect();
        let rating = MinMaxScaler::fit(&ratings).unwrap_or(MinMaxScaler { min: 0.0, max: 1.0 });
        let rating_fill = if ratings.is_empty() {
            0.0
        } else {
            let mut s = 0.0;
            for &r in &ratings {
                s += rating.transform(r)?.clamp(0.0, 1.0);
            }
            s / ratings.len() as f64
        };
        let stock: Vec<bool> = items.iter().filter_map(|i| i.in_stock).collect();
        let in_stock_fill = if stock.is_empty() {
            1.0
        } else {
            stock.iter().filter(|&&b| b).count() as f64 / stock.len() as f64
        };

        let mut attr_counts: BTreeMap<&str, usize> = BTreeMap::new();
        for i in items {
            for name in i.attributes.keys() {
                *attr_counts.entry(name).or_insert(0) += 1;
            }
        }
        let mut ranked: Vec<(&str, usize)> = attr_counts
            .into_iter()
            .filter(|&(_, n)| n >= config.min_attribute_items.max(1))
            .collect();
        crate::sort::sort_by_key(&mut ranked, |r| std::cmp::Reverse(r.1)); // stable: ties stay alphabetical
        ranked.truncate(config.max_attributes);
        crate::sort::sort_by(&mut ranked, |a, b| a.0.cmp(b.0));
        let mut attributes = Vec::with_capacity(ranked.len());
        for (name, _) in ranked {
            let values: Vec<f64> = items
                .iter()
                .filter_map(|i| i.attributes.get(name))
                .collect();
            let scaler = StandardScaler::fit(&values).unwrap_or(StandardScaler::IDENTITY);
            attributes.push((name.to_string(), scaler));
        }

        let top_category = OneHotEncoder::fit(
            items
                .iter()
                .filter_map(|i| i.category.first().map(String::as_str)),
            config.max_top_categories,
        )?;
        let prefixes: Vec<String> = items
            .iter()
            .flat_map(|i| category_prefixes(&i.category))
            .collect();
        let category = HashingEncoder::fit(
            "category",
            config.category_buckets,
            prefixes.iter().map(String::as_str),
        )?;
        let brand = HashingEncoder::fit(
            "brand",
            config.brand_buckets,
            items.iter().filter_map(|i| i.brand.as_deref()),
        )?;
        let tags = HashingEncoder::fit(
            "tag",
            config.tag_buckets,
            items.iter().flat_map(|i| i.tags.iter().map(String::as_str)),
        )?;
        let words: Vec<String> = items
            .iter()
            .filter_map(|i| i.title.as_deref())
            .flat_map(title_words)
            .collect();
        let title = HashingEncoder::fit(
            "title",
            config.title_buckets,
            words.iter().map(String::as_str),
        )?;
        Ok(ItemFeaturizer {
            config: config.clone(),
            catalog_fingerprint: catalog.fingerprint(),
            log_price,
            price_buckets,
            rating,
            rating_fill,
            in_stock_fill,
            attributes,
            top_category,
            category,
            brand,
            tags,
            title,
        })
    }

    /// The hyper-parameters it was fitted with.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// The fingerprint of the catalog it was fitted on ([`Catalog::fingerprint`]).
    pub fn catalog_fingerprint(&self) -> u64 {
        self.catalog_fingerprint
    }

    /// Names of the numeric attributes it encodes, alphabetical.
    pub fn attribute_names(&self) -> Vec<&str> {
        self.attributes.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Length of every feature vector.
    pub fn dim(&self) -> usize {
        2 + self.price_buckets.n_buckets()
            + 2
            + 2
            + 2
            + 2 * self.attributes.len()
            + self.top_category.width()
            + self.category.width()
            + self.brand.width()
            + self.tags.width()
            + self.title.width()
    }

    /// One name per feature, in vector order (for explanations and debugging).
    pub fn feature_names(&self) -> Vec<String> {
        let mut n = vec!["price_missing".to_string(), "price_log_z".to_string()];
        n.extend((0..self.price_buckets.n_buckets()).map(|i| format!("price_bucket_{i}")));
        n.extend(
            [
                "rating_missing",
                "rating_minmax",
                "in_stock_missing",
                "in_stock",
                "has_title",
                "has_image",
            ]
            .map(String::from),
        );
        for (name, _) in &self.attributes {
            n.push(format!("attr_missing:{name}"));
            n.push(format!("attr_z:{name}"));
        }
        n.extend(
            self.top_category
                .labels
                .classes
                .iter()
                .map(|c| format!("top_category={c}")),
        );
        n.push("top_category=<oov>".into());
        for enc in [&self.category, &self.brand, &self.tags, &self.title] {
            n.extend((0..enc.buckets).map(|b| format!("{}_hash_{b}", enc.namespace)));
            n.push(format!("{}_hash_<oov>", enc.namespace));
        }
        n
    }

    fn clip(&self, z: f64) -> f64 {
        z.clamp(-self.config.z_clip, self.config.z_clip)
    }

    /// Writes the features of `item` into `out` (`dim()` long).
    pub fn transform_into(&self, item: &CleanItem, out: &mut [f32]) -> Result<()> {
        if out.len() != self.dim() {
            return Err(Error::shape("item feature vector", self.dim(), out.len()));
        }
        let mut v: Vec<f64> = Vec::with_capacity(24 + 2 * self.attributes.len());
        // Non-finite prices never reach a CleanItem; treat them as missing anyway.
        match item.price.filter(|p| p.is_finite()) {
            Some(p) => {
                let lp = signed_log1p(p)?;
                v.push(0.0);
                v.push(self.clip(self.log_price.transform(lp)?));
                let b = self.price_buckets.bucket(lp)?;
                v.extend((0..self.price_buckets.n_buckets()).map(|i| f64::from(u8::from(i == b))));
            }
            None => {
                v.push(1.0);
                v.push(0.0);
                v.extend(std::iter::repeat_n(0.0, self.price_buckets.n_buckets()));
            }
        }
        match item.rating.filter(|r| r.is_finite()) {
            Some(r) => {
                v.push(0.0);
                v.push(self.rating.transform(r)?.clamp(0.0, 1.0));
            }
            None => {
                v.push(1.0);
                v.push(self.rating_fill);
            }
        }
        match item.in_stock {
            Some(s) => {
                v.push(0.0);
                v.push(f64::from(u8::from(s)));
            }
            None => {
                v.push(1.0);
                v.push(self.in_stock_fill);
            }
        }
        v.push(f64::from(u8::from(item.title.is_some())));
        v.push(f64::from(u8::from(item.image.is_some())));
        for (name, scaler) in &self.attributes {
            match item.attributes.get(name).filter(|x| x.is_finite()) {
                Some(x) => {
                    v.push(0.0);
                    v.push(self.clip(scaler.transform(x)?));
                }
                None => {
                    v.push(1.0);
                    v.push(0.0);
                }
            }
        }
        let (dense, rest) = out.split_at_mut(v.len());
        for (o, x) in dense.iter_mut().zip(&v) {
            *o = *x as f32;
        }
        let (top, rest) = rest.split_at_mut(self.top_category.width());
        self.top_category
            .encode_into(item.category.first().map(String::as_str), top)?;
        let (cat, rest) = rest.split_at_mut(self.category.width());
        let prefixes = category_prefixes(&item.category);
        self.category
            .encode_into(prefixes.iter().map(String::as_str), cat)?;
        let (brand, rest) = rest.split_at_mut(self.brand.width());
        self.brand.encode_into(item.brand.as_deref(), brand)?;
        let (tags, title) = rest.split_at_mut(self.tags.width());
        self.tags
            .encode_into(item.tags.iter().map(String::as_str), tags)?;
        let words = item.title.as_deref().map(title_words).unwrap_or_default();
        self.title
            .encode_into(words.iter().map(String::as_str), title)?;
        if let Some(bad) = out.iter().position(|x| !x.is_finite()) {
            return Err(Error::invalid(
                "features",
                format!("item {} feature {bad}", item.id),
                "is not finite",
            ));
        }
        Ok(())
    }

    /// The features of one cleaned item.
    pub fn transform(&self, item: &CleanItem) -> Result<Vec<f32>> {
        let mut out = vec![0.0; self.dim()];
        self.transform_into(item, &mut out)?;
        Ok(out)
    }

    /// The features of a raw item not (necessarily) in the catalog, cleaned the
    /// same way first. Fails only when the item would be dropped (e.g. no id).
    pub fn transform_raw(&self, item: CatalogItem) -> Result<Vec<f32>> {
        let id = item.id.clone();
        let mut report = CleanReport::new(1);
        let clean = clean_item(item, &mut report)
            .map_err(|reason| Error::invalid("item.id", id, reason))?;
        self.transform(&clean)
    }

    /// The features of every catalog item, row `i` for item `i`.
    pub fn transform_catalog(&self, catalog: &Catalog) -> Result<ndarray::Array2<f32>> {
        let dim = self.dim();
        let mut m = ndarray::Array2::<f32>::zeros((catalog.len(), dim));
        for (item, mut row) in catalog.items().iter().zip(m.rows_mut()) {
            let slice = row
                .as_slice_mut()
                .ok_or_else(|| Error::shape("feature row", "contiguous", "strided"))?;
            self.transform_into(item, slice)?;
        }
        Ok(m)
    }

    /// The attribute tokens of an item (sorted, distinct): hashed category
    /// prefixes, brand and tags. Same as [`CleanItem::tokens`].
    pub fn tokens(&self, item: &CleanItem) -> Vec<u32> {
        crate::prep::catalog::attribute_tokens(item)
    }

    /// The bucket of the price (`None` when missing), as used in the one-hot block.
    pub fn price_bucket(&self, price: Option<f64>) -> Result<Option<usize>> {
        match price.filter(|p| p.is_finite() && *p >= 0.0) {
            Some(p) => Ok(Some(self.price_buckets.bucket(signed_log1p(p)?)?)),
            None => Ok(None),
        }
    }

    /// Number of price buckets.
    pub fn n_price_buckets(&self) -> usize {
        self.price_buckets.n_buckets()
    }

    /// The label of the top-level category (`None` when missing; OOV label when unseen).
    pub fn top_category_label(&self, item: &CleanItem) -> Option<usize> {
        item.category
            .first()
            .map(|c| self.top_category.labels.label(&key(c)))
    }

    /// The sealed, versioned, checksummed bytes of the fitted state.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.config.write(&mut w);
        w.put_u64(self.catalog_fingerprint);
        self.log_price.write(&mut w);
        self.price_buckets.write(&mut w);
        self.rating.write(&mut w);
        w.put_f64(self.rating_fill);
        w.put_f64(self.in_stock_fill);
        w.put_len(self.attributes.len());
        for (name, s) in &self.attributes {
            w.put_str(name);
            s.write(&mut w);
        }
        self.top_category.write(&mut w);
        self.category.write(&mut w);
        self.brand.write(&mut w);
        self.tags.write(&mut w);
        self.title.write(&mut w);
        seal(PREP_KIND, PREP_VERSION, &w.into_bytes())
    }

    /// Reads what [`Self::to_bytes`] wrote; fails (naming why) on any corruption.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (_, payload) = open(bytes, PREP_KIND, PREP_VERSION)?;
        let mut r = Reader::new(payload);
        let config = FeatureConfig::read(&mut r)?;
        let catalog_fingerprint = r.get_u64("catalogFingerprint")?;
        let log_price = StandardScaler::read(&mut r)?;
        let price_buckets = Bucketizer::read(&mut r)?;
        let rating = MinMaxScaler::read(&mut r)?;
        let rating_fill = r.get_f64("ratingFill")?;
        let in_stock_fill = r.get_f64("inStockFill")?;
        for (field, v) in [("ratingFill", rating_fill), ("inStockFill", in_stock_fill)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(Error::decode(format!("{field}: {v} is not in [0, 1]")));
            }
        }
        let n = r.get_len("attributes", 24)?;
        let mut attributes = Vec::with_capacity(n);
        for _ in 0..n {
            let name = r.get_str("attribute.name")?;
            attributes.push((name, StandardScaler::read(&mut r)?));
        }
        let f = ItemFeaturizer {
            config,
            catalog_fingerprint,
            log_price,
            price_buckets,
            rating,
            rating_fill,
            in_stock_fill,
            attributes,
            top_category: OneHotEncoder::read(&mut r)?,
            category: HashingEncoder::read(&mut r)?,
            brand: HashingEncoder::read(&mut r)?,
            tags: HashingEncoder::read(&mut r)?,
            title: HashingEncoder::read(&mut r)?,
        };
        r.finish()?;
        Ok(f)
    }
}
