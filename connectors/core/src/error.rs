use std::path::PathBuf;

/// Why a source could not become documents. Every variant names the file, so
/// a batch can report it on one line and go on with the rest.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The file could not be read (missing, permissions, a directory error).
    /// (The cause is in the message and not a `source`, so `anyhow` does
    /// not print it twice.)
    #[error("{path}: cannot read: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The file has no text to index.
    #[error("{path}: no text to index")]
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
    /// The bytes are not a well-formed file of the format they claim.
    #[error("{path}: damaged {format}: {reason}")]
    Malformed {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },
    /// Password-protected, encrypted or distribution-protected content.
    #[error("{path}: {format} is encrypted or protected, cannot read it: {reason}")]
    Encrypted {
        path: PathBuf,
        format: &'static str,
        reason: String,
    },
    /// A parsing limit (`[parse]` in seogo.toml) was reached.
    #[error("{path}: refused: {reason}")]
    LimitExceeded { path: PathBuf, reason: String },
    /// Parsing took longer than `parse.max_seconds`.
    #[error("{path}: parsing took longer than the {seconds}-second limit (parse.max_seconds)")]
    Timeout { path: PathBuf, seconds: u64 },
}

impl DocError {
    pub(crate) fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        DocError::Io {
            path: path.into(),
            cause,
        }
    }
}
