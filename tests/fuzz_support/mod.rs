//! Shared by the property tests (tests/prop_*.rs) and the fuzz targets (tests/fuzz_*.rs):
//!
//! - a counting global allocator, per thread, so a test can assert that decoding an
//!   `n`-byte blob never asks for more than a plausible multiple of `n` bytes (memory bombs),
//!   and a hard cap that turns a runaway allocation into an immediate abort with a message
//!   instead of exhausting the shared machine;
//! - blob mutators (bit flips, byte sets, truncation, insertion, duplication, splicing,
//!   "interesting" integers written over length fields) driven by the crate's seeded RNG;
//! - the case budget read from `LOCALREC_FUZZ_CASES` and a tally printed at the end of
//!   each target, so the figures in docs/FUZZING.md are measured, not claimed.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use localrec::rng::Rng;

/// No single allocation made by a test may exceed this (a memory bomb aborts loudly here).
pub const HARD_CAP_BYTES: usize = 512 << 20;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    static TOTAL: Cell<usize> = const { Cell::new(0) };
}

/// Counts what each thread allocates (the largest single request and the running total).
pub struct CountingAlloc;

fn note(size: usize) {
    let _ = LARGEST.try_with(|c| {
        if size > c.get() {
            c.set(size)
        }
    });
    let _ = TOTAL.try_with(|t| t.set(t.get().saturating_add(size)));
}

// SAFETY: forwards every call to the system allocator unchanged; only counts (thread-local
// `const` cells never allocate) and refuses sizes above the hard cap (null = allocation failure).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        if layout.size() > HARD_CAP_BYTES {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        if layout.size() > HARD_CAP_BYTES {
            return std::ptr::null_mut();
        }
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        if new_size > HARD_CAP_BYTES {
            return std::ptr::null_mut();
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// What one closure allocated on the current thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocStats {
    /// The largest single allocation (or reallocation) requested, in bytes.
    pub largest: usize,
    /// The sum of all requested sizes, in bytes (frees are not subtracted).
    pub total: usize,
}

/// Runs `f` and reports what it allocated on this thread.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, AllocStats) {
    LARGEST.with(|c| c.set(0));
    TOTAL.with(|c| c.set(0));
    let out = f();
    let stats = AllocStats {
        largest: LARGEST.with(|c| c.get()),
        total: TOTAL.with(|c| c.get()),
    };
    (out, stats)
}

/// The number of cases a fuzz target runs: `LOCALREC_FUZZ_CASES` or `default`.
pub fn fuzz_cases(default: u64) -> u64 {
    std::env::var("LOCALREC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// The seed of a fuzz run: `LOCALREC_FUZZ_SEED` or `default` (printed, so a failure can be replayed).
pub fn fuzz_seed(default: u64) -> u64 {
    std::env::var("LOCALREC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Integers that break length and count fields.
pub const INTERESTING_U64: &[u64] = &[
    0,
    1,
    2,
    3,
    4,
    7,
    8,
    255,
    256,
    1 << 16,
    (1 << 31) - 1,
    1 << 31,
    (1 << 32) - 1,
    1 << 32,
    1_000_000_000,
    (1 << 62) + 1,
    u64::MAX / 4 + 1,
    u64::MAX / 8 + 1,
    u64::MAX - 1,
    u64::MAX,
];

/// Floats that break arithmetic.
pub const INTERESTING_F32: &[f32] = &[
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::MAX,
    f32::MIN,
    f32::MIN_POSITIVE,
    -0.0,
    1e-45,
    1e30,
    -1e30,
];

/// One random structural mutation of `data` (never leaves it unchanged on purpose; it may by chance).
pub fn mutate(data: &mut Vec<u8>, rng: &mut Rng, donor: &[u8]) {
    let len = data.len();
    let pick = |rng: &mut Rng, n: usize| if n == 0 { 0 } else { rng.below(n) };
    match rng.below(11) {
        0 if len > 0 => {
            let i = pick(rng, len);
            data[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = pick(rng, len);
            data[i] = (rng.next_u64() & 0xFF) as u8;
        }
        2 => {
            let cut = pick(rng, len + 1);
            data.truncate(cut);
        }
        3 => {
            let at = pick(rng, len + 1);
            let n = 1 + rng.below(16);
            for k in 0..n {
                data.insert(at + k, (rng.next_u64() & 0xFF) as u8);
            }
        }
        4 if len > 0 => {
            let start = pick(rng, len);
            let n = 1 + pick(rng, (len - start).min(64));
            data.drain(start..start + n.min(len - start));
        }
        5 if len >= 8 => {
            let at = pick(rng, len - 7);
            let v = INTERESTING_U64[rng.below(INTERESTING_U64.len())];
            data[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        6 if len >= 4 => {
            let at = pick(rng, len - 3);
            let v = INTERESTING_F32[rng.below(INTERESTING_F32.len())];
            data[at..at + 4].copy_from_slice(&v.to_le_bytes());
        }
        7 if len > 0 => {
            // Duplicate a chunk in place (repeated records, doubled lists).
            let start = pick(rng, len);
            let n = 1 + pick(rng, (len - start).min(64));
            let chunk: Vec<u8> = data[start..(start + n).min(len)].to_vec();
            let at = pick(rng, data.len() + 1);
            data.splice(at..at, chunk);
        }
        8 if !donor.is_empty() && len > 0 => {
            // Splice a piece of another valid blob over this one.
            let from = pick(rng, donor.len());
            let n = 1 + pick(rng, (donor.len() - from).min(128));
            let at = pick(rng, len);
            let end = (at + n).min(len);
            data[at..end].copy_from_slice(&donor[from..from + (end - at)]);
        }
        9 if len >= 8 => {
            // Small arithmetic on a 64-bit little-endian field (off-by-one lengths).
            let at = pick(rng, len - 7);
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[at..at + 8]);
            let v = u64::from_le_bytes(b);
            let delta = 1 + rng.below(4) as u64;
            let v = if rng.below(2) == 0 {
                v.wrapping_add(delta)
            } else {
                v.wrapping_sub(delta)
            };
            data[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        _ => {
            if len > 0 {
                let i = pick(rng, len);
                data[i] = data[i].wrapping_add(1);
            } else {
                data.push(0);
            }
        }
    }
}

/// A tally printed at the end of a target (`cargo test -- --nocapture` shows it).
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub name: &'static str,
    pub cases: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub largest_alloc: usize,
}

impl Tally {
    pub fn new(name: &'static str) -> Self {
        Tally {
            name,
            ..Tally::default()
        }
    }
    pub fn count<T, E>(&mut self, r: &Result<T, E>, stats: AllocStats) {
        self.cases += 1;
        if r.is_ok() {
            self.accepted += 1;
        } else {
            self.rejected += 1;
        }
        self.largest_alloc = self.largest_alloc.max(stats.largest);
    }
    pub fn print(&self, seed: u64) {
        println!(
            "FUZZ {}: {} inputs (seed {seed}), {} decoded, {} rejected with an error, 0 panics, largest allocation {} bytes",
            self.name, self.cases, self.accepted, self.rejected, self.largest_alloc
        );
    }
}
