use std::path::PathBuf;

/// Engine failures. [`EngineError::is_user_error`] separates what the caller
/// can fix (bad request, missing models) from internal failures.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The request is malformed (bad collection name, unknown filter key…).
    #[error("{0}")]
    BadRequest(String),
    /// The collection does not exist.
    #[error("collection `{0}` does not exist; ingest into it first")]
    NoSuchCollection(String),
    /// The collection was built with a different embedder.
    #[error("collection `{collection}` was indexed with {indexed}, but {configured} is configured: {}", mismatch_remedy(collection, *on_cluster))]
    EmbedderMismatch {
        collection: String,
        indexed: String,
        configured: String,
        /// What to run differs on a cluster.
        on_cluster: bool,
    },
    /// A file of the data directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The collection is busy with a change that excludes this one (a
    /// reindex); the caller retries later.
    #[error("{0}")]
    Busy(String),
    /// The data directory's disk is below `data.min_free_mb`.
    #[error("{path}: {free_mb} MB free, under data.min_free_mb = {min_mb}: the write was refused before it began, nothing changed; free space (or lower the setting) and run it again")]
    DiskFull {
        path: PathBuf,
        free_mb: u64,
        min_mb: u64,
    },
    /// On-disk state is unreadable.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A document could not be read.
    #[error(transparent)]
    Document(#[from] seogo_docs::DocError),
    /// An index failed.
    #[error(transparent)]
    Index(#[from] seogo_index::IndexError),
    /// A model failed to load or run.
    #[error(transparent)]
    Model(#[from] seogo_models::ModelError),
}

impl EngineError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EngineError::Io {
            path: path.into(),
            source,
        }
    }

    /// Whether the caller caused (and can fix) this error.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            EngineError::BadRequest(_)
                | EngineError::NoSuchCollection(_)
                | EngineError::EmbedderMismatch { .. }
                | EngineError::Busy(_)
                | EngineError::Document(_)
        ) || matches!(
            self,
            EngineError::Model(seogo_models::ModelError::NotInstalled { .. })
        )
    }
}

/// What to run when a collection's embedder is not the configured one.
fn mismatch_remedy(collection: &str, on_cluster: bool) -> String {
    if on_cluster {
        format!(
            "every node of a cluster needs the collection's embedder; to change it, \
             `seogo migrate --from` the collection to one node's data directory, \
             `seogo reindex --collection {collection}` it there and migrate it back"
        )
    } else {
        format!(
            "run `seogo reindex --collection {collection}` to re-embed it with the configured \
             one (it keeps serving BM25 meanwhile), or configure the original embedder"
        )
    }
}
