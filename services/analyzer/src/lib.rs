//! Text analysis for Seogo's lexical index, usable on its own through
//! tantivy's tokenizer API.
//!
//! Korean glues particles and endings to words (삼성전자의, 점검하였다) and
//! domain users search for identifiers (PN-4471-A, 제3조제2항) that generic
//! analyzers mangle. Three analyzers cover that, each a tantivy
//! [`Tokenizer`](tantivy_tokenizer_api::Tokenizer):
//!
//! - [`bigram`]: Hangul runs as character bigrams (Elasticsearch's `cjk`
//!   approach), Latin/digit runs kept whole and split into parts;
//! - [`morph`]: morphemes from a MeCab-ko dictionary ([`mecab`]), content
//!   morphemes only, compounds also split into their parts;
//! - [`identifiers`]: typed patterns (part numbers, statute articles, dates,
//!   amounts…) cut into exact-match terms.
//!
//! All of them see the same [`normalize`]d text: NFKC (full-width →
//! half-width) and lowercase.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

pub mod bigram;
pub mod identifiers;
pub mod mecab;
pub mod morph;
pub mod normalize;
mod stream;
pub mod synonyms;
pub mod whitespace;

pub use stream::VecTokenStream;

/// Why analysis resources could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{path}: not a MeCab dictionary file: {reason}")]
    BadDictionary { path: String, reason: String },
    #[error("{path}: line {line}: {reason}")]
    BadRule {
        path: String,
        line: usize,
        reason: String,
    },
}

impl AnalysisError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            cause: source,
        }
    }
}
