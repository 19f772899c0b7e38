//! The public connector (issue #5): placeholder until its reader lands —
//! documents pass through as the generic parser made them.

use seogo_docs::{Connector, DocError, Domain, Refined, SourceFile};

/// Options under `[[sources]] options = { … }` were not understood.
#[derive(Debug, thiserror::Error)]
#[error("public connector options: {0}")]
pub struct OptionsError(String);

#[derive(Debug, Default)]
pub struct PublicConnector;

impl PublicConnector {
    pub fn from_options(options: &serde_json::Value) -> Result<Self, OptionsError> {
        match options {
            serde_json::Value::Null => Ok(Self),
            serde_json::Value::Object(map) if map.is_empty() => Ok(Self),
            other => Err(OptionsError(format!("unexpected {other}"))),
        }
    }
}

impl Connector for PublicConnector {
    fn name(&self) -> &'static str {
        "public"
    }

    fn domain(&self) -> Domain {
        Domain::Public
    }

    fn refine(&self, file: SourceFile<'_>) -> Result<Refined, DocError> {
        Ok(Refined::unchanged(file.parsed))
    }
}
