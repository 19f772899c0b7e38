//! The dense side: a [`VectorStore`] trait with the embedded Qdrant
//! (qdrant-edge) implementation. A remote Qdrant cluster implements the same
//! trait later; the engine never knows which one it has.

use std::path::Path;

use qdrant_edge::{
    EdgeConfigBuilder, EdgeShard, EdgeVectorParamsBuilder, Filter, PointId, PointStruct,
    SearchParams, SearchRequest, UpdateOperation,
};
use seogo_docs::Chunk;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::lexical::filter_terms;
use crate::{Hit, IndexError, SearchFilter};

/// Dense vector storage and nearest-neighbour search over chunks, filtered by
/// ACL and metadata inside the engine.
pub trait VectorStore: Send + Sync + std::fmt::Debug {
    /// Replaces every vector of `doc_id` by one per chunk (same order).
    fn replace_document(
        &self,
        doc_id: &str,
        chunks: &[Chunk],
        vectors: &[Vec<f32>],
    ) -> Result<(), IndexError>;
    /// Removes every vector of `doc_id`.
    fn delete_document(&self, doc_id: &str) -> Result<(), IndexError>;
    /// Makes the changes so far durable.
    fn flush(&self) -> Result<(), IndexError>;
    /// Top-`k` chunks by cosine similarity among those `filter` allows.
    fn search(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError>;
    /// Number of stored vectors.
    fn count(&self) -> Result<u64, IndexError>;
    /// Every stored chunk id, sorted (for consistency checks).
    fn chunk_ids(&self) -> Result<Vec<String>, IndexError>;
}

/// Embedded Qdrant in the collection's directory: no server to run.
#[derive(Debug)]
pub struct EdgeVectorStore {
    shard: EdgeShard,
}

/// Payload fields with a keyword index, so filters on them stay cheap.
const INDEXED_FIELDS: [&str; 3] = ["doc_id", "acl", "meta"];

/// Qdrant wants numeric or UUID ids: the first 8 bytes of the chunk id's
/// sha256 (collisions are negligible below billions of chunks).
fn point_id(chunk_id: &str) -> PointId {
    let digest = Sha256::digest(chunk_id.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    PointId::NumId(u64::from_le_bytes(bytes))
}

fn edge_err(e: qdrant_edge::OperationError) -> IndexError {
    IndexError::Vector(e.to_string())
}

fn from_json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, IndexError> {
    serde_json::from_value(v).map_err(|e| IndexError::Vector(e.to_string()))
}

impl EdgeVectorStore {
    /// Opens the shard in `dir`, creating it for `dimension`-d cosine vectors.
    pub fn open(dir: &Path, dimension: usize) -> Result<Self, IndexError> {
        let exists = dir.join("edge_config.json").exists();
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let shard = if exists {
            EdgeShard::load(dir, None).map_err(edge_err)?
        } else {
            let config = EdgeConfigBuilder::new()
                .vector(
                    "",
                    EdgeVectorParamsBuilder::new(dimension, qdrant_edge::Distance::Cosine).build(),
                )
                .build();
            let shard = EdgeShard::new(dir, config).map_err(edge_err)?;
            for field in INDEXED_FIELDS {
                let op = from_json(json!({"field_name": field, "field_schema": "keyword"}))?;
                shard
                    .update(UpdateOperation::FieldIndexOperation(
                        qdrant_edge::FieldIndexOperations::CreateIndex(op),
                    ))
                    .map_err(edge_err)?;
            }
            shard
        };
        Ok(Self { shard })
    }

    fn doc_filter(doc_id: &str) -> Result<Filter, IndexError> {
        from_json(json!({"must": [{"key": "doc_id", "match": {"value": doc_id}}]}))
    }
}

/// The Qdrant filter for `filter`: any of the caller's principals in `acl`,
/// and every `key=value` in `meta`.
fn qdrant_filter(filter: &SearchFilter) -> Result<Filter, IndexError> {
    let mut must = vec![json!({"key": "acl", "match": {"any": filter.principals}})];
    for (k, v) in &filter.equals {
        must.push(json!({"key": "meta", "match": {"value": format!("{k}={v}")}}));
    }
    from_json(json!({ "must": must }))
}

impl VectorStore for EdgeVectorStore {
    fn replace_document(
        &self,
        doc_id: &str,
        chunks: &[Chunk],
        vectors: &[Vec<f32>],
    ) -> Result<(), IndexError> {
        if chunks.len() != vectors.len() {
            return Err(IndexError::Vector(format!(
                "{doc_id}: {} chunks but {} vectors",
                chunks.len(),
                vectors.len()
            )));
        }
        self.delete_document(doc_id)?;
        if chunks.is_empty() {
            return Ok(());
        }
        let points = chunks
            .iter()
            .zip(vectors)
            .map(|(chunk, vector)| {
                let payload = json!({
                    "doc_id": chunk.doc_id,
                    "acl": chunk.acl,
                    "meta": filter_terms(chunk),
                    "chunk": chunk,
                });
                PointStruct::new(point_id(&chunk.id), vector.clone(), payload).into()
            })
            .collect();
        self.shard
            .update(UpdateOperation::PointOperation(
                qdrant_edge::PointOperations::UpsertPoints(
                    qdrant_edge::PointInsertOperations::PointsList(points),
                ),
            ))
            .map_err(edge_err)
    }

    fn delete_document(&self, doc_id: &str) -> Result<(), IndexError> {
        self.shard
            .update(UpdateOperation::PointOperation(
                qdrant_edge::PointOperations::DeletePointsByFilter(Self::doc_filter(doc_id)?),
            ))
            .map_err(edge_err)
    }

    fn flush(&self) -> Result<(), IndexError> {
        self.shard.flush();
        Ok(())
    }

    fn search(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        if k == 0 {
            return Ok(Vec::new());
        }
        // Filtered HNSW loses recall badly on selective ACL filters (measured:
        // 0.32 recall@10 at 1/12 selectivity), so filtered searches are exact
        // until the performance issue brings ACORN or per-group indexes.
        let params: SearchParams = from_json(json!({"exact": true}))?;
        let request = SearchRequest {
            query: qdrant_edge::QueryEnum::Nearest(qdrant_edge::NamedQuery::default_dense(
                vector.to_vec(),
            )),
            filter: Some(qdrant_filter(filter)?),
            params: Some(params),
            limit: k,
            offset: 0,
            with_payload: Some(qdrant_edge::WithPayloadInterface::Bool(true)),
            with_vector: None,
            score_threshold: None,
        };
        let points = self.shard.search(request).map_err(edge_err)?;
        points
            .into_iter()
            .map(|p| {
                let chunk = p
                    .payload
                    .and_then(|mut payload| payload.0.remove("chunk"))
                    .ok_or_else(|| IndexError::Vector("point without chunk payload".into()))?;
                Ok(Hit {
                    chunk: serde_json::from_value(chunk)?,
                    score: p.score,
                })
            })
            .collect()
    }

    fn count(&self) -> Result<u64, IndexError> {
        let request: qdrant_edge::CountRequest = from_json(json!({"exact": true}))?;
        self.shard
            .count(request)
            .map(|n| n as u64)
            .map_err(edge_err)
    }

    fn chunk_ids(&self) -> Result<Vec<String>, IndexError> {
        let mut ids = Vec::new();
        let mut offset: Option<PointId> = None;
        loop {
            let request: qdrant_edge::ScrollRequest = from_json(json!({
                "offset": offset,
                "limit": 1000,
                "with_payload": true,
                "with_vector": false,
            }))?;
            let (records, next) = self.shard.scroll(request).map_err(edge_err)?;
            for r in records {
                let id = r
                    .payload
                    .as_ref()
                    .and_then(|p| p.0.get("chunk"))
                    .and_then(|c| c.get("id"))
                    .and_then(|id| id.as_str())
                    .ok_or_else(|| IndexError::Vector("point without chunk id".into()))?;
                ids.push(id.to_string());
            }
            match next {
                Some(n) => offset = Some(n),
                None => break,
            }
        }
        ids.sort();
        Ok(ids)
    }
}
