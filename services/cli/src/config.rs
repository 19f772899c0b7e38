//! Layered configuration: built-in defaults → `seogo.toml` →
//! `SEOGO__SECTION__KEY` environment → command-line flags.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use seogo_engine::EngineConfig;

/// Flags every subcommand shares; each overrides the layers below it.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file (default: ./seogo.toml when it exists).
    #[arg(long, global = true, env = "SEOGO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where collections are stored.
    #[arg(long, global = true, env = "SEOGO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where the model pack is installed.
    #[arg(long, global = true, env = "SEOGO_MODELS_DIR")]
    pub models_dir: Option<PathBuf>,
    /// CPU threads for the models (0 = all cores).
    #[arg(long, global = true, env = "SEOGO_THREADS")]
    pub threads: Option<usize>,
}

/// Builds the configuration from all layers.
pub fn load(args: &GlobalArgs) -> anyhow::Result<EngineConfig> {
    let mut figment = Figment::from(Serialized::defaults(EngineConfig::default()));
    match &args.config {
        Some(path) => {
            anyhow::ensure!(
                path.exists(),
                "config file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        None => figment = figment.merge(Toml::file("seogo.toml")),
    }
    figment = figment.merge(Env::prefixed("SEOGO__").split("__"));
    let mut config: EngineConfig = figment.extract().context("reading the configuration")?;
    if let Some(dir) = &args.data_dir {
        config.data.dir = dir.clone();
    }
    if let Some(dir) = &args.models_dir {
        config.models.dir = dir.clone();
    }
    if let Some(threads) = args.threads {
        config.models.threads = threads;
    }
    config.validate()?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/seogo.reference.toml, loaded as a seogo.toml, is the defaults:
    /// every value it shows is the one in effect when a key is left out.
    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn the_reference_file_loads_as_the_defaults() {
        // In a Jail: it holds the environment other tests set SEOGO__ in.
        figment::Jail::expect_with(|_jail| {
            let path =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/seogo.reference.toml");
            let args = GlobalArgs {
                config: Some(path),
                data_dir: None,
                models_dir: None,
                threads: None,
            };
            let loaded = load(&args).map_err(|e| format!("{e:#}"))?;
            assert_eq!(
                serde_json::to_value(&loaded).expect("json"),
                serde_json::to_value(EngineConfig::default()).expect("json")
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "seogo.toml",
                "[retrieval]\nlexical_weight = 2.0\ndense_weight = 0.25\n[data]\ndir = \"from-toml\"\n",
            )?;
            jail.set_env("SEOGO__RETRIEVAL__DENSE_WEIGHT", "0.75");
            jail.set_env("SEOGO__MODELS__THREADS", "3");
            jail.set_env("SEOGO__MODELS__EMBED_PRECISION", "f32");
            jail.set_env("SEOGO__VECTORS__HNSW_EF", "300");
            let args = GlobalArgs {
                config: None,
                data_dir: Some("from-flag".into()),
                models_dir: None,
                threads: None,
            };
            let config = load(&args).map_err(|e| e.to_string())?;
            assert_eq!(config.retrieval.lexical_weight, 2.0);
            assert_eq!(config.retrieval.dense_weight, 0.75);
            assert_eq!(config.models.threads, 3);
            assert_eq!(
                config.models.embed_precision,
                seogo_models::EmbedPrecision::F32
            );
            assert_eq!(
                config.vectors,
                seogo_engine::VectorsConfig::Embedded { hnsw_ef: 300 }
            );
            assert_eq!(config.data.dir, PathBuf::from("from-flag"));
            Ok(())
        });
    }
}
