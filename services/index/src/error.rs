use std::path::PathBuf;

/// Index failures. User errors (bad queries) are the engine's to report;
/// these are storage and consistency problems.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// A directory of the index could not be created or read.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// tantivy reported an error.
    #[error("lexical index: {0}")]
    Lexical(String),
    /// Another process holds the lexical index's writer.
    #[error("lexical index: another process is writing it")]
    LockBusy,
    /// The vector store (Qdrant) reported an error.
    #[error("vector store: {0}")]
    Vector(String),
    /// Analysis resources (dictionary, synonym file) are missing or broken.
    #[error("analysis: {0}")]
    Analysis(String),
    /// A stored chunk could not be (de)serialised.
    #[error("stored chunk: {0}")]
    Json(serde_json::Error),
}

/// The cause is in the message, so it is not a `#[from]` source too (which
/// would print it twice under `{:#}`).
impl From<serde_json::Error> for IndexError {
    fn from(e: serde_json::Error) -> Self {
        IndexError::Json(e)
    }
}

impl IndexError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IndexError::Io {
            path: path.into(),
            cause: source,
        }
    }
}

impl From<tantivy::TantivyError> for IndexError {
    fn from(e: tantivy::TantivyError) -> Self {
        IndexError::Lexical(e.to_string())
    }
}
