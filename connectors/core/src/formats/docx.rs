//! Placeholder until this format's parser lands.

use crate::formats::Extracted;
use crate::limits::{Budget, Failure};

pub(crate) fn extract(_bytes: &[u8], _budget: &Budget) -> Result<Extracted, Failure> {
    Err(Failure::Unsupported("not read by this build yet".into()))
}
