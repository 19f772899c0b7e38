//! `seogo migrate`: a collection's vectors copied between the embedded
//! store and a Qdrant server or cluster, in either direction, and the
//! copy checked by counting both sides. The BM25 index and the manifest
//! stay where they are (the data directory); after a migration to a
//! cluster, `[vectors] backend = "qdrant"` makes the engine use it.

use serde::Serialize;

use crate::collection::{open_vectors, stored_dimension, validate_name, Collection};
use crate::config::VectorsConfig;
use crate::{Engine, EngineError};

/// What a migration did.
#[derive(Debug, Clone, Serialize)]
pub struct MigrateReport {
    pub collection: String,
    pub copied: u64,
    /// Points in the source and the target afterwards (equal, or the
    /// migration is an error).
    pub source_points: u64,
    pub target_points: u64,
}

impl Engine {
    /// Copies every vector of `collection` from the store `from` names to
    /// the one `to` names.
    pub fn migrate_vectors(
        &self,
        collection: &str,
        from: &VectorsConfig,
        to: &VectorsConfig,
    ) -> Result<MigrateReport, EngineError> {
        validate_name(collection)?;
        if from == to {
            return Err(EngineError::BadRequest(
                "the source and the target are the same store".into(),
            ));
        }
        let dir = Collection::dir_of(&self.config().data.dir, collection);
        let dimension = stored_dimension(collection, &dir)?;
        let source = open_vectors(from, collection, &dir, dimension)?;
        let target = open_vectors(to, collection, &dir, dimension)?;
        let copied = source.export(&mut |batch| {
            let (chunks, vectors): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
            target.upsert(&chunks, &vectors)
        })?;
        target.flush()?;
        let report = MigrateReport {
            collection: collection.to_string(),
            copied,
            source_points: source.count()?,
            target_points: target.count()?,
        };
        if report.source_points != report.target_points || report.copied != report.source_points {
            return Err(EngineError::Corrupt(format!(
                "collection `{collection}`: copied {} of {} points, the target holds {} \
                 (a target that already held other points must be emptied first)",
                report.copied, report.source_points, report.target_points
            )));
        }
        Ok(report)
    }
}
