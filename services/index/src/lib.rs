//! Seogo's indexes: the tantivy lexical index with its Korean analyzers, the
//! vector store (embedded Qdrant, or a Qdrant cluster), and the fusion of their rankings.
//!
//! Both engines apply the caller's ACL and metadata filters inside the query
//! ([`SearchFilter`]), so a chunk the caller may not read is never a
//! candidate, not merely hidden afterwards.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

mod cluster;
mod error;
pub mod fusion;
mod lexical;
mod vector;

pub use cluster::{ClusterFusion, ClusterStore, DocRecord, QdrantConfig, WriteClaim};
pub use error::IndexError;
pub use fusion::{fuse, FusedHit, FusionMethod};
pub use lexical::{
    filter_terms, parse_query, AnalyzerKind, AverageLengths, ChunkIdentifiers, ContentTerms,
    IdentifierRules, LexicalIndex, LexicalResources, LexicalWeights, ParsedQuery, Snippet,
    SnippetTerms, SynonymSource,
};
pub use vector::{ClosedVectorStore, EdgeVectorStore, ExportSink, VectorStore, DEFAULT_HNSW_EF};

use seogo_types::Chunk;
use sha2::{Digest, Sha256};

/// A chunk as one store holds it: its id and a digest of its stored content.
/// Comparing these across the lexical index and the vector store shows not
/// only orphans but a chunk held at two versions (one store rewritten, the
/// other not), which ids alone cannot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct StoredChunk {
    pub id: String,
    /// First 8 bytes of the SHA-256 of the chunk's JSON, in hex.
    pub digest: String,
}

impl StoredChunk {
    pub fn of(chunk: &Chunk) -> Result<Self, IndexError> {
        let json = serde_json::to_vec(chunk)?;
        let digest = Sha256::digest(&json);
        Ok(Self {
            id: chunk.id.clone(),
            digest: digest[..8].iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

/// One scored chunk from one engine.
#[derive(Debug, Clone)]
pub struct Hit {
    pub chunk: Chunk,
    pub score: f32,
}

/// Who is asking and what they narrowed the search to.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    /// The caller's groups; a chunk matches when its ACL shares one. Always
    /// non-empty in practice: every caller is in [`seogo_types::PUBLIC_GROUP`].
    pub principals: Vec<String>,
    /// `key=value` constraints (domain, doc_id, metadata), all required.
    pub equals: Vec<(String, String)>,
    /// Identifier terms every result must hold, in its own text or named
    /// by its document. A cluster collection filters by them inside
    /// Qdrant; locally the engine checks the dense side's hits and the
    /// BM25 query requires them itself.
    pub identifiers: Vec<String>,
}
