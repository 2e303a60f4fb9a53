//! Reading catalogs and event logs from files (native only: the CLI).
//! In the browser the same types arrive as JavaScript objects instead.
//!
//! Accepted: a JSON array, a JSON object with an `items` / `events` array, or
//! JSON Lines (one object per line); and CSV with a header row. Parsing is
//! lenient about *values* (a bad number becomes NaN or missing and is then
//! counted by cleaning) but strict about *structure* (malformed JSON or a row
//! with the wrong number of fields is an error naming the line).
//!
//! ```
//! use localrec::prep::io::{parse_catalog, parse_events};
//! let items = parse_catalog("id,title,price,tags,ml\na,Serum,9.5,vegan|new,30\nb,Cream,,,\n").unwrap();
//! assert_eq!(items[0].tags, vec!["vegan", "new"]);
//! assert_eq!(items[0].attributes.get("ml"), Some(30.0));
//! assert_eq!(items[1].price, None);
//! let events = parse_events(r#"{"itemId":"a","kind":"view","timestamp":1}
//! {"item_id":"b","kind":"purchase","timestamp":2,"quantity":1}"#).unwrap();
//! assert_eq!(events.len(), 2);
//! ```

use crate::error::{Error, Result};
use crate::prep::types::{CatalogItem, RawEvent};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// Largest text accepted (256 MiB).
pub const MAX_TEXT_BYTES: usize = 256 << 20;

fn check_size(text: &str) -> Result<()> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(Error::invalid(
            "text",
            format!("{} bytes", text.len()),
            format!("files larger than {MAX_TEXT_BYTES} bytes are not supported"),
        ));
    }
    Ok(())
}

/// JSON array, `{"<key>": [...]}` or JSON Lines.
fn parse_json<T: DeserializeOwned>(text: &str, key: &str) -> Result<Vec<T>> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return serde_json::from_str(trimmed)
            .map_err(|e| Error::invalid("json", format!("line {}", e.line()), e.to_string()));
    }
    // A single object holding the array, or JSON Lines.
    if let Ok(serde_json::Value::Object(mut obj)) = serde_json::from_str(trimmed) {
        if let Some(v) = obj.remove(key) {
            return serde_json::from_value(v)
                .map_err(|e| Error::invalid(key, "array", e.to_string()));
        }
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(line)
                .map_err(|e| Error::invalid("json line", i + 1, e.to_string()))?,
        );
    }
    Ok(out)
}

/// Splits one CSV record (RFC 4180 quoting: `"a, b"`, `""` for a quote).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cur.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    fields.push(cur);
    fields
}

/// Header → rows of (column name, cell); blank lines skipped.
fn parse_csv(text: &str) -> Result<Vec<BTreeMap<String, String>>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = csv_fields(header)
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    let mut rows = Vec::new();
    for (i, line) in lines {
        let cells = csv_fields(line.trim_end_matches('\r'));
        if cells.len() != names.len() {
            return Err(Error::invalid(
                "csv line",
                i + 1,
                format!("has {} fields, the header has {}", cells.len(), names.len()),
            ));
        }
        rows.push(names.iter().cloned().zip(cells).collect());
    }
    Ok(rows)
}

fn is_json(text: &str) -> bool {
    matches!(text.trim_start().chars().next(), Some('[' | '{'))
}

/// A number cell: empty → `None`, unparsable → `Some(NaN)` (cleaning counts it).
fn number(cell: Option<&String>) -> Option<f64> {
    let c = cell?.trim();
    if c.is_empty() {
        None
    } else {
        Some(c.parse().unwrap_or(f64::NAN))
    }
}

fn text_cell(cell: Option<&String>) -> Option<String> {
    cell.map(|c| c.trim().to_string()).filter(|c| !c.is_empty())
}

fn first<'a>(row: &'a BTreeMap<String, String>, names: &[&str]) -> Option<&'a String> {
    names.iter().find_map(|n| row.get(*n))
}

const CATALOG_COLUMNS: [&str; 11] = [
    "id",
    "title",
    "category",
    "brand",
    "price",
    "tags",
    "in_stock",
    "inStock",
    "rating",
    "image",
    "attributes",
];

/// Parses catalog items from JSON (array, `{"items": [...]}`, JSON Lines) or
/// CSV (header with `id` and any of `title, category, brand, price, tags`
/// (`|`-separated), `in_stock`, `rating`, `image`; every other column is a
/// numeric attribute).
pub fn parse_catalog(text: &str) -> Result<Vec<CatalogItem>> {
    check_size(text)?;
    if is_json(text) {
        return parse_json(text, "items");
    }
    let rows = parse_csv(text)?;
    Ok(rows
        .iter()
        .map(|row| {
            let in_stock = first(row, &["in_stock", "inStock"]).and_then(|c| {
                match c.trim().to_ascii_lowercase().as_str() {
                    "true" | "1" | "yes" => Some(true),
                    "false" | "0" | "no" => Some(false),
                    _ => None,
                }
            });
            let attributes = row
                .iter()
                .filter(|(k, _)| !CATALOG_COLUMNS.contains(&k.as_str()))
                .filter_map(|(k, v)| number(Some(v)).map(|x| (k.clone(), x)))
                .collect();
            CatalogItem {
                id: row.get("id").cloned().unwrap_or_default(),
                title: text_cell(row.get("title")),
                category: text_cell(row.get("category")),
                brand: text_cell(row.get("brand")),
                price: number(row.get("price")),
                tags: row
                    .get("tags")
                    .map(|t| t.split('|').map(str::to_string).collect())
                    .unwrap_or_default(),
                in_stock,
                rating: number(row.get("rating")),
                attributes,
                image: text_cell(row.get("image")),
            }
        })
        .collect())
}

/// Parses raw events from JSON (array, `{"events": [...]}`, JSON Lines) or
/// CSV (header with `item_id`/`itemId`, `kind`, `timestamp` and optionally
/// `dwell_ms`/`dwellMs`, `quantity`, `query`).
pub fn parse_events(text: &str) -> Result<Vec<RawEvent>> {
    check_size(text)?;
    if is_json(text) {
        return parse_json(text, "events");
    }
    let rows = parse_csv(text)?;
    Ok(rows
        .iter()
        .map(|row| RawEvent {
            item_id: first(row, &["item_id", "itemId"])
                .cloned()
                .unwrap_or_default(),
            kind: row.get("kind").cloned().unwrap_or_default(),
            timestamp: number(row.get("timestamp")).unwrap_or(f64::NAN),
            dwell_ms: number(first(row, &["dwell_ms", "dwellMs"])),
            quantity: number(row.get("quantity")),
            query: text_cell(row.get("query")),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(
            csv_fields(r#"a,"b, c","say ""hi""",,"#),
            vec!["a", "b, c", "say \"hi\"", "", ""]
        );
    }

    #[test]
    fn all_json_shapes() {
        let a = parse_events(r#"[{"itemId":"x","kind":"view","timestamp":1}]"#).unwrap();
        let b = parse_events(r#"{"events":[{"itemId":"x","kind":"view","timestamp":1}]}"#).unwrap();
        let c = parse_events("{\"itemId\":\"x\",\"kind\":\"view\",\"timestamp\":1}\n\n").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        let e = parse_events("{\"itemId\":\"x\"}\n{broken\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("json line = 2"), "{e}");
    }

    #[test]
    fn csv_events_are_lenient_about_values_strict_about_shape() {
        let ev = parse_events("itemId,kind,timestamp,dwellMs\na,view,12,abc\nb,click,,\n").unwrap();
        assert_eq!(ev[0].timestamp, 12.0);
        assert!(ev[0].dwell_ms.unwrap().is_nan());
        assert!(ev[1].timestamp.is_nan());
        let e = parse_events("item_id,kind,timestamp\na,view\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("csv line = 2"), "{e}");
        assert!(parse_catalog("").unwrap().is_empty());
    }

    #[test]
    fn csv_catalog_columns() {
        let items = parse_catalog("id,in_stock,rating,category\n1,yes,4.5,\"A > B\"\n2,maybe,x,\n")
            .unwrap();
        assert_eq!(items[0].in_stock, Some(true));
        assert_eq!(items[0].category.as_deref(), Some("A > B"));
        assert_eq!(items[1].in_stock, None);
        assert!(items[1].rating.unwrap().is_nan());
        assert!(items[0].attributes.is_empty());
    }
}
