//! Compact encodings for the base model's big tables (what the browser downloads):
//! LEB128 varints for counts and (delta-coded) item indices, and bfloat16 for weights.
//!
//! ```
//! use localrec::rec::compact::{bf16_round, decode_varints, encode_varints};
//! let bytes = encode_varints(&[0, 127, 128, 70_000]);
//! assert_eq!(bytes.len(), 1 + 1 + 2 + 3);
//! assert_eq!(decode_varints(&bytes, 4, "x")?, vec![0, 127, 128, 70_000]);
//! assert_eq!(bf16_round(1.0), 1.0);
//! assert!((bf16_round(0.123_456) - 0.123_456).abs() < 0.001);
//! # Ok::<(), localrec::Error>(())
//! ```

use crate::error::{Error, Result};

/// Encodes `values` as LEB128 varints.
pub fn encode_varints(values: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * 2);
    for &v in values {
        let mut v = v;
        while v >= 0x80 {
            out.push((v as u8 & 0x7F) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    out
}

/// Decodes exactly `count` varints that must use all of `bytes`.
pub fn decode_varints(bytes: &[u8], count: usize, what: &str) -> Result<Vec<u32>> {
    if count > bytes.len() {
        return Err(Error::decode(format!(
            "{what}: {count} values cannot fit in {} bytes",
            bytes.len()
        )));
    }
    let mut out = Vec::with_capacity(count);
    let mut it = bytes.iter();
    for _ in 0..count {
        let mut v: u64 = 0;
        let mut shift = 0;
        loop {
            let &b = it
                .next()
                .ok_or_else(|| Error::decode_in(what, "truncated varint"))?;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 28 {
                return Err(Error::decode_in(what, "varint too long"));
            }
        }
        out.push(u32::try_from(v).map_err(|_| Error::decode_in(what, "varint exceeds u32"))?);
    }
    if it.next().is_some() {
        return Err(Error::decode(format!(
            "{what}: trailing bytes after {count} varints"
        )));
    }
    Ok(out)
}

/// The bfloat16 bits of `x` (round to nearest even).
pub fn to_bf16(x: f32) -> u16 {
    let bits = x.to_bits();
    let rounded = bits.wrapping_add(0x7FFF + ((bits >> 16) & 1));
    (rounded >> 16) as u16
}

/// The f32 value of bfloat16 bits.
pub fn from_bf16(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

/// `x` rounded to the nearest bfloat16 (what the model stores).
pub fn bf16_round(x: f32) -> f32 {
    from_bf16(to_bf16(x))
}

/// bfloat16 values as little-endian bytes.
pub fn encode_bf16s(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|&v| to_bf16(v).to_le_bytes())
        .collect()
}

/// Decodes bfloat16 little-endian bytes.
pub fn decode_bf16s(bytes: &[u8], what: &str) -> Result<Vec<f32>> {
    if bytes.len() % 2 != 0 {
        return Err(Error::decode_in(what, "odd byte count for bfloat16 values"));
    }
    Ok(bytes
        .chunks_exact(2)
        .map(|c| from_bf16(u16::from_le_bytes([c[0], c[1]])))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_and_reject_garbage() {
        let v = vec![0, 1, 127, 128, 16_383, 16_384, u32::MAX];
        let b = encode_varints(&v);
        assert_eq!(decode_varints(&b, v.len(), "v").unwrap(), v);
        assert!(decode_varints(&b, v.len() + 1, "v").is_err());
        assert!(decode_varints(&b[..b.len() - 1], v.len(), "v").is_err());
        assert!(decode_varints(&[0xFF; 6], 1, "v").is_err());
        assert!(decode_varints(&[1, 2], 1, "v").is_err());
    }

    #[test]
    fn bf16_keeps_three_significant_digits() {
        for x in [1e-6f32, 0.001, 0.3, 1.0, 17.5, 1e6] {
            let y = bf16_round(x);
            assert!((y - x).abs() <= x * 0.004, "{x} -> {y}");
            assert_eq!(bf16_round(y), y);
        }
        let b = encode_bf16s(&[0.5, 2.0]);
        assert_eq!(decode_bf16s(&b, "w").unwrap(), vec![0.5, 2.0]);
        assert!(decode_bf16s(&b[..3], "w").is_err());
    }
}
