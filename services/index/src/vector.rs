//! The dense side: a [`VectorStore`] trait with the embedded Qdrant
//! (qdrant-edge) implementation here and a Qdrant server or cluster in
//! [`crate::remote`]; the engine never knows which one it has.

use std::path::Path;

use qdrant_edge::{
    EdgeConfigBuilder, EdgeShard, EdgeVectorParamsBuilder, Filter, PointId, PointStruct,
    SearchParams, SearchRequest, UpdateOperation,
};
use seogo_types::Chunk;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::lexical::filter_terms;
use crate::{Hit, IndexError, SearchFilter, StoredChunk};

/// Receives one batch of exported chunks with their vectors.
pub type ExportSink<'a> = dyn FnMut(Vec<(Chunk, Vec<f32>)>) -> Result<(), IndexError> + 'a;

/// Dense vector storage and nearest-neighbour search over chunks, filtered by
/// ACL and metadata inside the engine.
pub trait VectorStore: Send + Sync + std::fmt::Debug {
    /// Stores one vector per chunk (same order), replacing a point with
    /// the same chunk id.
    fn upsert(&self, chunks: &[Chunk], vectors: &[Vec<f32>]) -> Result<(), IndexError>;
    /// Replaces every vector of `doc_id` by one per chunk (same order).
    fn replace_document(
        &self,
        doc_id: &str,
        chunks: &[Chunk],
        vectors: &[Vec<f32>],
    ) -> Result<(), IndexError> {
        check_pairs(doc_id, chunks, vectors)?;
        self.delete_document(doc_id)?;
        if chunks.is_empty() {
            return Ok(());
        }
        self.upsert(chunks, vectors)
    }
    /// Removes every vector of `doc_id`.
    fn delete_document(&self, doc_id: &str) -> Result<(), IndexError>;
    /// Makes the changes so far durable.
    fn flush(&self) -> Result<(), IndexError>;
    /// Drops changes staged and not yet flushed (a store that writes
    /// through has none).
    fn rollback(&self) -> Result<(), IndexError> {
        Ok(())
    }
    /// Top-`k` chunks by cosine similarity among those `filter` allows,
    /// through the store's index (HNSW where it has one), with the
    /// configured search beam.
    fn search(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError>;
    /// The same examining `ef` HNSW candidates (at least `k`) instead of
    /// the configured number: `seogo bench search --ef` measures recall
    /// against latency with it.
    fn search_beam(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
        ef: usize,
    ) -> Result<Vec<Hit>, IndexError>;
    /// The same by comparing against every allowed vector: the reference
    /// the index's recall is measured against (`seogo bench search`).
    fn search_exact(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError>;
    /// Number of stored vectors.
    fn count(&self) -> Result<u64, IndexError>;
    /// Every stored chunk, sorted by id (for consistency checks).
    fn stored_chunks(&self) -> Result<Vec<StoredChunk>, IndexError>;
    /// Every stored chunk with its vector, in batches (`seogo migrate`);
    /// returns how many.
    fn export(&self, each: &mut ExportSink<'_>) -> Result<u64, IndexError>;
}

/// One vector per chunk, or an error naming the document.
pub(crate) fn check_pairs(
    doc_id: &str,
    chunks: &[Chunk],
    vectors: &[Vec<f32>],
) -> Result<(), IndexError> {
    if chunks.len() == vectors.len() {
        return Ok(());
    }
    Err(IndexError::Vector(format!(
        "{doc_id}: {} chunks but {} vectors",
        chunks.len(),
        vectors.len()
    )))
}

/// The store of a collection that was closed for good (swapped out by a
/// reindex): every call fails. The real store is dropped, and so flushed,
/// while its directory still exists; a late holder of the old handle gets
/// an error instead of writing into a directory that is gone.
#[derive(Debug)]
pub struct ClosedVectorStore;

fn closed<T>() -> Result<T, IndexError> {
    Err(IndexError::Vector(
        "this collection was closed (replaced by a reindex); fetch it again".into(),
    ))
}

impl VectorStore for ClosedVectorStore {
    fn upsert(&self, _: &[Chunk], _: &[Vec<f32>]) -> Result<(), IndexError> {
        closed()
    }
    fn delete_document(&self, _: &str) -> Result<(), IndexError> {
        closed()
    }
    fn flush(&self) -> Result<(), IndexError> {
        closed()
    }
    fn search(&self, _: &[f32], _: &SearchFilter, _: usize) -> Result<Vec<Hit>, IndexError> {
        closed()
    }
    fn search_beam(
        &self,
        _: &[f32],
        _: &SearchFilter,
        _: usize,
        _: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        closed()
    }
    fn search_exact(&self, _: &[f32], _: &SearchFilter, _: usize) -> Result<Vec<Hit>, IndexError> {
        closed()
    }
    fn count(&self) -> Result<u64, IndexError> {
        closed()
    }
    fn stored_chunks(&self) -> Result<Vec<StoredChunk>, IndexError> {
        closed()
    }
    fn export(&self, _: &mut ExportSink<'_>) -> Result<u64, IndexError> {
        closed()
    }
}

/// Embedded Qdrant in the collection's directory: no server to run.
#[derive(Debug)]
pub struct EdgeVectorStore {
    shard: EdgeShard,
    /// HNSW candidates examined per search (`vectors.hnsw_ef`).
    search_ef: usize,
}

/// HNSW graph degree and build beam (Qdrant's defaults): chosen by recall
/// against exact search at 100k chunks (docs/BENCHMARKS.md, "Query
/// latency at scale").
const HNSW_M: usize = 16;
const HNSW_EF_CONSTRUCT: usize = 100;
/// HNSW candidates a search examines unless configured
/// (`vectors.hnsw_ef`). Measured at 100k chunks against exact search
/// (docs/BENCHMARKS.md, "Query latency at scale"): recall@10 0.950 at
/// 128 (0.83 at 1M), 0.985 at 256 for 1.4 ms more, 0.999 at 512 for 4.8 ms
/// more. 256 buys most of the recall for little of the time.
pub const DEFAULT_HNSW_EF: usize = 256;
/// Below this many KB of allowed vectors (≈ 2,600 of 384 dimensions) a
/// filtered search scans them exactly instead of walking the graph: a
/// selective ACL filter would leave the graph walk too few neighbours.
const FULL_SCAN_KB: usize = 4_000;

/// Payload fields with a keyword index, so filters on them stay cheap.
pub(crate) const INDEXED_FIELDS: [&str; 3] = ["doc_id", "acl", "meta"];

/// Qdrant wants numeric or UUID ids: the first 8 bytes of the chunk id's
/// sha256 (collisions are negligible below billions of chunks). The same
/// number in the embedded store and on a cluster, so `migrate` keeps ids.
pub(crate) fn point_number(chunk_id: &str) -> u64 {
    let digest = Sha256::digest(chunk_id.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

fn point_id(chunk_id: &str) -> PointId {
    PointId::NumId(point_number(chunk_id))
}

fn edge_err(e: qdrant_edge::OperationError) -> IndexError {
    IndexError::Vector(e.to_string())
}

fn from_json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, IndexError> {
    serde_json::from_value(v).map_err(|e| IndexError::Vector(e.to_string()))
}

impl EdgeVectorStore {
    /// Opens the shard in `dir`, creating it for `dimension`-d cosine
    /// vectors; searches examine `search_ef` HNSW candidates.
    pub fn open(dir: &Path, dimension: usize, search_ef: usize) -> Result<Self, IndexError> {
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
                .hnsw_config(from_json(json!({
                    "m": HNSW_M,
                    "ef_construct": HNSW_EF_CONSTRUCT,
                    "full_scan_threshold": FULL_SCAN_KB,
                    // Links per ACL group and metadata value too, so a
                    // filtered walk of the graph stays connected.
                    "payload_m": HNSW_M,
                }))?)
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
        Ok(Self { shard, search_ef })
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
    fn upsert(&self, chunks: &[Chunk], vectors: &[Vec<f32>]) -> Result<(), IndexError> {
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
        // Segments grown past the indexing threshold get their HNSW graph
        // now, in this thread: an embedded store has no background workers.
        self.shard.optimize().map_err(edge_err)?;
        Ok(())
    }

    fn search(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        self.search_beam(vector, filter, k, self.search_ef)
    }

    fn search_beam(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
        ef: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        self.search_with(vector, filter, k, json!({"hnsw_ef": ef.max(k)}))
    }

    fn search_exact(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        self.search_with(vector, filter, k, json!({"exact": true}))
    }

    fn count(&self) -> Result<u64, IndexError> {
        let request: qdrant_edge::CountRequest = from_json(json!({"exact": true}))?;
        self.shard
            .count(request)
            .map(|n| n as u64)
            .map_err(edge_err)
    }

    fn stored_chunks(&self) -> Result<Vec<StoredChunk>, IndexError> {
        let mut stored = Vec::new();
        self.scroll(false, &mut |records| {
            for r in records {
                let chunk = r
                    .payload
                    .and_then(|mut p| p.0.remove("chunk"))
                    .ok_or_else(|| IndexError::Vector("point without chunk payload".into()))?;
                stored.push(StoredChunk::of(&serde_json::from_value(chunk)?)?);
            }
            Ok(())
        })?;
        stored.sort();
        Ok(stored)
    }

    fn export(&self, each: &mut ExportSink<'_>) -> Result<u64, IndexError> {
        let mut total = 0u64;
        self.scroll(true, &mut |records| {
            let mut batch = Vec::with_capacity(records.len());
            for r in records {
                let vector = r
                    .vector
                    .as_ref()
                    .and_then(|v| v.get(qdrant_edge::DEFAULT_VECTOR_NAME))
                    .and_then(|v| <&[f32]>::try_from(v).ok())
                    .map(<[f32]>::to_vec)
                    .ok_or_else(|| IndexError::Vector("point without dense vector".into()))?;
                let chunk = r
                    .payload
                    .and_then(|mut p| p.0.remove("chunk"))
                    .ok_or_else(|| IndexError::Vector("point without chunk payload".into()))?;
                batch.push((serde_json::from_value(chunk)?, vector));
            }
            total += batch.len() as u64;
            each(batch)
        })?;
        Ok(total)
    }
}

impl EdgeVectorStore {
    /// A search with Qdrant's `params` (HNSW beam or exact).
    fn search_with(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
        params: serde_json::Value,
    ) -> Result<Vec<Hit>, IndexError> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let params: SearchParams = from_json(params)?;
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

    /// Every point in pages of 1,000 (payload always, vectors on request).
    fn scroll(
        &self,
        with_vector: bool,
        each: &mut dyn FnMut(Vec<qdrant_edge::Record>) -> Result<(), IndexError>,
    ) -> Result<(), IndexError> {
        let mut offset: Option<PointId> = None;
        loop {
            let request: qdrant_edge::ScrollRequest = from_json(json!({
                "offset": offset,
                "limit": 1000,
                "with_payload": true,
                "with_vector": with_vector,
            }))?;
            let (records, next) = self.shard.scroll(request).map_err(edge_err)?;
            each(records)?;
            match next {
                Some(n) => offset = Some(n),
                None => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(doc_id: &str, ordinal: u32, acl: &str) -> Chunk {
        Chunk {
            id: Chunk::make_id(doc_id, ordinal),
            doc_id: doc_id.into(),
            ordinal,
            title: doc_id.into(),
            source: doc_id.into(),
            heading_path: Vec::new(),
            page: None,
            locator: None,
            text: format!("{doc_id} 본문 {ordinal}"),
            header: String::new(),
            domain: seogo_types::Domain::General,
            acl: vec![acl.into()],
            metadata: Default::default(),
        }
    }

    #[test]
    fn export_returns_every_chunk_with_its_vector_and_follows_replacements() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = EdgeVectorStore::open(dir.path(), 3, DEFAULT_HNSW_EF).expect("open");
        let a = [chunk("a", 0, "public"), chunk("a", 1, "hr")];
        store
            .replace_document("a", &a, &[vec![1.0, 0.0, 0.0], vec![0.0, 1.0, 0.0]])
            .expect("a");
        store
            .replace_document("b", &[chunk("b", 0, "public")], &[vec![0.0, 0.0, 1.0]])
            .expect("b");
        // A second version of `a` with one chunk replaces both.
        store
            .replace_document("a", &[chunk("a", 0, "public")], &[vec![0.5, 0.5, 0.0]])
            .expect("a again");
        let mut exported = Vec::new();
        let total = store
            .export(&mut |batch| {
                exported.extend(batch);
                Ok(())
            })
            .expect("export");
        assert_eq!(total, 2);
        exported.sort_by(|x, y| x.0.id.cmp(&y.0.id));
        assert_eq!(exported[0].0, chunk("a", 0, "public"));
        assert_eq!(exported[1].0, chunk("b", 0, "public"));
        // Cosine vectors are stored normalised.
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm(&exported[0].1) - 1.0).abs() < 1e-5);
        assert!((exported[0].1[0] - exported[0].1[1]).abs() < 1e-6);
        let ids: Vec<String> = store
            .stored_chunks()
            .expect("stored")
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(ids, ["a#0", "b#0"]);
        assert!(store
            .replace_document("c", &[chunk("c", 0, "public")], &[])
            .is_err());
    }
}
