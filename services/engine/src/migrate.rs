//! `seogo migrate`: a whole collection copied between the embedded store
//! (the data directory) and a Qdrant server or cluster, in either
//! direction: every chunk with its vector, the BM25 side (tantivy there,
//! sparse vectors on the cluster, made again from the chunks) and the
//! manifest. The copy is checked both ways: the same documents at the same
//! content hashes, and the same chunks (by a digest of their content) in
//! each store.

use serde::Serialize;

use crate::collection::{validate_name, Collection};
use crate::config::VectorsConfig;
use crate::{Engine, EngineError};

/// What a migration did.
#[derive(Debug, Clone, Serialize)]
pub struct MigrateReport {
    pub collection: String,
    pub documents: usize,
    pub copied: u64,
    /// Points in the source and the target afterwards (equal, or the
    /// migration is an error).
    pub source_points: u64,
    pub target_points: u64,
}

impl Engine {
    /// Copies collection `collection` from where `from` keeps it to where
    /// `to` does; the target must not hold it yet (or hold it empty).
    pub fn migrate(
        &self,
        collection: &str,
        from: &VectorsConfig,
        to: &VectorsConfig,
    ) -> Result<MigrateReport, EngineError> {
        validate_name(collection)?;
        if from == to
            || matches!(
                (from, to),
                (
                    VectorsConfig::Embedded { .. },
                    VectorsConfig::Embedded { .. }
                )
            )
        {
            return Err(EngineError::Conflict(
                "the source and the target are the same store".into(),
            ));
        }
        let dir = Collection::dir_of(&self.config().data.dir, collection);
        let resources = self.lexical_resources()?;
        let source = Collection::open(collection, &dir, None, resources.clone(), from)?;
        let mut target = Collection::open(
            collection,
            &dir,
            Some((&source.embedder, source.lexical.analyzer())),
            resources,
            to,
        )?;
        target.check_embedder(&source.embedder)?;
        let held = target.counts()?;
        if held.vector_chunks > 0 || held.documents > 0 {
            return Err(EngineError::Conflict(format!(
                "the target already holds collection `{collection}` ({} documents, {} chunks): \
                 delete it there first",
                held.documents, held.vector_chunks
            )));
        }
        // The cluster's BM25 keeps the averages the source scored with.
        if let Some(lengths) = source.lexical.average_lengths()? {
            target.lexical.adopt_average_lengths(lengths)?;
        }
        target.begin_write(source.manifest.docs.keys().map(String::as_str))?;
        let copied = source.vectors.export(&mut |batch| {
            let (chunks, vectors): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            target.lexical.add_chunks(&chunks)?;
            target.vectors.upsert(&chunks, &vectors)
        })?;
        target.manifest = source.manifest.clone();
        target.commit()?;
        let (before, after) = (source.inventory()?, target.inventory()?);
        let report = MigrateReport {
            collection: collection.to_string(),
            documents: target.manifest.docs.len(),
            copied,
            source_points: before.vectors.len() as u64,
            target_points: after.vectors.len() as u64,
        };
        if before != after || report.copied != report.source_points {
            return Err(EngineError::Corrupt(format!(
                "collection `{collection}`: the copy differs from the source (copied {} of {} \
                 chunks, the target holds {}; chunk digests or document hashes differ)",
                report.copied, report.source_points, report.target_points
            )));
        }
        let hashes = |c: &Collection| -> Vec<(String, String)> {
            c.manifest
                .docs
                .iter()
                .map(|(id, e)| (id.clone(), e.content_hash.clone()))
                .collect()
        };
        if hashes(&source) != hashes(&target) {
            return Err(EngineError::Corrupt(format!(
                "collection `{collection}`: the target's document hashes differ from the source's"
            )));
        }
        Ok(report)
    }
}
