//! A collection on a Qdrant cluster: the manifest is the cluster's
//! document records, the journal their write claims (see
//! `seogo_index::DocRecord`), the embedder fingerprint the collection's
//! metadata. Every node reads them from Qdrant, so any node can write and
//! any node sees what another wrote.

use std::collections::BTreeSet;
use std::sync::Arc;

use seogo_index::{
    AnalyzerKind, ClusterStore, DocRecord, LexicalIndex, LexicalResources, QdrantConfig, WriteClaim,
};
use seogo_models::EmbedderFingerprint;

use super::{Collection, CollectionMeta, DocEntry, Home, Manifest};
use crate::EngineError;

fn entry_of(record: &DocRecord) -> Result<Option<DocEntry>, EngineError> {
    record
        .entry
        .clone()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| EngineError::Corrupt(format!("document `{}`: {e}", record.doc_id)))
}

/// The cluster's document records, read in one pass.
struct Records {
    /// Every document with a committed entry.
    manifest: Manifest,
    /// Documents another live node is writing.
    busy: BTreeSet<String>,
    /// Documents whose writer is gone (a dead process on this host, or a
    /// claim older than `claim_secs` from another): what recovery undoes.
    abandoned: BTreeSet<String>,
}

fn read_records(store: &ClusterStore) -> Result<Records, EngineError> {
    let mut records = Records {
        manifest: Manifest::default(),
        busy: BTreeSet::new(),
        abandoned: BTreeSet::new(),
    };
    for record in store.documents()? {
        if let Some(claim) = record.claim.as_ref().filter(|c| !c.is_mine()) {
            if claim.is_live(store.claim_secs()) {
                records.busy.insert(record.doc_id.clone());
            } else {
                records.abandoned.insert(record.doc_id.clone());
            }
        }
        if let Some(entry) = entry_of(&record)? {
            records.manifest.docs.insert(record.doc_id, entry);
        }
    }
    Ok(records)
}

impl Collection {
    pub(super) fn open_cluster(
        name: &str,
        config: &QdrantConfig,
        create_for: Option<(&EmbedderFingerprint, AnalyzerKind)>,
        lexical_resources: Arc<LexicalResources>,
    ) -> Result<Self, EngineError> {
        let create = match create_for {
            Some((embedder, analyzer)) => {
                let meta = CollectionMeta {
                    embedder: embedder.clone(),
                    analyzer,
                };
                let meta =
                    serde_json::to_value(meta).map_err(|e| EngineError::Corrupt(e.to_string()))?;
                Some((embedder.dimension, meta))
            }
            None => None,
        };
        let store = ClusterStore::open(config, name, create)?
            .ok_or_else(|| EngineError::NoSuchCollection(name.to_string()))?;
        let meta: CollectionMeta = serde_json::from_value(store.engine_meta().clone())
            .map_err(|e| EngineError::Corrupt(format!("collection `{name}` on Qdrant: {e}")))?;
        let store = Arc::new(store);
        let lexical = LexicalIndex::on_cluster(store.clone(), meta.analyzer, lexical_resources)?;
        let records = read_records(&store)?;
        Ok(Self {
            name: name.to_string(),
            home: Home::Cluster(store.clone()),
            lexical,
            vectors: store,
            manifest: records.manifest,
            embedder: meta.embedder,
            // The journal a dead writer left: undone by
            // `recover_interrupted_write` as the open finishes.
            in_flight: records.abandoned,
            busy_elsewhere: records.busy,
            refreshed: Some(std::time::Instant::now()),
            retired: false,
        })
    }

    /// Reads the manifest again where other nodes may have changed it
    /// (a cluster), before a write compares content hashes against it.
    /// Documents another live node is writing count as unchanged here
    /// (their old entry stays), so two nodes never write one at once
    /// knowingly.
    pub fn refresh(&mut self) -> Result<(), EngineError> {
        let Home::Cluster(store) = &self.home else {
            return Ok(());
        };
        let records = read_records(store)?;
        self.manifest = records.manifest;
        self.busy_elsewhere = records.busy;
        self.refreshed = Some(std::time::Instant::now());
        Ok(())
    }

    /// Whether the manifest may lag other nodes' writes: a cluster
    /// collection's, read over a second ago.
    pub(crate) fn manifest_is_stale(&self) -> bool {
        matches!(self.home, Home::Cluster(_))
            && self
                .refreshed
                .is_none_or(|at| at.elapsed() > std::time::Duration::from_secs(1))
    }

    /// Whether another live node is writing `doc_id` right now.
    pub fn is_busy_elsewhere(&self, doc_id: &str) -> bool {
        self.busy_elsewhere.contains(doc_id)
    }
}

/// Claims `doc_ids` for this process before their chunks change, keeping
/// each one's current entry.
pub(super) fn claim(
    store: &ClusterStore,
    manifest: &Manifest,
    doc_ids: &[&str],
) -> Result<(), EngineError> {
    let claim = WriteClaim::mine();
    let records = doc_ids
        .iter()
        .map(|id| {
            let entry = manifest
                .docs
                .get(*id)
                .map(serde_json::to_value)
                .transpose()
                .map_err(|e| EngineError::Corrupt(e.to_string()))?;
            Ok(DocRecord {
                doc_id: id.to_string(),
                entry,
                claim: Some(claim.clone()),
            })
        })
        .collect::<Result<Vec<_>, EngineError>>()?;
    store.put_documents(&records)?;
    Ok(())
}

/// The commit point: each of `changed` gets its new entry (the claim goes
/// with it) or, when the manifest no longer has it, loses its record.
pub(super) fn record(
    store: &ClusterStore,
    manifest: &Manifest,
    changed: &BTreeSet<String>,
) -> Result<(), EngineError> {
    let mut kept = Vec::new();
    let mut removed = Vec::new();
    for id in changed {
        match manifest.docs.get(id) {
            Some(entry) => kept.push(DocRecord {
                doc_id: id.clone(),
                entry: Some(
                    serde_json::to_value(entry).map_err(|e| EngineError::Corrupt(e.to_string()))?,
                ),
                claim: None,
            }),
            None => removed.push(id.clone()),
        }
    }
    store.put_documents(&kept)?;
    store.remove_documents(&removed)?;
    Ok(())
}
