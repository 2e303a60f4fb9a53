//! Parsers for the interaction-log formats the CLI reads (any file of these formats):
//!
//! - sequences: `user item item …` per line, items in time order;
//! - attributes: a JSON object `{"item": [attr, …], …}` (attributes are strings or numbers);
//! - sessions: `item item …` per line, in click order;
//! - prefix-label TSV: a header line, then `prefix<TAB>label` with a space-separated prefix.
//!
//! Item ids are opaque tokens interned into an [`ItemVocab`]. Blank lines are skipped;
//! malformed lines are rejected with their (1-based) line number.
//!
//! ```
//! use localrec::eval::data::{parse_sequences, parse_prefix_labels};
//! use localrec::rec::ItemVocab;
//! let mut vocab = ItemVocab::new();
//! let users = parse_sequences("u1 a b c\nu2 b c\n", &mut vocab)?;
//! assert_eq!(users[0].items, vec![0, 1, 2]);
//! let rows = parse_prefix_labels("prefix\tlabel\na b\tc\n", &mut vocab)?;
//! assert_eq!(rows[0].label, 2);
//! assert!(parse_sequences("u1 a\nu2\n", &mut vocab).unwrap_err().to_string().contains("line 2"));
//! # Ok::<(), localrec::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::rec::ItemVocab;

/// One user's time-ordered interactions.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSequence {
    /// The user token as written in the file.
    pub user: String,
    /// Item indices in time order.
    pub items: Vec<u32>,
}

/// One test row of the session protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct PrefixLabel {
    /// The session so far.
    pub prefix: Vec<u32>,
    /// The item clicked next.
    pub label: u32,
}

fn line_error(what: &str, n: usize, line: &str, reason: &str) -> Error {
    Error::invalid(format!("{what} line {n}"), format!("{line:?}"), reason)
}

/// Parses `user item item …` lines.
pub fn parse_sequences(text: &str, vocab: &mut ItemVocab) -> Result<Vec<UserSequence>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut tokens = line.split_whitespace();
        let Some(user) = tokens.next() else { continue };
        let items = tokens
            .map(|t| vocab.intern(t))
            .collect::<Result<Vec<_>>>()?;
        if items.is_empty() {
            return Err(line_error(
                "sequences",
                i + 1,
                line,
                "a user line needs at least one item after the user id",
            ));
        }
        out.push(UserSequence {
            user: user.to_string(),
            items,
        });
    }
    if out.is_empty() {
        return Err(Error::invalid(
            "sequences",
            "<empty>",
            "no user lines found",
        ));
    }
    Ok(out)
}

/// Parses `item item …` session lines.
pub fn parse_sessions(text: &str, vocab: &mut ItemVocab) -> Result<Vec<Vec<u32>>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let items = line
            .split_whitespace()
            .map(|t| vocab.intern(t))
            .collect::<Result<Vec<_>>>()?;
        if !items.is_empty() {
            out.push(items);
        }
    }
    if out.is_empty() {
        return Err(Error::invalid(
            "sessions",
            "<empty>",
            "no session lines found",
        ));
    }
    Ok(out)
}

/// Parses a prefix-label TSV (first line is the header). Unknown items are interned
/// (they get no statistics, so models rank them last; the caller can count them).
pub fn parse_prefix_labels(text: &str, vocab: &mut ItemVocab) -> Result<Vec<PrefixLabel>> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.split('\t').count() == 2 => {}
        Some((_, header)) => {
            return Err(line_error(
                "prefix-label",
                1,
                header,
                "expected a header `prefix<TAB>label`",
            ))
        }
        None => return Err(Error::invalid("prefix-label", "<empty>", "no header line")),
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [prefix, label] = fields.as_slice() else {
            return Err(line_error(
                "prefix-label",
                i + 1,
                line,
                "expected exactly two tab-separated fields",
            ));
        };
        let label_tokens: Vec<&str> = label.split_whitespace().collect();
        let [label] = label_tokens.as_slice() else {
            return Err(line_error(
                "prefix-label",
                i + 1,
                line,
                "the label must be exactly one item id",
            ));
        };
        let prefix = prefix
            .split_whitespace()
            .map(|t| vocab.intern(t))
            .collect::<Result<Vec<_>>>()?;
        if prefix.is_empty() {
            return Err(line_error(
                "prefix-label",
                i + 1,
                line,
                "the prefix is empty",
            ));
        }
        out.push(PrefixLabel {
            prefix,
            label: vocab.intern(label)?,
        });
    }
    if out.is_empty() {
        return Err(Error::invalid(
            "prefix-label",
            "<empty>",
            "no rows after the header",
        ));
    }
    Ok(out)
}

/// Parses `{"item": [attr, …]}` into per-item attribute token lists (indexed like `vocab`;
/// items absent from the file get none). Attribute tokens are interned into `attr_vocab`.
/// Items of the file unknown to `vocab` are counted and skipped (returned as the second value).
/// A small hand-written reader (the library has no JSON dependency on wasm32) that reports the line.
pub fn parse_attributes(
    text: &str,
    vocab: &ItemVocab,
    attr_vocab: &mut ItemVocab,
) -> Result<(Vec<Vec<u32>>, usize)> {
    let mut p = JsonScan {
        bytes: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut out = vec![Vec::new(); vocab.len()];
    let mut unknown = 0;
    p.expect(b'{')?;
    if p.peek() == Some(b'}') {
        p.pos += 1;
    } else {
        loop {
            let key = p.string()?;
            p.expect(b':')?;
            p.expect(b'[')?;
            let mut attrs = Vec::new();
            if p.peek() == Some(b']') {
                p.pos += 1;
            } else {
                loop {
                    let token = p.scalar()?;
                    attrs.push(attr_vocab.intern(&token)?);
                    match p.next_non_space() {
                        Some(b',') => continue,
                        Some(b']') => break,
                        _ => return Err(p.error("expected `,` or `]` in an attribute list")),
                    }
                }
            }
            attrs.sort_unstable();
            attrs.dedup();
            match vocab.index(&key).and_then(|i| out.get_mut(i as usize)) {
                Some(slot) => *slot = attrs,
                None => unknown += 1,
            }
            match p.next_non_space() {
                Some(b',') => continue,
                Some(b'}') => break,
                _ => return Err(p.error("expected `,` or `}` after an item's attribute list")),
            }
        }
    }
    if p.next_non_space().is_some() {
        return Err(p.error("unexpected text after the closing `}`"));
    }
    Ok((out, unknown))
}

struct JsonScan<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl JsonScan<'_> {
    fn error(&self, reason: &str) -> Error {
        Error::invalid(
            format!("attributes line {}", self.line),
            format!("byte {}", self.pos),
            reason,
        )
    }
    fn skip_space(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b'\n' {
                self.line += 1;
            }
            if !b.is_ascii_whitespace() {
                break;
            }
            self.pos += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.pos).copied()
    }
    fn next_non_space(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }
    fn expect(&mut self, want: u8) -> Result<()> {
        match self.next_non_space() {
            Some(b) if b == want => Ok(()),
            _ => Err(self.error(&format!("expected `{}`", want as char))),
        }
    }
    /// A JSON string (simple escapes only) without the quotes.
    fn string(&mut self) -> Result<String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.bytes.get(self.pos).copied() {
                None | Some(b'\n') => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    let esc = self.bytes.get(self.pos + 1).copied();
                    let c = match esc {
                        Some(b'"') => b'"',
                        Some(b'\\') => b'\\',
                        Some(b'/') => b'/',
                        _ => return Err(self.error("unsupported escape in string")),
                    };
                    out.push(c);
                    self.pos += 2;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
        String::from_utf8(out).map_err(|_| self.error("string is not UTF-8"))
    }
    /// A string or a number, as a token.
    fn scalar(&mut self) -> Result<String> {
        match self.peek() {
            Some(b'"') => self.string(),
            Some(b) if b == b'-' || b.is_ascii_digit() => {
                let start = self.pos;
                while let Some(&c) = self.bytes.get(self.pos) {
                    if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                let tok = std::str::from_utf8(self.bytes.get(start..self.pos).unwrap_or(&[]))
                    .map_err(|_| self.error("bad number"))?;
                if tok.parse::<f64>().is_err() {
                    return Err(self.error("bad number"));
                }
                Ok(tok.to_string())
            }
            _ => Err(self.error("expected an attribute (string or number)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_parse_and_reject_with_line_number() {
        let mut v = ItemVocab::new();
        let u = parse_sequences("a 1 2\n\nb 2 3 2\n", &mut v).unwrap();
        assert_eq!(u.len(), 2);
        assert_eq!(u[1].items, vec![1, 2, 1]);
        let e = parse_sequences("a 1 2\nb 3\nc\n", &mut v)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "{e}");
        assert!(parse_sequences("\n\n", &mut v).is_err());
    }

    #[test]
    fn prefix_labels_reject_bad_rows_with_line_number() {
        let mut v = ItemVocab::new();
        let ok = parse_prefix_labels("prefix\tlabel\n1 2\t3\n4\t1\n", &mut v).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].prefix.len(), 2);
        for (bad, line) in [
            ("prefix\tlabel\n1 2\t3\n1 2 3\n", 3),
            ("prefix\tlabel\n\t3\n", 2),
            ("prefix\tlabel\n1\t3 4\n", 2),
            ("prefix\tlabel\n1\t3\tx\n", 2),
            ("no header\n", 1),
        ] {
            let e = parse_prefix_labels(bad, &mut v).unwrap_err().to_string();
            assert!(e.contains(&format!("line {line}")), "{bad:?}: {e}");
        }
    }

    #[test]
    fn attributes_parse_strings_and_numbers() {
        let mut v = ItemVocab::new();
        parse_sessions("1 2 3\n", &mut v).unwrap();
        let mut a = ItemVocab::new();
        let text = "{\"1\": [5, 7],\n \"3\": [\"brand x\", 5], \"9\": []}";
        let (attrs, unknown) = parse_attributes(text, &v, &mut a).unwrap();
        assert_eq!(unknown, 1);
        assert_eq!(attrs[0].len(), 2);
        assert!(attrs[1].is_empty());
        assert!(attrs[2].contains(&a.index("5").unwrap()));
        let e = parse_attributes("{\"1\": [5,\n 7,, 8]}", &v, &mut a)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(parse_attributes("{\"1\": [5]} x", &v, &mut a).is_err());
        assert!(parse_attributes("[1]", &v, &mut a).is_err());
    }
}
