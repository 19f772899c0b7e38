//! A collection: one lexical index, one vector store and the manifest that
//! says which documents (at which content hash) both hold.
//!
//! Layout under `DATA/collections/NAME/`: `lexical/` (tantivy), `vectors/`
//! (qdrant-edge), `manifest.json`, `collection.json` (the embedder
//! fingerprint the vectors were made with).
//!
//! Crash safety rests on one ordering: a document's chunks are replaced in
//! both indexes (delete-by-doc-id, then add), both are made durable, and only
//! then does the manifest record its new hash. A crash before the manifest
//! write leaves the old hash there, so the next run redoes the document, and
//! the delete-by-doc-id step sweeps whatever half-written state was left.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use seogo_index::{
    AnalyzerKind, EdgeVectorStore, LexicalIndex, LexicalResources, QdrantVectorStore, VectorStore,
};
use seogo_models::EmbedderFingerprint;
use serde::{Deserialize, Serialize};

use crate::config::VectorsConfig;
use crate::EngineError;

/// What the manifest knows of one document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DocEntry {
    pub content_hash: String,
    /// The file it was read from (canonical path).
    pub source: String,
    pub title: String,
    pub chunks: u32,
    /// XBRL facts read from the document (finance connector).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<seogo_docs::Fact>,
    /// Groups that may read it (`public` for everyone). Absent in
    /// manifests written before it was recorded: the index decides then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<Vec<String>>,
    /// The domain connector that read it. Absent in manifests written
    /// before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<seogo_docs::Domain>,
}

/// doc id → entry, persisted atomically.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub docs: BTreeMap<String, DocEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CollectionMeta {
    embedder: EmbedderFingerprint,
    /// Collections from before the analyzer choice were built with bigrams.
    #[serde(default = "legacy_analyzer")]
    analyzer: AnalyzerKind,
}

fn legacy_analyzer() -> AnalyzerKind {
    AnalyzerKind::Bigram
}

/// An open collection.
#[derive(Debug)]
pub struct Collection {
    pub name: String,
    dir: PathBuf,
    pub lexical: LexicalIndex,
    pub vectors: Box<dyn VectorStore>,
    pub manifest: Manifest,
    /// The embedder the vectors were made with.
    pub embedder: EmbedderFingerprint,
}

/// The vector store `config` names for collection `name` in `dir`.
pub fn open_vectors(
    config: &VectorsConfig,
    name: &str,
    dir: &Path,
    dimension: usize,
) -> Result<Box<dyn VectorStore>, EngineError> {
    Ok(match config {
        VectorsConfig::Embedded => {
            Box::new(EdgeVectorStore::open(&dir.join("vectors"), dimension)?)
        }
        VectorsConfig::Qdrant(remote) => {
            Box::new(QdrantVectorStore::open(remote, name, dimension)?)
        }
    })
}

/// The vector dimension collection `name` in `dir` was created for.
pub fn stored_dimension(name: &str, dir: &Path) -> Result<usize, EngineError> {
    read_meta(dir)?
        .map(|meta| meta.embedder.dimension)
        .ok_or_else(|| EngineError::NoSuchCollection(name.to_string()))
}

/// `collection.json` of the collection in `dir`, `None` when it has none.
fn read_meta(dir: &Path) -> Result<Option<CollectionMeta>, EngineError> {
    let path = dir.join("collection.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| EngineError::Corrupt(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EngineError::io(&path, e)),
    }
}

/// Collection names become directory names: keep them tame.
pub fn validate_name(name: &str) -> Result<(), EngineError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(EngineError::BadRequest(format!(
            "invalid collection name `{name}`: use 1-64 letters, digits, `-` or `_`"
        )))
    }
}

impl Collection {
    /// Documents per domain, for the collection listing.
    pub fn domain_counts(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for entry in self.manifest.docs.values() {
            let domain = entry.domain.map_or("unrecorded", |d| d.as_str());
            *counts.entry(domain.to_string()).or_insert(0) += 1;
        }
        counts
    }

    /// The directory of collection `name` under `data_dir`.
    pub fn dir_of(data_dir: &Path, name: &str) -> PathBuf {
        data_dir.join("collections").join(name)
    }

    /// Opens the collection at `dir`; with `create_for`, creates it for
    /// that embedder's vectors and that analyzer when it does not exist yet.
    pub fn open(
        name: &str,
        dir: &Path,
        create_for: Option<(&EmbedderFingerprint, AnalyzerKind)>,
        lexical_resources: Arc<LexicalResources>,
        vectors: &VectorsConfig,
    ) -> Result<Self, EngineError> {
        let meta = match read_meta(dir)? {
            Some(meta) => meta,
            None => {
                let Some((embedder, analyzer)) = create_for else {
                    return Err(EngineError::NoSuchCollection(name.to_string()));
                };
                std::fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
                let meta = CollectionMeta {
                    embedder: embedder.clone(),
                    analyzer,
                };
                write_json_atomic(&dir.join("collection.json"), &meta)?;
                meta
            }
        };
        let embedder = meta.embedder;
        let lexical = LexicalIndex::open(&dir.join("lexical"), meta.analyzer, lexical_resources)?;
        let vectors = open_vectors(vectors, name, dir, embedder.dimension)?;
        let manifest = match std::fs::read(dir.join("manifest.json")) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                EngineError::Corrupt(format!("{}/manifest.json: {e}", dir.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest::default(),
            Err(e) => return Err(EngineError::io(dir.join("manifest.json"), e)),
        };
        Ok(Self {
            name: name.to_string(),
            dir: dir.to_path_buf(),
            lexical,
            vectors,
            manifest,
            embedder,
        })
    }

    /// Refuses to mix vectors of another embedder into (or query with them
    /// against) this collection.
    pub fn check_embedder(&self, configured: &EmbedderFingerprint) -> Result<(), EngineError> {
        if &self.embedder == configured {
            Ok(())
        } else {
            Err(EngineError::EmbedderMismatch {
                collection: self.name.clone(),
                indexed: format!("{} rev {}", self.embedder.model, self.embedder.revision),
                configured: format!("{} rev {}", configured.model, configured.revision),
            })
        }
    }

    /// Makes both indexes durable, then records the manifest: the commit
    /// point of an ingest batch or a delete.
    pub fn commit(&mut self) -> Result<(), EngineError> {
        self.lexical.commit()?;
        self.vectors.flush()?;
        write_json_atomic(&self.dir.join("manifest.json"), &self.manifest)
    }

    /// Removes `doc_id` from both indexes and the manifest (durable on
    /// [`commit`](Self::commit)). Returns whether it was known.
    pub fn delete_document(&mut self, doc_id: &str) -> Result<bool, EngineError> {
        self.lexical.delete_document(doc_id)?;
        self.vectors.delete_document(doc_id)?;
        Ok(self.manifest.docs.remove(doc_id).is_some())
    }

    /// The chunk ids of every store (reads them all: for checks, not hot paths).
    pub fn inventory(&self) -> Result<Inventory, EngineError> {
        let mut manifest: Vec<String> = self
            .manifest
            .docs
            .iter()
            .flat_map(|(id, e)| (0..e.chunks).map(move |i| seogo_docs::Chunk::make_id(id, i)))
            .collect();
        manifest.sort();
        Ok(Inventory {
            manifest,
            lexical: self.lexical.chunk_ids()?,
            vectors: self.vectors.chunk_ids()?,
        })
    }

    /// Chunks in the manifest, the lexical index and the vector store; equal
    /// when the collection is consistent.
    pub fn counts(&self) -> Result<ChunkCounts, EngineError> {
        Ok(ChunkCounts {
            documents: self.manifest.docs.len() as u64,
            manifest_chunks: self
                .manifest
                .docs
                .values()
                .map(|d| u64::from(d.chunks))
                .sum(),
            lexical_chunks: self.lexical.num_chunks(),
            vector_chunks: self.vectors.count()?,
        })
    }
}

/// Every chunk id each store holds, sorted: equal when consistent.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Inventory {
    pub manifest: Vec<String>,
    pub lexical: Vec<String>,
    pub vectors: Vec<String>,
}

impl Inventory {
    /// No orphan, missing or duplicate chunk in either index.
    pub fn is_consistent(&self) -> bool {
        self.manifest == self.lexical && self.lexical == self.vectors
    }
}

/// Sizes of a collection, per store.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct ChunkCounts {
    pub documents: u64,
    pub manifest_chunks: u64,
    pub lexical_chunks: u64,
    pub vector_chunks: u64,
}

/// Writes `value` as JSON to a temporary file, fsyncs, renames over `path`:
/// a reader (or a crash) sees the old or the new file, never half of one.
pub(crate) fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), EngineError> {
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec(value).map_err(|e| EngineError::Corrupt(e.to_string()))?;
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|e| EngineError::io(path, e))
}
