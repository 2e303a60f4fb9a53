//! Preprocessing (issue 4): from a shop's catalog and a shopper's raw events
//! to clean, encoded numbers — the same way offline and in the browser.
//!
//! - [`Catalog::from_items`] cleans the catalog (dense u32 indices, normalised
//!   strings, missing numbers stay missing, attribute tokens per item);
//! - [`clean_events`] sorts, dedups, drops unknown items, bot bursts and
//!   impossible values, and splits sessions; [`EventStream`] does the same
//!   batch after batch for a live log (each `track` call);
//! - [`ItemFeaturizer`] is fitted once on the catalog, serialized next to the
//!   model, and turns every item into a dense feature vector;
//! - [`Profile`] is the incremental, decayed shopper profile;
//! - `io` (native only) reads catalogs and events from JSON, JSON Lines or CSV;
//! - [`selftest::feature_digest`] pins the whole path to constants, checked
//!   natively and in headless Firefox (bit-identical).
//!
//! Determinism: hashing is FNV-1a (no seeded hasher), every map that reaches
//! an output is ordered (`BTreeMap`), ties are broken by index or name.
//! Every cleaning step reports what it removed and why ([`CleanReport`]).
//!
//! ```
//! use localrec::prep::*;
//! let items = vec![
//!     CatalogItem { id: "serum".into(), category: Some("Beauty > Skin".into()), price: Some(25.0), ..Default::default() },
//!     CatalogItem { id: "shampoo".into(), category: Some("Beauty > Hair".into()), price: Some(8.0), ..Default::default() },
//! ];
//! let (catalog, _) = Catalog::from_items(items).unwrap();
//! let featurizer = ItemFeaturizer::fit(&catalog, &FeatureConfig::default()).unwrap();
//! let x = featurizer.transform_catalog(&catalog).unwrap();
//! assert_eq!(x.dim(), (2, featurizer.dim()));
//! let raw = vec![RawEvent { item_id: "serum".into(), kind: "purchase".into(), timestamp: 1.7e12, ..Default::default() }];
//! let (events, report) = clean_events(&catalog, raw, &CleanConfig::default(), 1.7e12).unwrap();
//! assert_eq!(report.kept, 1);
//! let profile = Profile::from_events(ProfileConfig::default(), &events, &catalog).unwrap();
//! assert!(profile.category_affinity("beauty > skin", 1.7e12) > 0.0);
//! assert_eq!(profile.category_affinity("Beauty > Hair", 1.7e12), 0.0);
//! ```

pub mod catalog;
pub mod encode;
pub mod event;
pub mod features;
pub mod format;
pub mod hash;
#[cfg(not(target_arch = "wasm32"))]
pub mod io;
pub mod profile;
pub mod report;
pub mod scale;
pub mod selftest;
pub mod text;
pub mod types;

pub use catalog::{attribute_token_keys, attribute_tokens, Catalog, CleanItem};
pub use event::{clean_events, CleanConfig, Event, EventStream};
pub use features::{FeatureConfig, ItemFeaturizer};
pub use profile::{
    HistoryEntry, ItemStats, KindWeights, PricePreference, Profile, ProfileConfig, ProfileSummary,
    SessionFeatures,
};
pub use report::{CleanReport, Counts, Rejection};
pub use types::{Attributes, CatalogItem, EventKind, RawEvent};
