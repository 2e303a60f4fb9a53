//! Property tests of the binary container (`codec::seal`/`open`) and its bounds-checked
//! `Reader`: round trips are exact, every truncation and bit flip is caught, random bytes
//! and random read sequences never panic, and no read allocates more than the buffer holds.
#![cfg(not(target_arch = "wasm32"))]

mod fuzz_support;

use fuzz_support::{measure, CountingAlloc};
use localrec::codec::{crc32, open, seal, Reader, Writer, MAGIC};
use proptest::prelude::*;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Failures print their minimal input; no regression files are written into tests/.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One typed value a `Writer` can write and a `Reader` must read back.
#[derive(Debug, Clone)]
enum Value {
    U8(u8),
    Bool(bool),
    U32(u32),
    U64(u64),
    F32(f32),
    F64(f64),
    Bytes(Vec<u8>),
    Str(String),
    F32s(Vec<f32>),
    U32s(Vec<u32>),
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u8>().prop_map(Value::U8),
        any::<bool>().prop_map(Value::Bool),
        any::<u32>().prop_map(Value::U32),
        any::<u64>().prop_map(Value::U64),
        any::<f32>().prop_map(Value::F32),
        any::<f64>().prop_map(Value::F64),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Bytes),
        ".{0,20}".prop_map(Value::Str),
        proptest::collection::vec(any::<f32>(), 0..20).prop_map(Value::F32s),
        proptest::collection::vec(any::<u32>(), 0..20).prop_map(Value::U32s),
    ]
}

fn write(w: &mut Writer, v: &Value) {
    match v {
        Value::U8(x) => w.put_u8(*x),
        Value::Bool(x) => w.put_bool(*x),
        Value::U32(x) => w.put_u32(*x),
        Value::U64(x) => w.put_u64(*x),
        Value::F32(x) => w.put_f32(*x),
        Value::F64(x) => w.put_f64(*x),
        Value::Bytes(x) => w.put_bytes(x),
        Value::Str(x) => w.put_str(x),
        Value::F32s(x) => w.put_f32s(x),
        Value::U32s(x) => w.put_u32s(x),
    }
}

/// Reads `v`'s type back and checks the value bit for bit (NaN payloads included).
fn read_back(r: &mut Reader<'_>, v: &Value) -> Result<(), TestCaseError> {
    let err = |e: localrec::Error| TestCaseError::fail(e.to_string());
    match v {
        Value::U8(x) => prop_assert_eq!(r.get_u8("u8").map_err(err)?, *x),
        Value::Bool(x) => prop_assert_eq!(r.get_bool("bool").map_err(err)?, *x),
        Value::U32(x) => prop_assert_eq!(r.get_u32("u32").map_err(err)?, *x),
        Value::U64(x) => prop_assert_eq!(r.get_u64("u64").map_err(err)?, *x),
        Value::F32(x) => prop_assert_eq!(r.get_f32("f32").map_err(err)?.to_bits(), x.to_bits()),
        Value::F64(x) => prop_assert_eq!(r.get_f64("f64").map_err(err)?.to_bits(), x.to_bits()),
        Value::Bytes(x) => prop_assert_eq!(r.get_bytes("bytes").map_err(err)?, x.as_slice()),
        Value::Str(x) => prop_assert_eq!(&r.get_str("str").map_err(err)?, x),
        Value::F32s(x) => {
            let got: Vec<u32> = r
                .get_f32s("f32s")
                .map_err(err)?
                .iter()
                .map(|f| f.to_bits())
                .collect();
            let want: Vec<u32> = x.iter().map(|f| f.to_bits()).collect();
            prop_assert_eq!(got, want)
        }
        Value::U32s(x) => prop_assert_eq!(&r.get_u32s("u32s").map_err(err)?, x),
    }
    Ok(())
}

/// A read the fuzzing sequence may attempt on arbitrary bytes.
#[derive(Debug, Clone, Copy)]
enum Read {
    U8,
    Bool,
    U32,
    U64,
    F32,
    F64,
    Len(usize),
    Bytes,
    Str,
    F32s,
    U32s,
}

fn read_op() -> impl Strategy<Value = Read> {
    prop_oneof![
        Just(Read::U8),
        Just(Read::Bool),
        Just(Read::U32),
        Just(Read::U64),
        Just(Read::F32),
        Just(Read::F64),
        prop_oneof![
            Just(0usize),
            Just(1),
            Just(4),
            Just(8),
            Just(33),
            Just(usize::MAX)
        ]
        .prop_map(Read::Len),
        Just(Read::Bytes),
        Just(Read::Str),
        Just(Read::F32s),
        Just(Read::U32s),
    ]
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn typed_values_round_trip_through_a_sealed_blob(
        values in proptest::collection::vec(value(), 0..24),
        kind in any::<[u8; 4]>(),
        version in 1u16..=u16::MAX,
    ) {
        let mut w = Writer::new();
        for v in &values {
            write(&mut w, v);
        }
        let payload = w.into_bytes();
        let blob = seal(kind, version, &payload);
        prop_assert_eq!(blob.len(), payload.len() + 22);
        let (got_version, got) = open(&blob, kind, version).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got_version, version);
        prop_assert_eq!(got, payload.as_slice());
        // A reader of a newer build (higher max version) still opens it.
        prop_assert!(open(&blob, kind, u16::MAX).is_ok());
        let mut r = Reader::new(got);
        for v in &values {
            read_back(&mut r, v)?;
        }
        prop_assert_eq!(r.remaining(), 0);
        prop_assert!(r.finish().is_ok());
    }

    #[test]
    fn every_truncation_extension_and_single_bit_flip_is_rejected(
        payload in proptest::collection::vec(any::<u8>(), 0..200),
        kind in any::<[u8; 4]>(),
        cut_seed in any::<usize>(),
        flip_seed in any::<usize>(),
        extra in proptest::collection::vec(any::<u8>(), 1..9),
    ) {
        let blob = seal(kind, 1, &payload);
        let cut = cut_seed % blob.len();
        prop_assert!(open(&blob[..cut], kind, 1).is_err(), "truncated to {}", cut);
        let mut longer = blob.clone();
        longer.extend_from_slice(&extra);
        prop_assert!(open(&longer, kind, 1).is_err(), "padded by {}", extra.len());
        // CRC-32 detects every single-bit error, and the header checks come first.
        let bit = flip_seed % (blob.len() * 8);
        let mut flipped = blob.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(open(&flipped, kind, 1).is_err(), "bit {} flipped", bit);
    }

    #[test]
    fn wrong_kind_and_unsupported_versions_are_named(
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        kind in any::<[u8; 4]>(),
        other in any::<[u8; 4]>(),
        version in 2u16..=u16::MAX,
    ) {
        prop_assume!(kind != other);
        let blob = seal(kind, version, &payload);
        let e = open(&blob, other, u16::MAX).unwrap_err().to_string();
        prop_assert!(e.contains("expected"), "{}", e);
        let e = open(&blob, kind, version - 1).unwrap_err().to_string();
        prop_assert!(e.contains(&format!("version {version}")), "{}", e);
        let zero = seal(kind, 0, &payload);
        prop_assert!(open(&zero, kind, u16::MAX).is_err());
    }

    #[test]
    fn random_bytes_never_open_unless_they_are_a_valid_blob(
        bytes in proptest::collection::vec(any::<u8>(), 0..128),
        magic_prefix in any::<bool>(),
    ) {
        let mut bytes = bytes;
        if magic_prefix && bytes.len() >= 8 {
            bytes[..4].copy_from_slice(&MAGIC);
            bytes[4..8].copy_from_slice(b"TEST");
        }
        if let Ok((_, payload)) = open(&bytes, *b"TEST", u16::MAX) {
            // Only possible if the bytes are, by chance, a perfectly sealed blob.
            let end = bytes.len() - 4;
            let crc = crc32(&bytes[..end]).to_le_bytes();
            prop_assert_eq!(&bytes[end..], crc.as_slice());
            prop_assert_eq!(payload.len(), bytes.len() - 22);
        }
    }

    #[test]
    fn random_reads_on_random_bytes_never_panic_or_overallocate(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        ops in proptest::collection::vec(read_op(), 1..32),
    ) {
        let mut r = Reader::new(&bytes);
        let (outcome, stats) = measure(|| -> Result<(), TestCaseError> {
            for op in &ops {
                let before = r.remaining();
                let ok = match op {
                    Read::U8 => r.get_u8("f").is_ok(),
                    Read::Bool => r.get_bool("f").is_ok(),
                    Read::U32 => r.get_u32("f").is_ok(),
                    Read::U64 => r.get_u64("f").is_ok(),
                    Read::F32 => r.get_f32("f").is_ok(),
                    Read::F64 => r.get_f64("f").is_ok(),
                    Read::Len(size) => match r.get_len("f", *size) {
                        Ok(n) => {
                            // A granted count always fits in what is left.
                            let need = (n as u128) * (*size).max(1) as u128;
                            prop_assert!(need <= r.remaining() as u128);
                            true
                        }
                        Err(e) => {
                            prop_assert!(e.to_string().contains('f'));
                            false
                        }
                    },
                    Read::Bytes => r.get_bytes("f").is_ok(),
                    Read::Str => r.get_str("f").is_ok(),
                    Read::F32s => r.get_f32s("f").is_ok(),
                    Read::U32s => r.get_u32s("f").is_ok(),
                };
                prop_assert!(r.remaining() <= before);
                if !ok {
                    // A failed fixed-size read consumes nothing (it checks before taking).
                    if matches!(op, Read::U8 | Read::U32 | Read::U64 | Read::F32 | Read::F64) {
                        prop_assert_eq!(r.remaining(), before);
                    }
                }
            }
            Ok(())
        });
        outcome?;
        // Nothing read from 256 bytes can need more than a few times that (String/Vec copies).
        prop_assert!(stats.largest <= 4 * bytes.len() + 256, "largest allocation {} for {} bytes", stats.largest, bytes.len());
    }

    #[test]
    fn a_claimed_length_beyond_the_buffer_fails_before_allocating(
        claimed in any::<u64>(),
        present in 0usize..64,
        elem in prop_oneof![Just(1usize), Just(4), Just(8)],
    ) {
        let mut w = Writer::new();
        w.put_u64(claimed);
        let mut bytes = w.into_bytes();
        bytes.resize(8 + present, 0xAB);
        prop_assume!((claimed as u128) * (elem as u128) > present as u128);
        let (res, stats) = measure(|| {
            let mut r = Reader::new(&bytes);
            match elem {
                1 => r.get_bytes("blob").map(|b| b.len()),
                4 => r.get_f32s("weights").map(|v| v.len()),
                _ => r.get_len("rows", 8),
            }
        });
        let e = res.unwrap_err().to_string();
        prop_assert!(e.contains("claims") || e.contains("needs"), "{}", e);
        // Only the error message was allocated.
        prop_assert!(stats.largest < 256, "largest allocation {}", stats.largest);
    }
}
