//! The versioned, checksummed binary container every stored artefact uses
//! (MLP weights, fitted preprocessing, recommender models, snapshots).
//!
//! Layout of a sealed blob (all integers little-endian):
//!
//! ```text
//! "LREC" | kind: 4 bytes | version: u16 | payload length: u64 | payload | CRC-32 of everything before
//! ```
//!
//! The payload is written with [`Writer`] and read back with [`Reader`], whose
//! every read checks the remaining length first: a 100-byte blob claiming a
//! billion weights fails with an error before anything is allocated.
//!
//! ```
//! use localrec::codec::{seal, open, Reader, Writer};
//! let mut w = Writer::new();
//! w.put_str("hello");
//! w.put_f32s(&[1.0, 2.5]);
//! let blob = seal(*b"DEMO", 1, &w.into_bytes());
//! let (version, payload) = open(&blob, *b"DEMO", 1).unwrap();
//! assert_eq!(version, 1);
//! let mut r = Reader::new(payload);
//! assert_eq!(r.get_str("greeting").unwrap(), "hello");
//! assert_eq!(r.get_f32s("weights").unwrap(), vec![1.0, 2.5]);
//! ```

use crate::error::{Error, Result};
use crate::quote::Quoted;

/// The first four bytes of every localrec blob.
pub const MAGIC: [u8; 4] = *b"LREC";
const HEADER: usize = 4 + 4 + 2 + 8;

/// CRC-32 (IEEE 802.3, the one zlib and PNG use).
pub fn crc32(data: &[u8]) -> u32 {
    // The usual 1 KB table, built on the stack at each call (2,048 shifts) rather
    // than stored in the download, where it is incompressible data; `black_box`
    // keeps the compiler from folding it back into a stored constant.
    let poly = std::hint::black_box(0xEDB8_8320u32);
    let mut table = [0u32; 256];
    for (i, entry) in (0u32..).zip(table.iter_mut()) {
        let mut c = i;
        for _ in 0..8 {
            c = if c & 1 != 0 { poly ^ (c >> 1) } else { c >> 1 };
        }
        *entry = c;
    }
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c = table[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    c ^ 0xFFFF_FFFF
}

/// Wraps `payload` with magic, kind, version, length and checksum.
pub fn seal(kind: [u8; 4], version: u16, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len() + 4);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&kind);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks a sealed blob and returns its version and payload.
///
/// Fails, naming the reason, when the blob is truncated, is not a localrec
/// blob, holds another kind of artefact, comes from a newer version than
/// `max_version`, or fails its checksum (a flipped bit anywhere is caught).
pub fn open(blob: &[u8], kind: [u8; 4], max_version: u16) -> Result<(u16, &[u8])> {
    if blob.len() < HEADER + 4 {
        return Err(Error::decode(format!(
            "blob is {} bytes, shorter than the {}-byte header",
            blob.len(),
            HEADER + 4
        )));
    }
    if blob[0..4] != MAGIC {
        return Err(Error::decode("not a localrec blob (bad magic bytes)"));
    }
    if blob[4..8] != kind {
        return Err(Error::decode(format!(
            "blob holds a {}, expected a {}",
            Quoted(&String::from_utf8_lossy(&blob[4..8])),
            Quoted(&String::from_utf8_lossy(&kind))
        )));
    }
    let version = u16::from_le_bytes([blob[8], blob[9]]);
    if version == 0 || version > max_version {
        return Err(Error::decode(format!(
            "format version {version} is not supported (this build reads 1..={max_version})"
        )));
    }
    let mut len_bytes = [0u8; 8];
    len_bytes.copy_from_slice(&blob[10..18]);
    let len = u64::from_le_bytes(len_bytes);
    let available = (blob.len() - HEADER - 4) as u64;
    if len != available {
        return Err(Error::decode(format!(
            "payload length says {len} bytes but {available} are present (truncated or padded)"
        )));
    }
    let body_end = HEADER + len as usize;
    let mut crc_bytes = [0u8; 4];
    crc_bytes.copy_from_slice(&blob[body_end..body_end + 4]);
    let stored = u32::from_le_bytes(crc_bytes);
    let actual = crc32(&blob[..body_end]);
    if stored != actual {
        return Err(Error::decode(format!(
            "checksum mismatch (stored {stored:08x}, computed {actual:08x}): the blob is corrupt"
        )));
    }
    Ok((version, &blob[HEADER..body_end]))
}

/// Appends little-endian values to a growing buffer.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
    pub fn put_u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn put_bool(&mut self, v: bool) {
        self.buf.push(v as u8);
    }
    pub fn put_u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn put_u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn put_f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn put_f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    /// A length as u64 (portable between 32- and 64-bit targets).
    pub fn put_len(&mut self, n: usize) {
        self.put_u64(n as u64);
    }
    pub fn put_bytes(&mut self, v: &[u8]) {
        self.put_len(v.len());
        self.buf.extend_from_slice(v);
    }
    pub fn put_str(&mut self, v: &str) {
        self.put_bytes(v.as_bytes());
    }
    pub fn put_f32s(&mut self, v: &[f32]) {
        self.put_len(v.len());
        for x in v {
            self.put_f32(*x);
        }
    }
    pub fn put_u32s(&mut self, v: &[u32]) {
        self.put_len(v.len());
        for x in v {
            self.put_u32(*x);
        }
    }
}

/// Reads what a [`Writer`] wrote; every read is bounds-checked and names the field.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    /// Fails unless everything was read (trailing garbage means a format mismatch).
    pub fn finish(&self) -> Result<()> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(Error::decode(format!(
                "{} unexpected trailing bytes",
                self.remaining()
            )))
        }
    }
    fn take(&mut self, n: usize, field: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(Error::decode(format!(
                "{field}: needs {n} bytes at offset {}, only {} left",
                self.pos,
                self.remaining()
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, field)?);
        Ok(a)
    }
    pub fn get_u8(&mut self, field: &str) -> Result<u8> {
        Ok(self.take(1, field)?[0])
    }
    pub fn get_bool(&mut self, field: &str) -> Result<bool> {
        match self.get_u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(Error::decode(format!("{field}: {v} is not a boolean"))),
        }
    }
    pub fn get_u32(&mut self, field: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }
    pub fn get_u64(&mut self, field: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }
    pub fn get_f32(&mut self, field: &str) -> Result<f32> {
        Ok(f32::from_le_bytes(self.array(field)?))
    }
    pub fn get_f64(&mut self, field: &str) -> Result<f64> {
        Ok(f64::from_le_bytes(self.array(field)?))
    }
    /// A count of elements of `elem_size` bytes each, checked against what is
    /// left in the buffer *before* anything is allocated.
    pub fn get_len(&mut self, field: &str, elem_size: usize) -> Result<usize> {
        let n = self.get_u64(field)?;
        let need = n.checked_mul(elem_size.max(1) as u64);
        match need {
            Some(bytes) if bytes <= self.remaining() as u64 => Ok(n as usize),
            _ => Err(Error::decode(format!(
                "{field}: claims {n} elements but only {} bytes remain",
                self.remaining()
            ))),
        }
    }
    pub fn get_bytes(&mut self, field: &str) -> Result<&'a [u8]> {
        let n = self.get_len(field, 1)?;
        self.take(n, field)
    }
    pub fn get_str(&mut self, field: &str) -> Result<String> {
        let b = self.get_bytes(field)?;
        String::from_utf8(b.to_vec()).map_err(|_| Error::decode_in(field, "not UTF-8"))
    }
    pub fn get_f32s(&mut self, field: &str) -> Result<Vec<f32>> {
        let n = self.get_len(field, 4)?;
        let raw = self.take(n * 4, field)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
    pub fn get_u32s(&mut self, field: &str) -> Result<Vec<u32>> {
        let n = self.get_len(field, 4)?;
        let raw = self.take(n * 4, field)?;
        Ok(raw
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        // The same bytes are checked in the browser (tests/web_codec.rs).
        let blob: [u8; 24] = [
            76, 82, 69, 67, 68, 69, 77, 79, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 104, 105, 234, 224, 217,
            250,
        ];
        assert_eq!(seal(*b"DEMO", 1, b"hi"), blob.to_vec());
    }

    #[test]
    fn crc32_matches_the_bitwise_definition() {
        // Reflected polynomial, one bit at a time: no table at all.
        let bitwise = |data: &[u8]| {
            let mut c = 0xFFFF_FFFFu32;
            for &b in data {
                c ^= b as u32;
                for _ in 0..8 {
                    c = if c & 1 != 0 {
                        0xEDB8_8320 ^ (c >> 1)
                    } else {
                        c >> 1
                    };
                }
            }
            c ^ 0xFFFF_FFFF
        };
        let mut rng = crate::rng::Rng::new(3);
        for len in [1usize, 2, 3, 255, 256, 257, 4096] {
            let data: Vec<u8> = (0..len).map(|_| rng.below(256) as u8).collect();
            assert_eq!(crc32(&data), bitwise(&data), "length {len}");
        }
    }

    fn sample() -> Vec<u8> {
        let mut w = Writer::new();
        w.put_u32(7);
        w.put_str("héllo");
        w.put_f32s(&[1.0, -2.0, f32::MIN_POSITIVE]);
        w.put_bool(true);
        seal(*b"TEST", 2, &w.into_bytes())
    }

    #[test]
    fn round_trip() {
        let blob = sample();
        let (v, p) = open(&blob, *b"TEST", 2).unwrap();
        assert_eq!(v, 2);
        let mut r = Reader::new(p);
        assert_eq!(r.get_u32("a").unwrap(), 7);
        assert_eq!(r.get_str("b").unwrap(), "héllo");
        assert_eq!(r.get_f32s("c").unwrap(), vec![1.0, -2.0, f32::MIN_POSITIVE]);
        assert!(r.get_bool("d").unwrap());
        r.finish().unwrap();
    }

    #[test]
    fn every_truncation_and_every_bit_flip_is_rejected() {
        let blob = sample();
        for cut in 0..blob.len() {
            assert!(open(&blob[..cut], *b"TEST", 2).is_err(), "cut at {cut}");
        }
        for byte in 0..blob.len() {
            for bit in 0..8 {
                let mut b = blob.clone();
                b[byte] ^= 1 << bit;
                assert!(open(&b, *b"TEST", 2).is_err(), "flip {byte}:{bit}");
            }
        }
    }

    #[test]
    fn wrong_kind_and_future_version_are_named() {
        let blob = sample();
        let e = open(&blob, *b"XXXX", 2).unwrap_err().to_string();
        assert!(e.contains("expected"), "{e}");
        let e = open(&blob, *b"TEST", 1).unwrap_err().to_string();
        assert!(e.contains("version 2"), "{e}");
    }

    #[test]
    fn length_bombs_fail_before_allocating() {
        let mut w = Writer::new();
        w.put_u64(1_000_000_000_000);
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        let e = r.get_f32s("weights").unwrap_err().to_string();
        assert!(e.contains("weights"), "{e}");
        let mut w = Writer::new();
        w.put_u64(u64::MAX);
        let bytes = w.into_bytes();
        assert!(Reader::new(&bytes).get_len("n", 8).is_err());
    }
}
