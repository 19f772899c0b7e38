//! Documents and collections as the API manages them: listed, read and
//! counted through the caller's ACL (a document the caller may not read is
//! not there), created and deleted.

use seogo_docs::Chunk;
use seogo_index::ChunkIdentifiers;
use serde::Serialize;

use std::path::Path;

use crate::collection::{validate_name, DocEntry};
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
#[derive(Debug, Clone)]
pub struct DocumentView {
    pub summary: DocumentSummary,
    pub chunks: Vec<IndexedChunk>,
}

/// The summary's fields beside `chunks`, the readable chunks themselves
/// (the summary's count of all chunks would be a second `chunks` key).
impl Serialize for DocumentView {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            id: &'a str,
            title: &'a str,
            source: &'a str,
            acl: &'a [String],
            #[serde(skip_serializing_if = "Option::is_none")]
            domain: Option<seogo_docs::Domain>,
            chunks: &'a [IndexedChunk],
        }
        let s = &self.summary;
        View {
            id: &s.id,
            title: &s.title,
            source: &s.source,
            acl: &s.acl,
            domain: s.domain,
            chunks: &self.chunks,
        }
        .serialize(serializer)
    }
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
    /// Only documents read by this domain connector.
    pub domain: Option<seogo_docs::Domain>,
    /// Only documents this ACL group may read (the caller's view still
    /// applies: a group it does not hold finds nothing more).
    pub group: Option<String>,
    /// Only files of this extension (`pdf`, `md`; case-insensitive).
    pub format: Option<String>,
    /// Only documents read from this configured `[[sources]]` entry's folder.
    pub source: Option<String>,
    pub offset: usize,
    pub limit: usize,
}

impl DocumentQuery {
    /// Whether `entry` passes the filters other than the caller's view.
    /// `source_dir` is the named source's folder, resolved once.
    fn admits(&self, entry: &DocEntry, source_dir: Option<&Path>) -> bool {
        let needle = self.contains.to_lowercase();
        let contains = needle.is_empty()
            || entry.title.to_lowercase().contains(&needle)
            || entry.source.to_lowercase().contains(&needle);
        let domain = self
            .domain
            .is_none_or(|d| entry.domain.unwrap_or_default() == d);
        let format = self.format.as_deref().is_none_or(|f| {
            Path::new(&entry.source).extension().is_some_and(|e| {
                e.to_string_lossy()
                    .eq_ignore_ascii_case(f.trim_start_matches('.'))
            })
        });
        let source = source_dir.is_none_or(|dir| Path::new(&entry.source).starts_with(dir));
        contains && domain && format && source
    }
}

impl Engine {
    /// The documents of `scope.collection` its principals may read, by id.
    pub fn documents(
        &self,
        scope: &Scope,
        query: &DocumentQuery,
    ) -> Result<DocumentPage, EngineError> {
        let filter = scope.filter()?;
        let source_dir = match &query.source {
            Some(name) => {
                let path = &self.source(name)?.path;
                Some(std::fs::canonicalize(path).unwrap_or_else(|_| path.clone()))
            }
            None => None,
        };
        self.read_fresh(&scope.collection, |col| {
            let mut readable = Vec::new();
            for (id, entry) in &col.manifest.docs {
                if !query.admits(entry, source_dir.as_deref()) {
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
                if query.group.as_ref().is_some_and(|g| !acl.contains(g)) {
                    continue;
                }
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
            let deleted = self.retire_collection(name, || {
                Ok(seogo_index::ClusterStore::delete(remote, name)?)
            })?;
            self.forget_failures(name)?;
            return Ok(deleted);
        }
        let deleted = self.retire_collection(name, || {
            if !dir.join("collection.json").exists() {
                return Ok(false);
            }
            std::fs::remove_dir_all(&dir).at(&dir)?;
            Ok(true)
        })?;
        self.forget_failures(name)?;
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_view_has_one_chunks_key_the_readable_chunks() {
        let view = DocumentView {
            summary: DocumentSummary {
                id: "doc".into(),
                title: "점검표".into(),
                source: "/srv/doc.md".into(),
                chunks: 3,
                acl: vec!["public".into()],
                domain: Some(seogo_docs::Domain::Manufacturing),
            },
            chunks: Vec::new(),
        };
        let text = serde_json::to_string(&view).expect("json");
        assert_eq!(text.matches("\"chunks\"").count(), 1, "{text}");
        assert!(text.contains("\"chunks\":[]"), "{text}");
        assert!(text.contains("\"domain\":\"manufacturing\""), "{text}");
    }
}
