//! Stable string hashing (FNV-1a), identical natively and in wasm32.
//!
//! Hashed features and attribute tokens must not depend on the platform, the
//! process or a random seed (std's `HashMap` hasher is randomised), so the
//! featurizer built offline and the one running in the browser agree bit for bit.
//!
//! ```
//! use localrec::prep::hash::{fnv1a_32, fnv1a_64};
//! assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
//! assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
//! ```

const FNV32_OFFSET: u32 = 0x811c_9dc5;
const FNV32_PRIME: u32 = 0x0100_0193;
const FNV64_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV64_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 32-bit FNV-1a of `bytes`.
pub fn fnv1a_32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(FNV32_OFFSET, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(FNV32_PRIME)
    })
}

/// 64-bit FNV-1a of `bytes`.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV64_OFFSET, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV64_PRIME)
    })
}

/// 64-bit FNV-1a of `namespace`, a `0x1f` separator, then `value`: the same
/// value in two namespaces (brand "rose" vs tag "rose") hashes differently.
pub fn namespaced_64(namespace: &str, value: &str) -> u64 {
    let mut h = FNV64_OFFSET;
    for &b in namespace
        .as_bytes()
        .iter()
        .chain(std::iter::once(&0x1f))
        .chain(value.as_bytes())
    {
        h = (h ^ u64::from(b)).wrapping_mul(FNV64_PRIME);
    }
    h
}

/// 32-bit namespaced hash (see [`namespaced_64`]); used for attribute tokens.
pub fn namespaced_32(namespace: &str, value: &str) -> u32 {
    let mut h = FNV32_OFFSET;
    for &b in namespace
        .as_bytes()
        .iter()
        .chain(std::iter::once(&0x1f))
        .chain(value.as_bytes())
    {
        h = (h ^ u32::from(b)).wrapping_mul(FNV32_PRIME);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_test_vectors() {
        // From the FNV reference test suite (draft-eastlake-fnv).
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn namespaces_separate_equal_values() {
        assert_ne!(namespaced_64("brand", "rose"), namespaced_64("tag", "rose"));
        assert_ne!(namespaced_32("brand", "rose"), namespaced_32("tag", "rose"));
        assert_eq!(namespaced_64("b", "x"), fnv1a_64(b"b\x1fx"));
        assert_eq!(namespaced_32("b", "x"), fnv1a_32(b"b\x1fx"));
    }
}
