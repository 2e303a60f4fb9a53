//! Offline evaluation on real interaction logs (issue 6): parsers, splits, metrics and
//! the protocols (leave-one-out full / sampled-99, new shoppers, sessions).

pub mod data;
pub mod metrics;
pub mod protocol;
pub mod split;
