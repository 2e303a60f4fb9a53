//! Quoting text for messages without `core`'s `Debug` for strings.
//!
//! `format!("{s:?}")` pulls `char::escape_debug` and the Unicode "printable"
//! and grapheme-extend tables into the WebAssembly (~3 KB); messages only need
//! the text in double quotes with the invisible characters made visible.
//! [`quoted`] gives the same output as `{:?}` for printable text: `"` and `\`
//! escaped, `\t`, `\r`, `\n`, `\0` as such, other control characters (C0, DEL,
//! C1) and a short list of invisible format characters (soft hyphen, zero-width
//! and bidirectional marks, line and paragraph separators, the byte-order mark)
//! as `\u{..}` in lower-case hex, like `{:?}`.
//!
//! Where it differs from `{:?}`: the other characters that `{:?}` escapes are
//! kept as they are — combining marks (grapheme extenders, e.g. U+0301),
//! unassigned code points, private-use characters, the rarer format characters
//! (`tests` count them).
//!
//! ```
//! use localrec::quote::quoted;
//! assert_eq!(quoted("say \"hi\"\n"), r#""say \"hi\"\n""#);
//! assert_eq!(quoted("Crème"), format!("{:?}", "Crème"));
//! assert_eq!(quoted("a\u{7}b"), "\"a\\u{7}b\"");
//! ```

use std::fmt;

/// `text` in double quotes, escaped as described in the module documentation.
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_quoted(&mut out, text);
    out
}

/// Shows its text as [`quoted`] does, for `format!` arguments.
#[derive(Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&quoted(self.0))
    }
}

/// Appends `text`, quoted, to `out`.
pub fn push_quoted(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if is_invisible(c) => push_unicode_escape(out, c),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Control characters and the common invisible format characters.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{ad}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}')
}

/// `\u{..}`: the code point in lower-case hex without leading zeros.
fn push_unicode_escape(out: &mut String, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let code = c as u32;
    out.push_str("\\u{");
    let digits = ((32 - (code | 1).leading_zeros()) as usize).div_ceil(4);
    for i in (0..digits).rev() {
        let nibble = (code >> (4 * i)) & 0xf;
        out.push(char::from(HEX[nibble as usize]));
    }
    out.push('}');
}

/// A list of integers as `{:?}` shows a slice or a tuple of them (`[16, 8]`,
/// `(3, 4)` with `open`/`close` = `(`/`)`), without `Debug`'s builders.
pub fn integers(values: &[usize], open: char, close: char) -> String {
    let mut out = String::new();
    out.push(open);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&v.to_string());
    }
    out.push(close);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_is_shown_as_debug() {
        let samples = [
            "",
            "plain",
            "say \"hi\"",
            "back\\slash",
            "tab\there",
            "line\nbreak\r\n",
            "nul\0byte",
            "it's",
            "Crème Brûlée",
            "ΟΔΟΣ",
            "日本語",
            "emoji 🙂👍🏽",
            "a\u{7}b\u{1b}[0m",
            "del\u{7f}",
            "c1\u{85}\u{9f}",
            "soft\u{ad}hyphen",
            "zero\u{200b}width\u{200d}joiner",
            "\u{202e}rtl",
            "bom\u{feff}",
            "line\u{2028}sep",
        ];
        for s in samples {
            assert_eq!(quoted(s), format!("{s:?}"), "{s:?}");
            assert_eq!(Quoted(s).to_string(), format!("{s:?}"));
        }
    }

    /// Every scalar value alone and between two letters: either the same as `{:?}`,
    /// or `{:?}` escapes it as `\u{..}` and we keep it (the documented difference).
    #[test]
    fn every_scalar_value_is_debug_or_kept() {
        let mut kept = 0usize;
        for c in (0u32..=0x10FFFF).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            let (ours, std) = (quoted(&s), format!("{s:?}"));
            if ours != std {
                assert_eq!(ours, format!("\"a{c}b\""), "U+{:04X}", c as u32);
                assert!(std.starts_with("\"a\\u{"), "U+{:04X}: std {std}", c as u32);
                kept += 1;
            }
        }
        // The documented difference: combining marks, unassigned and private-use code
        // points are kept.
        for c in ['\u{301}', '\u{378}', '\u{e000}'] {
            assert_ne!(quoted(&c.to_string()), format!("{:?}", c.to_string()));
        }
        assert!(kept > 0);
        println!("{kept} scalar values are escaped by {{:?}} and kept by quoted");
    }

    #[test]
    fn escapes_are_lowercase_hex_without_leading_zeros() {
        assert_eq!(quoted("\u{1}"), "\"\\u{1}\"");
        assert_eq!(quoted("\u{1f}"), "\"\\u{1f}\"");
        assert_eq!(quoted("\u{9f}"), "\"\\u{9f}\"");
        assert_eq!(quoted("\u{feff}"), "\"\\u{feff}\"");
    }

    #[test]
    fn integers_read_as_debug_shows_them() {
        assert_eq!(
            integers(&[16, 8], '[', ']'),
            format!("{:?}", vec![16usize, 8])
        );
        assert_eq!(
            integers(&[], '[', ']'),
            format!("{:?}", Vec::<usize>::new())
        );
        assert_eq!(
            integers(&[3, 4], '(', ')'),
            format!("{:?}", (3usize, 4usize))
        );
        assert_eq!(integers(&[7], '[', ']'), "[7]");
    }
}
