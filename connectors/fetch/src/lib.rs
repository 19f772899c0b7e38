//! seogo-fetch: sources that are APIs rather than folders — SEC EDGAR,
//! OpenDART and the national law information service (국가법령정보센터).
//!
//! A fetcher does not index anything. It keeps a local *mirror* folder
//! equal to what the API lists — new items downloaded, changed ones (a new
//! version) replaced, vanished ones removed — and the ordinary folder sync
//! then indexes that folder through the domain connector. So incremental
//! re-embedding, tombstones and the never-mass-delete rules are the ones
//! folders already have, and a site can inspect or back up exactly what
//! was fetched. Items whose version has not changed are not downloaded
//! again, which is what keeps a nightly sync inside the APIs' quotas.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

mod dart;
mod edgar;
mod law;
mod mirror;

use std::path::PathBuf;

use seogo_docs::Limits;
use seogo_http::HttpError;
use serde::{Deserialize, Serialize};

pub use dart::DartConfig;
pub use edgar::EdgarConfig;
pub use law::LawConfig;
pub use mirror::{mirror, FetchReport, ItemFailure, MANIFEST_FILE};

/// `[sources.fetch]`: which API a source mirrors, and how.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum FetchConfig {
    Edgar(EdgarConfig),
    Dart(DartConfig),
    Law(LawConfig),
}

impl FetchConfig {
    /// The fetcher this configures; downloads are bounded by `limits`
    /// (`parse.max_file_bytes`, and the expansion limits for zips).
    pub fn fetcher(&self, limits: &Limits) -> Result<Box<dyn Fetcher>, FetchError> {
        Ok(match self {
            FetchConfig::Edgar(c) => Box::new(edgar::Edgar::new(c, limits)?),
            FetchConfig::Dart(c) => Box::new(dart::Dart::new(c, limits)?),
            FetchConfig::Law(c) => Box::new(law::Law::new(c, limits)?),
        })
    }
}

/// One thing an API holds: a filing, a disclosure, a statute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Stable across versions (accession number, 접수번호, 법령ID).
    pub id: String,
    /// Changes when the content does (an amended statute's 법령일련번호).
    pub version: String,
    /// Where it is kept under the mirror folder (`/`-separated, safe).
    pub file: String,
    /// What `download` needs to fetch it (a URL, a key).
    pub locator: String,
}

/// An API as a list of items and a way to download one.
pub trait Fetcher {
    /// Everything the source holds now. A listing that fails part-way is
    /// an error, never a shorter list: a shorter list deletes.
    fn list(&self) -> Result<Vec<Item>, FetchError>;
    /// The bytes to store for `item`.
    fn download(&self, item: &Item) -> Result<Vec<u8>, FetchError>;
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The API answered, but not with what its format promises.
    #[error("{what}: {reason}")]
    Response { what: String, reason: String },
    #[error("fetch settings: {0}")]
    Settings(String),
    #[error(transparent)]
    Doc(#[from] seogo_docs::DocError),
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

impl FetchError {
    fn response(what: impl Into<String>, reason: impl Into<String>) -> Self {
        FetchError::Response {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// An API key from the config, else from the environment variable named.
fn secret(value: &Option<String>, env: &str, what: &str) -> Result<String, FetchError> {
    value
        .clone()
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
        .ok_or_else(|| FetchError::Settings(format!("{what}: set it in the source or in ${env}")))
}

/// A path segment that is safe on every file system and cannot climb out
/// of the mirror: letters (Hangul included), digits, `.`, `-`, `_`; the
/// rest becomes `_`, and no leading dot.
fn safe_segment(name: &str) -> String {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() {
        "_".into()
    } else {
        trimmed.chars().take(120).collect()
    }
}

#[cfg(test)]
mod tests;
