//! Documents and collections as the API manages them: listed, read and
//! counted through the caller's ACL (a document the caller may not read is
//! not there), created and deleted.

use seogo_docs::Chunk;
use seogo_index::ChunkIdentifiers;
use serde::Serialize;

use crate::collection::validate_name;
use crate::retrieve::Scope;
use crate::{Collection, Engine, EngineError};
use seogo_durable::PathContext;

/// One document in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentSummary {
    pub id: String,
    pub title: String,
    /// The file it was read from.
    pub source: String,
    pub chunks: u32,
    /// Groups that may read it (`public` for everyone).
    pub acl: Vec<String>,
    /// The domain connector that read it (absent for documents indexed
    /// before it was recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<seogo_docs::Domain>,
}

/// A page of a listing.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentPage {
    /// Readable documents matching the filter, on every page.
    pub total: usize,
    pub documents: Vec<DocumentSummary>,
}

/// A document with its chunks (the text the caller may read), each as
/// the indexes hold it.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    #[serde(flatten)]
    pub summary: DocumentSummary,
    pub chunks: Vec<IndexedChunk>,
}

/// A chunk and what the indexes made of it: why it is, or is not, found.
#[derive(Debug, Clone, Serialize)]
pub struct IndexedChunk {
    #[serde(flatten)]
    pub chunk: Chunk,
    /// The text BM25 analyses: title, heading path and text.
    pub bm25_text: String,
    /// The text the embedder reads (its passage prefix added).
    pub embedded_text: String,
    /// The identifier terms the index keeps for it.
    pub identifiers: ChunkIdentifiers,
}

/// Which documents to list.
#[derive(Debug, Clone, Default)]
pub struct DocumentQuery {
    /// Substring of the title or source (case-insensitive); empty = all.
    pub contains: String,
    pub offset: usize,
    pub limit: usize,
}

impl Engine {
    /// The documents of `scope.collection` its principals may read, by id.
    pub fn documents(
        &self,
        scope: &Scope,
        query: &DocumentQuery,
    ) -> Result<DocumentPage, EngineError> {
        let filter = scope.filter()?;
        self.read_fresh(&scope.collection, |col| {
            let needle = query.contains.to_lowercase();
            let mut readable = Vec::new();
            for (id, entry) in &col.manifest.docs {
                if !needle.is_empty()
                    && !entry.title.to_lowercase().contains(&needle)
                    && !entry.source.to_lowercase().contains(&needle)
                {
                    continue;
                }
                let acl = match &entry.acl {
                    Some(acl) if acl.iter().any(|g| filter.principals.contains(g)) => acl.clone(),
                    Some(_) => continue,
                    // Recorded before ACLs were kept in the manifest: the
                    // index's chunks carry them.
                    None => match col.lexical.document_chunks(id, &filter)?.first() {
                        Some(chunk) => chunk.acl.clone(),
                        None => continue,
                    },
                };
                readable.push(DocumentSummary {
                    id: id.clone(),
                    title: entry.title.clone(),
                    source: entry.source.clone(),
                    chunks: entry.chunks,
                    acl,
                    domain: entry.domain,
                });
            }
            let total = readable.len();
            let documents = readable
                .into_iter()
                .skip(query.offset)
                .take(query.limit.max(1))
                .collect();
            Ok(DocumentPage { total, documents })
        })
    }

    /// `doc_id` with the chunks `scope`'s principals may read; `None` when
    /// there is no such document or none of it is readable (the same
    /// answer, so ids cannot be probed).
    pub fn document(
        &self,
        scope: &Scope,
        doc_id: &str,
    ) -> Result<Option<DocumentView>, EngineError> {
        let filter = scope.filter()?;
        self.read_fresh(&scope.collection, |col| {
            let Some(entry) = col.manifest.docs.get(doc_id) else {
                return Ok(None);
            };
            let chunks = col.lexical.document_chunks(doc_id, &filter)?;
            let Some(first) = chunks.first() else {
                return Ok(None);
            };
            let passage_prefix = &col.embedder.passage_prefix;
            Ok(Some(DocumentView {
                summary: DocumentSummary {
                    id: doc_id.to_string(),
                    title: entry.title.clone(),
                    source: entry.source.clone(),
                    chunks: entry.chunks,
                    acl: entry.acl.clone().unwrap_or_else(|| first.acl.clone()),
                    domain: entry.domain.or(Some(first.domain)),
                },
                chunks: chunks
                    .iter()
                    .map(|chunk| {
                        let bm25_text = chunk.indexed_text();
                        IndexedChunk {
                            embedded_text: format!("{passage_prefix}{bm25_text}"),
                            identifiers: col.lexical.identifiers_of(chunk),
                            bm25_text,
                            chunk: chunk.clone(),
                        }
                    })
                    .collect(),
            }))
        })
    }

    /// Creates an empty collection (for the configured embedder and
    /// analyzer); false when it already exists.
    pub fn create_collection(&self, name: &str) -> Result<bool, EngineError> {
        validate_name(name)?;
        let exists = self.collection_names()?.iter().any(|n| n == name);
        self.collection(name, true)?;
        Ok(!exists)
    }

    /// Deletes a collection and everything in it; false when there was none.
    pub fn delete_collection(&self, name: &str) -> Result<bool, EngineError> {
        validate_name(name)?;
        self.ensure_not_reindexing(name)?;
        let dir = Collection::dir_of(&self.config().data.dir, name);
        // Closed first: later requests reopen from disk and find nothing.
        if let crate::VectorsConfig::Qdrant(remote) = &self.config().vectors {
            return self.retire_collection(name, || {
                Ok(seogo_index::ClusterStore::delete(remote, name)?)
            });
        }
        self.retire_collection(name, || {
            if !dir.join("collection.json").exists() {
                return Ok(false);
            }
            std::fs::remove_dir_all(&dir).at(&dir)?;
            Ok(true)
        })
    }
}
