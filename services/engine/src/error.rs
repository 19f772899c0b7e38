use std::path::PathBuf;

/// Engine failures. [`EngineError::is_user_error`] separates what the caller
/// can fix (bad request, missing models) from internal failures.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A collection name outside 1-64 letters, digits, `-` or `_`.
    #[error("invalid collection name `{0}`: use 1-64 letters, digits, `-` or `_`")]
    InvalidCollectionName(String),
    /// A search filter that is not `KEY=VALUE`.
    #[error("filter `{0}` is not KEY=VALUE")]
    InvalidFilter(String),
    /// The query has no text.
    #[error("the query is empty")]
    EmptyQuery,
    /// The query is longer than the engine accepts.
    #[error("the query is {bytes} bytes; the limit is {limit}")]
    QueryTooLong { bytes: usize, limit: usize },
    /// `k` (results wanted) outside `1..=max`.
    #[error("k must be 1..={max}")]
    KOutOfRange { max: usize },
    /// No `[[sources]]` entry has this name.
    #[error("no source `{name}` in [[sources]] (configured: {configured})")]
    NoSuchSource { name: String, configured: String },
    /// A source's feed or folder could not be read; nothing was changed.
    #[error("{0}")]
    SourceFailed(String),
    /// The configuration cannot do what was asked (an unknown connector, a
    /// bad glob, an unknown identifier kind): the operator fixes seogo.toml.
    #[error("configuration: {0}")]
    Config(String),
    /// This store cannot do it (a backup or reindex of a Qdrant cluster
    /// collection): the message says what to do instead.
    #[error("{0}")]
    Unsupported(String),
    /// The target already holds what would be written (a migration onto a
    /// collection that exists, a restore into a data directory in use).
    #[error("{0}")]
    Conflict(String),
    /// An input file given to a command (a backup archive, an evaluation
    /// set, a benchmark corpus) is not what it should be.
    #[error("{0}")]
    BadInput(String),
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
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
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

impl From<seogo_durable::DurableError> for EngineError {
    fn from(e: seogo_durable::DurableError) -> Self {
        EngineError::Io {
            path: e.path,
            cause: e.cause,
        }
    }
}

impl EngineError {
    /// An I/O failure on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EngineError::Io {
            path: path.into(),
            cause: source,
        }
    }

    /// Whether the caller caused (and can fix) this error.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            EngineError::InvalidCollectionName(_)
                | EngineError::InvalidFilter(_)
                | EngineError::EmptyQuery
                | EngineError::QueryTooLong { .. }
                | EngineError::KOutOfRange { .. }
                | EngineError::NoSuchSource { .. }
                | EngineError::Unsupported(_)
                | EngineError::Conflict(_)
                | EngineError::BadInput(_)
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
