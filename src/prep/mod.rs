//! Preprocessing (issue 4): catalog and event cleaning, fitted encoders,
//! shopper profiles.
