//! The codec's checksum in the browser: `crc32` builds its table at each call
//! (see src/codec.rs), so check there that it is the standard CRC-32 and
//! that a blob sealed natively opens: `wasm-pack test --headless --firefox --
//! --test web_codec`.
#![cfg(target_arch = "wasm32")]

use localrec::codec::{crc32, open, seal};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn crc32_is_the_standard_one_in_the_browser() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
    // Bit by bit, without a table.
    let data: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut c = 0xFFFF_FFFFu32;
    for &b in &data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    assert_eq!(crc32(&data), c ^ 0xFFFF_FFFF);
}

#[wasm_bindgen_test]
fn a_natively_sealed_blob_opens_in_the_browser() {
    // seal(*b"DEMO", 1, b"hi") as the native build writes it (the same bytes
    // are checked natively in codec's tests; CRC from Python's zlib.crc32).
    let native: [u8; 24] = [
        76, 82, 69, 67, 68, 69, 77, 79, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 104, 105, 234, 224, 217, 250,
    ];
    assert_eq!(seal(*b"DEMO", 1, b"hi"), native.to_vec());
    let (version, payload) = open(&native, *b"DEMO", 1).unwrap();
    assert_eq!((version, payload), (1, &b"hi"[..]));
}
