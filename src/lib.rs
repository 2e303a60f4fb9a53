//! # localrec
//!
//! On-device product recommendations. A small multilayer perceptron and the
//! preprocessing around it learn what one shopper likes *inside that
//! shopper's browser* (compiled to WebAssembly), and rank a shop's catalog
//! for them. Nothing about the shopper is ever sent anywhere.
//!
//! The crate is a pure-Rust core that compiles and tests natively and for
//! `wasm32`, plus a thin `#[wasm_bindgen]` façade ([`wasm`]):
//!
//! - [`nn`] — the MLP engine: layers, losses, optimizers, training loop, serialization.
//! - [`prep`] — catalog and event cleaning, fitted feature encoders, shopper profiles.
//! - [`rec`] — the recommender: candidates, features, ranking, reasons.
//! - [`eval`] — offline evaluation on real interaction logs (used by the CLI).
//! - [`codec`], [`rng`], [`error`] — the shared binary format, seeded RNG and error type.
//! - [`sort`] — stable sorting compiled once (keeps the WebAssembly small).
//! - [`fmtnum`] — float formatting for messages without `core`'s (keeps the WebAssembly small).
//! - [`idtable`] — small open-addressing hash tables instead of std's `HashMap` (same).
//! - [`quote`] — quoting text for messages without `core`'s `Debug` (same).
//! - [`heap`] — heap counters, and the talc allocator of the WebAssembly build (keeps it small).
//! - [`pow2`] — `2^x` without libm's `exp2` table (same).
//! - [`trig`] — musl's cosine for bounded angles, without its huge-argument reduction (same).

pub mod codec;
pub mod error;
pub mod eval;
pub mod fmtnum;
pub mod heap;
pub mod idtable;
pub mod nn;
pub mod pow2;
pub mod prep;
pub mod quote;
pub mod rec;
pub mod recommender;
pub mod rng;
pub mod sort;
pub mod trig;
pub mod wasm;

pub use error::{Error, Result};

/// The crate version, as shipped in the npm package.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
