//! A collection: one lexical index, one vector store and the manifest that
//! says which documents (at which content hash) both hold.
//!
//! Embedded, its home is `DATA/collections/NAME/`: `lexical/` (tantivy),
//! `vectors/` (qdrant-edge), `manifest.json`, `collection.json` (the
//! embedder fingerprint the vectors were made with). On a Qdrant cluster
//! everything is in Qdrant instead ([`cluster`]): the node keeps nothing.
//!
//! Crash safety rests on a journal and one ordering. Before either index is
//! touched, the ids of the documents about to change are written to
//! `in-flight.json`; then their chunks are replaced in both indexes, both
//! are made durable, the manifest records the new hashes, and the journal is
//! removed. A process that dies in between leaves the journal behind, and
//! the next open removes every journaled document from both indexes and the
//! manifest: nothing half-written is ever served, and the next ingest or
//! sync reads those documents again because the manifest no longer has them.

use seogo_durable::crash_point;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use std::sync::Arc;

use seogo_docs::Chunk;
use seogo_index::{
    AnalyzerKind, ClusterStore, EdgeVectorStore, LexicalIndex, LexicalResources, StoredChunk,
    VectorStore,
};
use seogo_models::EmbedderFingerprint;
use serde::{Deserialize, Serialize};

use crate::config::VectorsConfig;
use crate::EngineError;
use seogo_durable::PathContext;

mod cluster;

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
pub(crate) struct CollectionMeta {
    embedder: EmbedderFingerprint,
    /// Collections from before the analyzer choice were built with bigrams.
    #[serde(default = "legacy_analyzer")]
    analyzer: AnalyzerKind,
}

fn legacy_analyzer() -> AnalyzerKind {
    AnalyzerKind::Bigram
}

/// Where a collection's files (or records) are.
#[derive(Debug)]
enum Home {
    /// Its directory on this node.
    Dir(PathBuf),
    /// Its two collections on a Qdrant cluster.
    Cluster(Arc<ClusterStore>),
}

/// An open collection.
#[derive(Debug)]
pub struct Collection {
    pub name: String,
    home: Home,
    pub lexical: LexicalIndex,
    pub vectors: Arc<dyn VectorStore>,
    pub manifest: Manifest,
    /// The embedder the vectors were made with.
    pub embedder: EmbedderFingerprint,
    /// Documents changed since the last commit, as journaled on disk.
    in_flight: BTreeSet<String>,
    /// Documents another live node is writing (a cluster; see `refresh`).
    busy_elsewhere: BTreeSet<String>,
    /// When a cluster collection's manifest was last read.
    refreshed: Option<std::time::Instant>,
    /// Replaced by a reindex: its directory is gone, so a holder of this
    /// handle fetches the collection again.
    pub(crate) retired: bool,
}

/// The journal of documents being written (see the module comment).
const JOURNAL: &str = "in-flight.json";

/// The embedded vector store of the collection in `dir`.
fn open_local_vectors(
    dir: &Path,
    dimension: usize,
    hnsw_ef: usize,
) -> Result<Arc<dyn VectorStore>, EngineError> {
    Ok(Arc::new(EdgeVectorStore::open(
        &dir.join("vectors"),
        dimension,
        hnsw_ef,
    )?))
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
        Err(EngineError::InvalidCollectionName(name.to_string()))
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

    /// Opens collection `name` where `vectors` says: embedded in `dir`,
    /// or on a Qdrant cluster. With `create_for`, creates it for that
    /// embedder's vectors and that analyzer when it does not exist yet.
    pub fn open(
        name: &str,
        dir: &Path,
        create_for: Option<(&EmbedderFingerprint, AnalyzerKind)>,
        lexical_resources: Arc<LexicalResources>,
        vectors: &VectorsConfig,
    ) -> Result<Self, EngineError> {
        let mut collection = match vectors {
            VectorsConfig::Embedded { hnsw_ef } => {
                Self::open_local(name, dir, create_for, lexical_resources, *hnsw_ef)?
            }
            VectorsConfig::Qdrant(remote) => {
                Self::open_cluster(name, remote, create_for, lexical_resources)?
            }
        };
        collection.recover_interrupted_write()?;
        Ok(collection)
    }

    fn open_local(
        name: &str,
        dir: &Path,
        create_for: Option<(&EmbedderFingerprint, AnalyzerKind)>,
        lexical_resources: Arc<LexicalResources>,
        hnsw_ef: usize,
    ) -> Result<Self, EngineError> {
        let meta = match read_meta(dir)? {
            Some(meta) => meta,
            None => {
                let Some((embedder, analyzer)) = create_for else {
                    return Err(EngineError::NoSuchCollection(name.to_string()));
                };
                std::fs::create_dir_all(dir).at(dir)?;
                let meta = CollectionMeta {
                    embedder: embedder.clone(),
                    analyzer,
                };
                seogo_durable::write_json(&dir.join("collection.json"), &meta, "collection")?;
                meta
            }
        };
        let embedder = meta.embedder;
        let lexical = LexicalIndex::open(&dir.join("lexical"), meta.analyzer, lexical_resources)?;
        let vectors = open_local_vectors(dir, embedder.dimension, hnsw_ef)?;
        let manifest = match std::fs::read(dir.join("manifest.json")) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                EngineError::Corrupt(format!("{}/manifest.json: {e}", dir.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Manifest::default(),
            Err(e) => return Err(EngineError::io(dir.join("manifest.json"), e)),
        };
        Ok(Self {
            name: name.to_string(),
            home: Home::Dir(dir.to_path_buf()),
            lexical,
            vectors,
            manifest,
            embedder,
            in_flight: BTreeSet::new(),
            busy_elsewhere: BTreeSet::new(),
            refreshed: None,
            retired: false,
        })
    }

    /// Whether the collection lives on a Qdrant cluster.
    pub fn on_cluster(&self) -> bool {
        matches!(self.home, Home::Cluster(_))
    }

    /// Bytes its files take on this node's disk; `None` on a cluster, whose
    /// records are the Qdrant nodes' to count.
    pub fn disk_bytes(&self) -> Option<u64> {
        match &self.home {
            Home::Dir(dir) => Some(tree_bytes(dir)),
            Home::Cluster(_) => None,
        }
    }

    /// Finishes off a write whose process died: every journaled document
    /// leaves both indexes and the manifest. Left alone while another live
    /// process holds the lexical writer (or, on a cluster, the claim),
    /// since the journal is then its own.
    fn recover_interrupted_write(&mut self) -> Result<(), EngineError> {
        let dir = match &self.home {
            Home::Dir(dir) => dir.clone(),
            // Its journal (a dead writer's claims) was read with the
            // records when it opened.
            Home::Cluster(_) if self.in_flight.is_empty() => return Ok(()),
            Home::Cluster(_) => return self.drop_in_flight(),
        };
        let path = dir.join(JOURNAL);
        let ids: BTreeSet<String> = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| EngineError::Corrupt(format!("{}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(EngineError::io(&path, e)),
        };
        if !self.lexical.try_claim_writer()? {
            tracing::warn!(
                collection = %self.name,
                "a write is in flight in another process; its journal is left to it"
            );
            return Ok(());
        }
        self.in_flight = ids;
        self.drop_in_flight()?;
        Ok(())
    }

    /// Removes every document in the journal from both indexes and the
    /// manifest, and commits: the state a crash is repaired to, and where a
    /// failed write (disk full) leaves the collection.
    fn drop_in_flight(&mut self) -> Result<(), EngineError> {
        let ids: Vec<String> = self.in_flight.iter().cloned().collect();
        for id in &ids {
            self.lexical.delete_document(id)?;
            self.vectors.delete_document(id)?;
            self.manifest.docs.remove(id);
        }
        self.commit()?;
        tracing::warn!(
            collection = %self.name,
            documents = ids.len(),
            "an interrupted write was undone: its documents are read again by the next ingest or sync"
        );
        Ok(())
    }

    /// Refuses a write when the collection's disk has under `min_mb` free.
    pub fn ensure_free_space(&self, min_mb: u64) -> Result<(), EngineError> {
        // A cluster's disks are Qdrant's to watch.
        let Home::Dir(dir) = &self.home else {
            return Ok(());
        };
        if min_mb == 0 {
            return Ok(());
        }
        let free_mb = fs4::available_space(dir).at(dir)? / (1 << 20);
        if free_mb < min_mb {
            return Err(EngineError::DiskFull {
                path: dir.clone(),
                free_mb,
                min_mb,
            });
        }
        Ok(())
    }

    /// Records in the journal, durably, that `doc_ids` are about to change:
    /// call before staging anything for them. Journaling a batch at once
    /// costs one fsync instead of one per document.
    pub fn begin_write<'a>(
        &mut self,
        doc_ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), EngineError> {
        let new: Vec<&str> = doc_ids
            .into_iter()
            .filter(|id| !self.in_flight.contains(*id))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        // Held in memory only once on disk: a journal that could not be
        // written staged nothing, so there is nothing of it to undo.
        let mut journal = self.in_flight.clone();
        journal.extend(new.iter().map(|id| id.to_string()));
        match &self.home {
            Home::Dir(dir) => seogo_durable::write_json(&dir.join(JOURNAL), &journal, "journal")?,
            Home::Cluster(store) => cluster::claim(store, &self.manifest, &new)?,
        }
        self.in_flight = journal;
        Ok(())
    }

    /// Stages `doc_id`'s chunks (with their vectors, same order) in both
    /// indexes and its new manifest entry; durable on [`commit`](Self::commit).
    pub fn replace_document(
        &mut self,
        doc_id: &str,
        chunks: &[Chunk],
        vectors: &[Vec<f32>],
        entry: DocEntry,
    ) -> Result<(), EngineError> {
        self.begin_write([doc_id])?;
        self.lexical.replace_document(doc_id, chunks)?;
        self.vectors.replace_document(doc_id, chunks, vectors)?;
        self.manifest.docs.insert(doc_id.to_string(), entry);
        Ok(())
    }

    /// After a write failed part-way in this process: drops what was staged
    /// and undoes the journaled documents as a crash would be. An error here
    /// leaves the journal for the next open.
    pub fn abandon_write(&mut self) -> Result<(), EngineError> {
        if self.in_flight.is_empty() {
            return Ok(());
        }
        self.lexical.rollback()?;
        self.vectors.rollback()?;
        self.drop_in_flight()
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
                on_cluster: self.on_cluster(),
            })
        }
    }

    /// Makes both indexes durable, records the manifest, then clears the
    /// journal: the commit point of an ingest batch or a delete.
    pub fn commit(&mut self) -> Result<(), EngineError> {
        crash_point("before-commit");
        self.lexical.commit()?;
        crash_point("after-lexical-commit");
        self.vectors.flush()?;
        crash_point("after-vector-flush");
        match &self.home {
            Home::Dir(dir) => {
                seogo_durable::write_json(&dir.join("manifest.json"), &self.manifest, "manifest")?;
                crash_point("after-manifest");
                if !self.in_flight.is_empty() {
                    let path = dir.join(JOURNAL);
                    std::fs::remove_file(&path).at(&path)?;
                    seogo_durable::sync_dir(dir)?;
                }
            }
            // The new entries replace the claims: that is the commit point.
            Home::Cluster(store) => cluster::record(store, &self.manifest, &self.in_flight)?,
        }
        self.in_flight.clear();
        Ok(())
    }

    /// Removes `doc_id` from both indexes and the manifest (durable on
    /// [`commit`](Self::commit)). Returns whether it was known.
    pub fn delete_document(&mut self, doc_id: &str) -> Result<bool, EngineError> {
        self.begin_write([doc_id])?;
        self.lexical.delete_document(doc_id)?;
        self.vectors.delete_document(doc_id)?;
        Ok(self.manifest.docs.remove(doc_id).is_some())
    }

    /// The chunks of every store (reads them all: for checks, not hot paths).
    pub fn inventory(&self) -> Result<Inventory, EngineError> {
        let mut manifest: Vec<String> = self
            .manifest
            .docs
            .iter()
            .flat_map(|(id, e)| (0..e.chunks).map(move |i| Chunk::make_id(id, i)))
            .collect();
        manifest.sort();
        Ok(Inventory {
            manifest,
            lexical: self.lexical.stored_chunks()?,
            vectors: self.vectors.stored_chunks()?,
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
            lexical_chunks: self.lexical.num_chunks()?,
            vector_chunks: self.vectors.count()?,
        })
    }
}

/// What each store holds, sorted by chunk id: the manifest's chunk ids, and
/// each index's chunks with a digest of their content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Inventory {
    pub manifest: Vec<String>,
    pub lexical: Vec<StoredChunk>,
    pub vectors: Vec<StoredChunk>,
}

impl Inventory {
    /// No orphan, missing or duplicate chunk in either index, and both
    /// indexes hold the same version of every chunk.
    pub fn is_consistent(&self) -> bool {
        self.lexical == self.vectors
            && self.manifest.len() == self.lexical.len()
            && self
                .manifest
                .iter()
                .zip(&self.lexical)
                .all(|(m, l)| *m == l.id)
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

/// Bytes of the files under `path` (0 for what cannot be read).
pub fn tree_bytes(path: &Path) -> u64 {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| tree_bytes(&e.path())).sum())
            .unwrap_or(0),
        _ => 0,
    }
}
