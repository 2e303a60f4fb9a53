//! The raw inputs the package accepts, from JavaScript objects
//! (serde-wasm-bindgen, camelCase) or JSON files (the CLI; snake_case also accepted).
//!
//! Everything but the item id is optional: cleaning decides what to keep,
//! and reports what it dropped and why.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One product of the shop's catalog, as the shop ships it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CatalogItem {
    pub id: String,
    pub title: Option<String>,
    /// A path such as `Beauty > Skin Care > Serums`.
    pub category: Option<String>,
    pub brand: Option<String>,
    pub price: Option<f64>,
    pub tags: Vec<String>,
    #[serde(alias = "in_stock")]
    pub in_stock: Option<bool>,
    pub rating: Option<f64>,
    /// Optional numeric attributes (weight, size, …) by name.
    pub attributes: BTreeMap<String, f64>,
    pub image: Option<String>,
}

/// What the shopper did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    View,
    Click,
    #[serde(alias = "addToCart", alias = "cart")]
    AddToCart,
    #[serde(alias = "removeFromCart")]
    RemoveFromCart,
    Purchase,
    Search,
}

impl EventKind {
    /// All kinds, in a fixed order (used for encodings and counts).
    pub const ALL: [EventKind; 6] = [
        EventKind::View,
        EventKind::Click,
        EventKind::AddToCart,
        EventKind::RemoveFromCart,
        EventKind::Purchase,
        EventKind::Search,
    ];

    /// The name used in JavaScript and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::View => "view",
            EventKind::Click => "click",
            EventKind::AddToCart => "add_to_cart",
            EventKind::RemoveFromCart => "remove_from_cart",
            EventKind::Purchase => "purchase",
            EventKind::Search => "search",
        }
    }

    /// Parses a kind name (snake_case or camelCase); `None` when unknown.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .or(match name {
                "addToCart" | "cart" => Some(EventKind::AddToCart),
                "removeFromCart" => Some(EventKind::RemoveFromCart),
                _ => None,
            })
    }
}

/// One raw event as the storefront reports it. `kind` stays a string here so
/// that an unknown kind is a counted rejection, not a deserialization failure
/// of the whole batch.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RawEvent {
    #[serde(alias = "item_id")]
    pub item_id: String,
    pub kind: String,
    /// Milliseconds since the Unix epoch.
    pub timestamp: f64,
    #[serde(alias = "dwell_ms")]
    pub dwell_ms: Option<f64>,
    pub quantity: Option<f64>,
    /// The search query, for `search` events.
    pub query: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_both_spellings() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("addToCart"), Some(EventKind::AddToCart));
        assert_eq!(EventKind::parse("teleport"), None);
    }
}
