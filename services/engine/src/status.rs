//! The models in use, for the operator console's overview: which embedder
//! (its revision is the sha256 of its weights, what a collection records),
//! which generator, and whether a served generator answers now.

use serde::Serialize;

use crate::config::GeneratorConfig;
use crate::{lock, Engine, EngineError};

/// One model the engine uses.
#[derive(Debug, Clone, Serialize)]
pub struct ModelStatus {
    /// `embedder` or `generator`.
    pub role: &'static str,
    pub name: String,
    /// The weights' hash (as a collection records it), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `local` (in-process) or `openai` (a served model), for a generator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// A served generator's base URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub loaded: bool,
    /// Whether it can answer now: a served model's endpoint replied; a
    /// local model's file is installed.
    pub reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Engine {
    /// The embedder (loaded if it was not) and the generator. A local
    /// generator is not loaded for this; a served one is asked for its
    /// model list.
    pub fn model_status(&self) -> Result<Vec<ModelStatus>, EngineError> {
        let fingerprint = self.embedder()?.fingerprint().clone();
        let embedder = ModelStatus {
            role: "embedder",
            name: fingerprint.model,
            revision: Some(fingerprint.revision),
            detail: Some(format!(
                "{} dimensions, pooling: {}",
                fingerprint.dimension, fingerprint.pooling
            )),
            kind: None,
            endpoint: None,
            loaded: true,
            reachable: true,
            error: None,
        };
        let loaded = lock(&self.generator).is_some();
        let generator = match &self.config().generator {
            GeneratorConfig::Local => {
                let path = self.config().models.generator_file();
                let installed = path.exists();
                ModelStatus {
                    role: "generator",
                    // The pack's folder names the model; the file its
                    // quantisation.
                    name: path
                        .iter()
                        .rev()
                        .take(2)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<std::path::PathBuf>()
                        .display()
                        .to_string(),
                    revision: None,
                    detail: Some(format!("device {}", self.config().models.device)),
                    kind: Some("local"),
                    endpoint: None,
                    loaded,
                    reachable: installed,
                    error: (!installed).then(|| format!("{} is not installed", path.display())),
                }
            }
            GeneratorConfig::OpenAi(served) => {
                let reached = self.generator().and_then(|g| Ok(g.reachable()?));
                ModelStatus {
                    role: "generator",
                    name: served.model.clone(),
                    revision: None,
                    detail: None,
                    kind: Some("openai"),
                    endpoint: Some(served.base_url.clone()),
                    loaded,
                    reachable: reached.is_ok(),
                    error: reached.err().map(|e| e.to_string()),
                }
            }
        };
        Ok(vec![embedder, generator])
    }
}
