//! Offline evaluation on real interaction logs (issue 6): parsers, splits,
//! metrics and baselines.
