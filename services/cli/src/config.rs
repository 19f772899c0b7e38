//! Layered configuration: built-in defaults → `seogo.toml` →
//! `SEOGO__SECTION__KEY` environment → command-line flags.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use seogo_engine::config::Problems;
use seogo_engine::EngineConfig;
use seogo_server::ServerConfig;
use serde::{Deserialize, Serialize};

/// The whole of `seogo.toml`: the engine's sections and the server's
/// `[server]`, each kept by the crate that reads it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SiteConfig {
    #[serde(flatten)]
    pub engine: EngineConfig,
    /// `seogo serve`: authentication, limits, audit.
    #[serde(default)]
    pub server: ServerConfig,
}

impl SiteConfig {
    /// Every section's checks, in one list of problems.
    pub fn validate(&self) -> Result<(), seogo_engine::config::ConfigError> {
        let mut p = Problems::default();
        self.engine.check(&mut p);
        self.server.check(&mut p);
        p.finish()
    }
}

/// Top-level keys no section owns (a typo such as `[serverr]`): each
/// section refuses unknown keys itself, but the flattened top level cannot.
fn unknown_sections(figment: &Figment) -> anyhow::Result<()> {
    let given: BTreeMap<String, figment::value::Value> =
        figment.extract().context("reading the configuration")?;
    let known = serde_json::to_value(SiteConfig::default())?;
    let unknown: Vec<&str> = given
        .keys()
        .filter(|k| known.get(k.as_str()).is_none())
        .map(String::as_str)
        .collect();
    anyhow::ensure!(
        unknown.is_empty(),
        "reading the configuration: unknown section{} `{}` (expected one of {})",
        if unknown.len() == 1 { "" } else { "s" },
        unknown.join("`, `"),
        known
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    );
    Ok(())
}

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
pub fn load(args: &GlobalArgs) -> anyhow::Result<SiteConfig> {
    let mut figment = Figment::from(Serialized::defaults(SiteConfig::default()));
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
    unknown_sections(&figment)?;
    let mut config: SiteConfig = figment.extract().context("reading the configuration")?;
    let engine = &mut config.engine;
    if let Some(dir) = &args.data_dir {
        engine.data.dir = dir.clone();
    }
    if let Some(dir) = &args.models_dir {
        engine.models.dir = dir.clone();
    }
    if let Some(threads) = args.threads {
        engine.models.threads = threads;
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
                serde_json::to_value(SiteConfig::default()).expect("json")
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
            let config = load(&args).map_err(|e| e.to_string())?.engine;
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

    #[test]
    fn every_option_has_a_comment() {
        let undocumented = seogo_engine::config::undocumented::<SiteConfig>();
        assert_eq!(undocumented, Vec::<String>::new());
    }

    #[test]
    fn the_reference_is_current() {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/seogo.reference.toml");
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == seogo_engine::config::reference::<SiteConfig>(),
            "docs/seogo.reference.toml is stale: run \
             `seogo config --reference > docs/seogo.reference.toml`"
        );
    }

    #[test]
    fn the_server_section_is_in_the_reference() {
        let text = seogo_engine::config::reference::<SiteConfig>();
        for wanted in [
            "[server]\n",
            "max_concurrent_generations = 2\n",
            "# [server.oidc]\n",
        ] {
            assert!(text.contains(wanted), "no {wanted:?} in\n{text}");
        }
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail API fixes the error type
    fn an_unknown_section_is_refused_and_the_server_is_checked() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("seogo.toml", "[serverr]\nanonymous = true\n")?;
            let args = GlobalArgs {
                config: None,
                data_dir: None,
                models_dir: None,
                threads: None,
            };
            let error = format!("{:#}", load(&args).expect_err("a typo"));
            assert!(error.contains("unknown section `serverr`"), "{error}");
            jail.create_file(
                "seogo.toml",
                "[server]\nmax_concurrent_generations = 0\n[chunking]\nmax_tokens = 4\n",
            )?;
            let error = format!("{:#}", load(&args).expect_err("out of range"));
            for key in [
                "server.max_concurrent_generations: 0 is below the minimum 1",
                "chunking.max_tokens: 4 is below the minimum 16",
            ] {
                assert!(error.contains(key), "no {key:?} in {error}");
            }
            jail.create_file("seogo.toml", "[server]\nanonymus = true\n")?;
            let error = format!("{:#}", load(&args).expect_err("a typo in a section"));
            assert!(error.contains("anonymus"), "{error}");
            Ok(())
        });
    }
}
