//! Heap accounting, and the WebAssembly build's allocator: [talc](https://crates.io/crates/talc)
//! instead of std's dlmalloc, counting the bytes live and their peak.
//!
//! Why talc: it does the same job in 2.4 KB gzip less WebAssembly (dlmalloc was 7 KB of code),
//! and its authors measure it faster than dlmalloc in WebAssembly. Why the counters: the heap
//! tests (`tests/web_scale.rs` in the browser, `tests/recommender_memory.rs` natively) need the
//! live and peak heap, and a program has only one global allocator, so in the browser the crate's
//! own counts. Counting is two additions and a comparison per allocation. Native builds keep the
//! platform's allocator; a native program (or test) that wants the counters installs
//! [`Counting`] around it:
//!
//! ```
//! use localrec::heap::{self, Counting};
//!
//! #[global_allocator]
//! static ALLOC: Counting<std::alloc::System> = Counting(std::alloc::System);
//!
//! let before = heap::live();
//! let v = vec![0u8; 1 << 20];
//! assert!(heap::live() >= before + (1 << 20));
//! assert!(heap::peak() >= heap::live());
//! drop(v);
//! ```

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// An allocator that counts what the allocator inside it hands out.
pub struct Counting<A>(pub A);

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let live = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(live, Relaxed);
}

fn shrank(by: usize) {
    LIVE.fetch_sub(by, Relaxed);
}

// SAFETY: every call is forwarded to the inner allocator unchanged; the counters only observe sizes.
// Not inlined: otherwise the counting is copied into every allocation and drop site
// (1 KB gzip more WebAssembly).
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = self.0.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        self.0.dealloc(ptr, layout)
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The inner allocator's own realloc (talc grows and shrinks in place where it can).
        // Counted as std's default realloc would be (new block, then the old one freed), so
        // the peak includes both.
        let p = self.0.realloc(ptr, layout, new_size);
        if !p.is_null() {
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

// Threaded WebAssembly (atomics) would need talc's locked variant; this crate builds without.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: Counting<talc::wasm::WasmDynamicTalc> =
    Counting(talc::wasm::new_wasm_dynamic_allocator());

/// Heap bytes live now (what the program asked for, not the allocator's own overhead); 0 where
/// no [`Counting`] allocator is installed.
pub fn live() -> usize {
    LIVE.load(Relaxed)
}

/// The largest live heap since the start or the last [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Relaxed)
}

/// Starts a new peak measurement from the live heap.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}
