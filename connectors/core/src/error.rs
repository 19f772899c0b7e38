use std::path::PathBuf;

/// Why a source could not become documents. Every variant names the file, so
/// a batch can report it on one line and go on with the rest.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The file could not be read (missing, permissions, a directory error).
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file has no text to index.
    #[error("{path}: empty file, nothing to index")]
    Empty { path: PathBuf },
    /// A text format whose bytes are not UTF-8.
    #[error("{path}: invalid UTF-8 at byte {offset}")]
    InvalidUtf8 { path: PathBuf, offset: usize },
    /// A line of a JSON Lines corpus is not the expected object.
    #[error("{path}: line {line}: {reason}")]
    BadRecord {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// The file is larger than the configured limit.
    #[error("{path}: {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// A format this build cannot read (yet).
    #[error("{path}: unsupported format: {reason}")]
    Unsupported { path: PathBuf, reason: String },
}

impl DocError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DocError::Io {
            path: path.into(),
            source,
        }
    }
}
