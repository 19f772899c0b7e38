//! `[server]`: who may call `seogo serve`, and what a call may cost. The
//! section is the server's own: the engine never reads it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use seogo_engine::config::Problems;
use serde::{Deserialize, Serialize};

/// The HTTP server's security and limits. Its defaults are safe on a
/// network: authentication is required as soon as keys or OIDC exist, and
/// a caller without credentials sees public documents only when
/// `anonymous` allows it.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// API keys (hashed), managed with `seogo keys`; default
    /// `<data.dir>/api-keys.json`.
    pub keys_file: Option<PathBuf>,
    /// OIDC/JWT bearer tokens from the site's identity provider.
    pub oidc: Option<OidcConfig>,
    /// Serve callers without credentials (public documents only). Unset:
    /// only while no API key and no OIDC is configured (the demo).
    pub anonymous: Option<bool>,
    /// Origins allowed to call from a browser (the widget's host pages),
    /// e.g. `["https://intranet.example"]`; none by default.
    pub cors_origins: Vec<String>,
    /// Largest JSON request body.
    pub max_body_bytes: usize,
    /// Largest uploaded document.
    pub max_upload_bytes: u64,
    /// Requests per minute for one caller (key or token subject); 0 = no
    /// limit.
    pub requests_per_minute: u32,
    /// Answers generated at once; more wait, up to the request timeout.
    pub max_concurrent_generations: usize,
    /// A request (a whole answer stream included) is cut off after this.
    pub request_timeout_secs: u64,
    /// Conversations kept for multi-turn `/v1/ask` (oldest dropped).
    pub max_conversations: usize,
    /// The audit log of requests that read documents.
    pub audit: AuditConfig,
    /// Evaluation sets the console can run by name (`POST
    /// /v1/admin/eval`), e.g. `{ korquad-dev = "/data/eval/korquad" }`:
    /// each a BEIR folder, a SQuAD-format file or a titled-files folder, as
    /// `seogo eval` reads.
    pub eval_sets: BTreeMap<String, PathBuf>,
}

impl ServerConfig {
    /// Where the API keys are kept: `keys_file`, else `api-keys.json` in
    /// the data directory.
    pub fn keys_file(&self, data_dir: &Path) -> PathBuf {
        self.keys_file
            .clone()
            .unwrap_or_else(|| data_dir.join("api-keys.json"))
    }

    /// Checks the section as the engine checks its own, adding to `p`
    /// (each problem named `server.…`).
    pub fn check(&self, p: &mut Problems) {
        let s = self;
        p.at_least("server.max_body_bytes", s.max_body_bytes, 1024);
        p.at_least("server.max_upload_bytes", s.max_upload_bytes, 1);
        p.at_least(
            "server.max_concurrent_generations",
            s.max_concurrent_generations,
            1,
        );
        p.at_least("server.request_timeout_secs", s.request_timeout_secs, 1);
        p.at_least("server.max_conversations", s.max_conversations, 1);
        if let Some(oidc) = &s.oidc {
            if oidc.issuer.trim().is_empty() {
                p.add("server.oidc.issuer", "empty: tokens are checked against it");
            }
            if oidc.jwks_file.is_none() && oidc.jwks_url.is_none() {
                p.add(
                    "server.oidc",
                    "neither jwks_file nor jwks_url: no key to check tokens with",
                );
            }
            p.exists("server.oidc.jwks_file", oidc.jwks_file.as_deref());
        }
        for (name, path) in &s.eval_sets {
            p.exists(&format!("server.eval_sets.{name}"), Some(path));
        }
        for (name, pattern) in &s.audit.mask {
            if let Err(e) = regex::Regex::new(pattern) {
                p.add(&format!("server.audit.mask.{name}"), e);
            }
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            keys_file: None,
            oidc: None,
            anonymous: None,
            cors_origins: Vec::new(),
            max_body_bytes: 1 << 20,
            max_upload_bytes: 256 << 20,
            requests_per_minute: 600,
            max_concurrent_generations: 2,
            request_timeout_secs: 600,
            max_conversations: 10_000,
            audit: AuditConfig::default(),
            eval_sets: BTreeMap::new(),
        }
    }
}

/// Bearer tokens from an OIDC provider (Keycloak, Azure AD, ADFS...).
#[derive(Debug, Clone, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct OidcConfig {
    /// Must equal the token's `iss`.
    pub issuer: String,
    /// Must be among the token's `aud`.
    pub audience: String,
    /// The provider's signing keys (JWKS JSON), from a file...
    pub jwks_file: Option<PathBuf>,
    /// ...or fetched from this URL at start.
    pub jwks_url: Option<String>,
    /// The claim listing the caller's groups (its principals).
    pub groups_claim: String,
    /// Groups whose members get the admin role.
    pub admin_groups: Vec<String>,
    /// Groups whose members get the ingest role (others: query).
    pub ingest_groups: Vec<String>,
    /// Leeway for `exp`/`nbf`, in seconds (clock skew).
    pub leeway_secs: u64,
}

impl OidcConfig {
    /// `groups` by default, as Keycloak and most providers name it.
    pub fn groups_claim(&self) -> &str {
        if self.groups_claim.is_empty() {
            "groups"
        } else {
            &self.groups_claim
        }
    }
}

/// The audit log: one JSON line per request that reads documents.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Default `<data.dir>/audit`.
    pub dir: Option<PathBuf>,
    /// A file is rotated when it reaches this size.
    pub max_bytes: u64,
    /// Rotated files kept.
    pub keep: usize,
    /// Extra patterns (regex) masked in logged questions, by name.
    pub mask: BTreeMap<String, String>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            dir: None,
            max_bytes: 64 << 20,
            keep: 10,
            mask: BTreeMap::new(),
        }
    }
}
