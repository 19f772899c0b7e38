//! The gRPC client, its settings and its retries.

use std::future::Future;
use std::time::Duration;

use qdrant_client::{Qdrant, QdrantError};
use serde::{Deserialize, Serialize};

use crate::IndexError;

/// `[vectors]` with `backend = "qdrant"`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QdrantConfig {
    /// The gRPC endpoint, e.g. `http://qdrant:6334` (or https).
    pub url: String,
    /// The environment variable holding the API key (unset: none sent).
    pub api_key_env: String,
    /// Seogo collection `C` is Qdrant collection `prefix + C`.
    pub collection_prefix: String,
    /// Shards of a new collection (spread across the cluster's nodes).
    pub shards: u32,
    /// Copies of each shard.
    pub replication_factor: u32,
    /// Replicas that must acknowledge a write before it returns.
    pub write_consistency_factor: u32,
    /// Points per upsert request.
    pub upsert_batch: usize,
    /// Further attempts after a failed call.
    pub retries: u32,
    /// A call is abandoned after this.
    pub timeout_secs: u64,
    /// HNSW candidates examined per search (recall against latency).
    pub hnsw_ef: u64,
    /// A write claim older than this is taken over by another node (its
    /// writer is presumed dead); a live writer renews its claims with each
    /// batch, so this bounds one batch, not a whole ingest.
    pub claim_secs: u64,
    /// Where hybrid search fuses the two lists: `seogo` (both lists fetched
    /// at once, fused with `[retrieval]`'s weighted RRF, each result's rank
    /// in each list kept) or `qdrant` (one Query API call, prefetch dense +
    /// sparse, Qdrant's weighted RRF, whose weights scale the rank and not
    /// the constant). Measured in docs/SCALING.md.
    pub fusion: ClusterFusion,
}

/// See [`QdrantConfig::fusion`].
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterFusion {
    #[default]
    Seogo,
    Qdrant,
}

impl Default for QdrantConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:6334".into(),
            api_key_env: "SEOGO_QDRANT_API_KEY".into(),
            collection_prefix: "seogo_".into(),
            shards: 1,
            replication_factor: 1,
            write_consistency_factor: 1,
            upsert_batch: 256,
            retries: 3,
            timeout_secs: 30,
            hnsw_ef: crate::DEFAULT_HNSW_EF as u64,
            claim_secs: 600,
            fusion: ClusterFusion::Seogo,
        }
    }
}

/// A connection with its own runtime.
pub(super) struct Client {
    qdrant: Qdrant,
    runtime: Option<tokio::runtime::Runtime>,
    pub(super) config: QdrantConfig,
}

impl Drop for Client {
    fn drop(&mut self) {
        // Dropping a runtime inside another one panics; this never blocks.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

pub(super) fn remote_error(e: QdrantError) -> IndexError {
    IndexError::Vector(format!("Qdrant: {e}"))
}

impl Client {
    pub(super) fn connect(config: &QdrantConfig) -> Result<Self, IndexError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("seogo-qdrant")
            .enable_all()
            .build()
            .map_err(|e| IndexError::Vector(format!("starting the Qdrant client: {e}")))?;
        let api_key = std::env::var(&config.api_key_env).ok();
        // qdrant-client's own check warns whenever its minor version (1.20)
        // differs from the server's, tested pairing or not: it is replaced
        // by `check_version`, which warns only off the tested pairing.
        let qdrant = Qdrant::from_url(&config.url)
            .api_key(api_key)
            .timeout(Duration::from_secs(config.timeout_secs))
            .skip_compatibility_check()
            .build()
            .map_err(remote_error)?;
        Ok(Self {
            qdrant,
            runtime: Some(runtime),
            config: config.clone(),
        })
    }

    /// Warns (once per process and server version) when the server is not
    /// the version this client is tested against: v1.18 (the compose
    /// files pin v1.18.3; tests/e2e/cluster.rs runs against it).
    pub(super) fn check_version(&self) {
        use std::collections::HashSet;
        use std::sync::Mutex;
        static WARNED: Mutex<Option<HashSet<String>>> = Mutex::new(None);
        let Ok(reply) = self.call(|c| async move { c.health_check().await }) else {
            return;
        };
        if is_tested_server(&reply.version) {
            return;
        }
        let mut warned = WARNED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if warned
            .get_or_insert_with(HashSet::new)
            .insert(reply.version.clone())
        {
            tracing::warn!(
                server = %reply.version,
                url = %self.config.url,
                "Qdrant server version not tested with this Seogo (qdrant-client 1.20 against v1.18.3)"
            );
        }
    }

    /// Runs `make(client)` on the runtime and waits for it, trying again
    /// with backoff when it fails in a way that may pass.
    pub(super) fn call<T, F, Fut>(&self, make: F) -> Result<T, IndexError>
    where
        T: Send + 'static,
        F: Fn(Qdrant) -> Fut,
        Fut: Future<Output = Result<T, QdrantError>> + Send + 'static,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| IndexError::Vector("the Qdrant client is closed".into()))?;
        let mut attempt = 0;
        loop {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let future = make(self.qdrant.clone());
            runtime.spawn(async move {
                let _ = tx.send(future.await);
            });
            let result = rx
                .recv()
                .map_err(|_| IndexError::Vector("the Qdrant client stopped".into()))?;
            match result {
                Ok(value) => return Ok(value),
                Err(e) if attempt < self.config.retries && retryable(&e) => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(200 << attempt.min(6)));
                }
                Err(e) => return Err(remote_error(e)),
            }
        }
    }
}

/// Whether `version` is the server line Seogo's client is tested with.
fn is_tested_server(version: &str) -> bool {
    version.starts_with("1.18.")
}

/// Whether a failure may pass on its own (a node restarting, a timeout,
/// back-pressure), as opposed to a request the server will always refuse.
fn retryable(e: &QdrantError) -> bool {
    use tonic::Code;
    match e {
        QdrantError::ResponseError { status } => matches!(
            status.code(),
            Code::Unavailable
                | Code::DeadlineExceeded
                | Code::Aborted
                | Code::Internal
                | Code::Unknown
                | Code::ResourceExhausted
        ),
        QdrantError::ResourceExhaustedError { .. } | QdrantError::Io(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_tested_server_line_goes_unremarked() {
        assert!(is_tested_server("1.18.3"));
        assert!(!is_tested_server("1.16.3"));
        assert!(!is_tested_server("1.19.0"));
    }

    #[test]
    fn transient_failures_are_retried_and_refusals_are_not() {
        let status = |code| QdrantError::ResponseError {
            status: tonic::Status::new(code, "x"),
        };
        assert!(retryable(&status(tonic::Code::Unavailable)));
        assert!(retryable(&status(tonic::Code::DeadlineExceeded)));
        assert!(!retryable(&status(tonic::Code::InvalidArgument)));
        assert!(!retryable(&status(tonic::Code::NotFound)));
        assert!(!retryable(&QdrantError::ConversionError("x".into())));
    }
}
