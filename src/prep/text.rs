//! String normalisation shared by catalog cleaning and the encoders.
//!
//! Display strings keep their case; matching keys (brands, tags, category
//! parts, title words) are lower-cased so that "NIVEA" and "Nivea" meet.
//!
//! ```
//! use localrec::prep::text::{clean_text, title_words};
//! assert_eq!(clean_text("  Rose \t\n water ", 100).as_deref(), Some("Rose water"));
//! assert_eq!(clean_text("   ", 100), None);
//! assert_eq!(title_words("Vitamin-C Serum, 30ml"), vec!["vitamin", "serum", "30ml"]);
//! ```

/// Trims, replaces control characters and runs of whitespace with one space,
/// and truncates to at most `max_chars` characters (on a char boundary).
/// Returns `None` when nothing is left.
pub fn clean_text(raw: &str, max_chars: usize) -> Option<String> {
    let mut out = String::with_capacity(raw.len().min(max_chars * 4));
    let mut pending_space = false;
    let mut count = 0usize;
    for ch in raw.chars() {
        if ch.is_whitespace() || ch.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            if count + 1 >= max_chars {
                break;
            }
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        if count >= max_chars {
            break;
        }
        out.push(ch);
        count += 1;
    }
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

/// The matching key of a display string: lower-cased.
pub fn key(s: &str) -> String {
    lowercase(s)
}

/// Unicode default lower-casing (with the final-sigma rule), as `str::to_lowercase`.
///
/// In WebAssembly, text that is not ASCII goes through JavaScript's
/// `String.prototype.toLowerCase`, which implements the same conversion: the
/// standard library's version brings ~13 KB of Unicode case tables into the
/// download. ASCII text (most catalogs) never leaves Rust. `tests/web_text.rs`
/// compares the two on every Unicode scalar value in Firefox.
pub fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    lowercase_unicode(s)
}

#[cfg(not(target_arch = "wasm32"))]
fn lowercase_unicode(s: &str) -> String {
    s.to_lowercase()
}

#[cfg(target_arch = "wasm32")]
fn lowercase_unicode(s: &str) -> String {
    // A Rust `str` is valid UTF-8, so the JS string has no lone surrogates, and lower-casing
    // maps scalar values to scalar values: the way back is lossless.
    String::from(js_sys::JsString::from(s).to_lower_case())
}

/// Lower-cased alphanumeric words of a title, at least two characters long,
/// without a few very common English words. Hyphens and punctuation split
/// words; at most 64 words are returned.
pub fn title_words(title: &str) -> Vec<String> {
    const STOP: [&str; 12] = [
        "and", "the", "for", "with", "of", "in", "to", "by", "on", "or", "an", "a",
    ];
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2)
        .map(lowercase)
        .filter(|w| !STOP.contains(&w.as_str()))
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_controls_collapse() {
        assert_eq!(clean_text("a\u{0}\u{7}b", 10).as_deref(), Some("a b"));
        assert_eq!(clean_text("\n\t", 10), None);
        assert_eq!(clean_text("", 10), None);
    }

    #[test]
    fn very_long_strings_are_capped_on_char_boundaries() {
        let long = "é".repeat(100_000);
        let c = clean_text(&long, 300).unwrap();
        assert_eq!(c.chars().count(), 300);
        let spaced = "ab ".repeat(1000);
        let c = clean_text(&spaced, 5).unwrap();
        assert_eq!(c, "ab ab");
    }

    #[test]
    fn lowercase_is_std_lowercase() {
        for s in [
            "",
            "NIVEA Soft",
            "Crème BRÛLÉE",
            "ΟΔΟΣ ΣΑΣ.",
            "İSTANBUL",
            "ẞ",
            "a\u{0}Z",
        ] {
            assert_eq!(lowercase(s), s.to_lowercase(), "{s:?}");
        }
        let ascii: String = (0u8..128).map(char::from).collect();
        assert_eq!(lowercase(&ascii), ascii.to_lowercase());
    }

    #[test]
    fn title_words_drop_stopwords_and_single_letters() {
        assert_eq!(
            title_words("The Rose & Oud oil for X"),
            vec!["rose", "oud", "oil"]
        );
        assert!(title_words("").is_empty());
        assert_eq!(title_words(&"word ".repeat(500)).len(), 64);
    }
}
