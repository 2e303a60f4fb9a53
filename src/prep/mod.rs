//! Preprocessing (issue 4): catalog and event cleaning, fitted encoders,
//! shopper profiles.

pub mod types;

pub use types::{CatalogItem, EventKind, RawEvent};
