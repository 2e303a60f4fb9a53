//! The raw inputs the package accepts, from JavaScript objects
//! (serde-wasm-bindgen, camelCase) or JSON files (the CLI; snake_case also accepted).
//!
//! Everything but the item id is optional: cleaning decides what to keep,
//! and reports what it dropped and why.

use crate::sort::SortedMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
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
    pub attributes: Attributes,
    pub image: Option<String>,
}

/// Numeric attributes by name: pairs sorted by name, each name once.
///
/// A map with a sorted `Vec` inside (the browser build carries no B-tree code
/// for it); in JSON and JavaScript it is an object (or pairs), as a
/// `BTreeMap<String, f64>` was.
///
/// ```
/// use localrec::prep::Attributes;
/// let a: Attributes = [("ml".to_string(), 30.0), ("g".into(), 5.0), ("ml".into(), 50.0)]
///     .into_iter()
///     .collect();
/// assert_eq!(a.get("ml"), Some(50.0)); // the last of equal names wins
/// assert_eq!(a.keys().collect::<Vec<_>>(), ["g", "ml"]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attributes(SortedMap<String, f64>);

impl Attributes {
    /// No attributes.
    pub fn new() -> Self {
        Attributes::default()
    }

    /// From pairs in any order; of equal names the last one wins.
    pub fn from_pairs(pairs: Vec<(String, f64)>) -> Self {
        Attributes(SortedMap::from_pairs(pairs))
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.get(name).copied()
    }

    /// Sets `name` to `value`; returns the value it replaced.
    pub fn insert(&mut self, name: String, value: f64) -> Option<f64> {
        self.0.insert(name, value)
    }

    /// Names in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.keys().map(String::as_str)
    }

    /// (name, value) in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// The sorted pairs.
    pub fn as_slice(&self) -> &[(String, f64)] {
        self.0.as_slice()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, f64)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (String, f64)>>(pairs: I) -> Self {
        Attributes::from_pairs(pairs.into_iter().collect())
    }
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Attributes {
    /// As a `BTreeMap<String, f64>` (the CLI's JSON; the browser has its own reader).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, f64>::deserialize(deserializer)?;
        Ok(Attributes::from_pairs(map.into_iter().collect()))
    }
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

#[cfg(test)]
mod attribute_tests {
    use super::*;

    #[test]
    fn attributes_behave_as_the_btree_map_they_replace() {
        let mut rng = crate::rng::Rng::new(11);
        let pairs: Vec<(String, f64)> = (0..500)
            .map(|i| (format!("a{}", rng.below(60)), i as f64))
            .collect();
        let ours: Attributes = pairs.iter().cloned().collect();
        let map: BTreeMap<String, f64> = pairs.iter().cloned().collect();
        let expected: Vec<(String, f64)> = map.clone().into_iter().collect();
        assert_eq!(ours.as_slice(), &expected[..]);
        for i in 0..70 {
            let k = format!("a{i}");
            assert_eq!(ours.get(&k), map.get(&k).copied());
        }
        let mut inserted = Attributes::new();
        let mut model = BTreeMap::new();
        for (k, v) in &pairs {
            assert_eq!(inserted.insert(k.clone(), *v), model.insert(k.clone(), *v));
        }
        assert_eq!(inserted, ours);
        assert_eq!(inserted.len(), map.len());
        assert!(inserted.keys().eq(map.keys().map(String::as_str)));
    }

    #[test]
    fn attributes_are_a_map_in_json() {
        let a: Attributes = [("ml".to_string(), 30.0), ("g".to_string(), 5.5)]
            .into_iter()
            .collect();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, r#"{"g":5.5,"ml":30.0}"#);
        let back: Attributes = serde_json::from_str(r#"{"ml":30,"g":5.5,"ml":31}"#).unwrap();
        assert_eq!(back.get("ml"), Some(31.0));
        assert_eq!(back.len(), 2);
        assert!(serde_json::from_str::<Attributes>(r#"{"ml":"x"}"#).is_err());
    }
}
