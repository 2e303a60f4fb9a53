//! Serialization of fitted preprocessing through the crate's container
//! ([`crate::codec`]): every fitted part writes itself to a [`Writer`] and
//! reads itself back, validating what it reads (a decoded scaler never holds
//! a NaN). The whole featurizer is sealed as kind [`PREP_KIND`].

use crate::codec::{Reader, Writer};
use crate::error::Result;

/// The codec kind of a fitted [`crate::prep::ItemFeaturizer`].
pub const PREP_KIND: [u8; 4] = *b"PREP";
/// The current version of that format.
pub const PREP_VERSION: u16 = 1;

/// A fitted part that serializes into a featurizer blob.
pub(crate) trait Persist: Sized {
    fn write(&self, w: &mut Writer);
    fn read(r: &mut Reader) -> Result<Self>;
}
