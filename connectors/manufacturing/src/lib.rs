//! The manufacturing connector (issue #5): placeholder until its reader lands —
//! documents pass through as the generic parser made them.

use seogo_docs::{Connector, DocError, Domain, Refined, SourceFile};

/// Options under `[[sources]] options = { … }` were not understood.
#[derive(Debug, thiserror::Error)]
#[error("manufacturing connector options: {0}")]
pub struct OptionsError(String);

#[derive(Debug, Default)]
pub struct ManufacturingConnector;

impl ManufacturingConnector {
    pub fn from_options(options: &serde_json::Value) -> Result<Self, OptionsError> {
        match options {
            serde_json::Value::Null => Ok(Self),
            serde_json::Value::Object(map) if map.is_empty() => Ok(Self),
            other => Err(OptionsError(format!("unexpected {other}"))),
        }
    }
}

impl Connector for ManufacturingConnector {
    fn name(&self) -> &'static str {
        "manufacturing"
    }

    fn domain(&self) -> Domain {
        Domain::Manufacturing
    }

    fn refine(&self, file: SourceFile<'_>) -> Result<Refined, DocError> {
        Ok(Refined::unchanged(file.parsed))
    }
}
