//! One Seogo collection in Qdrant: its chunk points (dense and sparse
//! vectors, payload) and, through [`super::docs`], its documents.
//!
//! Writes wait for the cluster to acknowledge them (`wait`, medium
//! ordering, the configured write consistency), are sent in batches and
//! are retried with backoff: deleting a document's points and upserting
//! them again are both idempotent, so a retry never duplicates anything.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use qdrant_client::qdrant::{
    vector_output, Condition, CountPointsBuilder, DeletePointsBuilder, Filter, PointId,
    PointStruct, ScrollPointsBuilder, SearchParamsBuilder, UpdateCollectionBuilder,
    UpsertPointsBuilder, Vector, VectorInput, WriteOrdering, WriteOrderingType,
};
use qdrant_client::Payload;
use seogo_types::Chunk;
use serde_json::json;

use super::client::{remote_error, Client};
use super::schema::{
    already_exists, create_chunks_collection, create_docs_collection, exists, lengths_of,
    only_vector, poisoned, read_metadata, DENSE, LAYOUT, PHRASES, SPARSE,
};
use super::search::{chunk_of, remote_filter};
use super::QdrantConfig;
use crate::lexical::sparse::SparseEncoder;
use crate::lexical::{filter_terms, AverageLengths};
use crate::vector::{check_pairs, point_number, ExportSink, VectorStore};
use crate::{Hit, IndexError, SearchFilter, StoredChunk};

/// Changes staged since the last flush: a batch's documents are written
/// with one delete and a few upserts, not two calls per document, and
/// searches see none of it before the flush (as tantivy before a commit).
#[derive(Default)]
struct Staged {
    /// Documents whose points go first.
    deletes: Vec<String>,
    /// Then these points.
    chunks: Vec<Chunk>,
    vectors: Vec<Vec<f32>>,
}

/// One Seogo collection on a Qdrant server or cluster.
pub struct ClusterStore {
    pub(super) client: Client,
    pub(super) collection: String,
    pub(super) docs_collection: String,
    dimension: usize,
    /// Set from the collection's metadata, or by the first batch written.
    lengths: Mutex<Option<AverageLengths>>,
    /// The engine's settings stored with the collection.
    engine_meta: serde_json::Value,
    /// Set by the collection's lexical side: every point written carries
    /// the sparse vector it makes.
    encoder: OnceLock<SparseEncoder>,
    staged: Mutex<Staged>,
}

impl std::fmt::Debug for ClusterStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterStore")
            .field("url", &self.client.config.url)
            .field("collection", &self.collection)
            .finish()
    }
}

/// Medium ordering: a shard's updates go through a leader the replicas
/// elect again when it fails, so writes go on while a peer is down.
/// Strong ordering routes them through the shard's first replica and
/// refuses every write while that peer is down (measured: "failed to apply
/// update with Strong ordering via leader peer"); one node writes a given
/// document at a time (its claim), so nothing here needs more.
pub(super) fn ordering() -> WriteOrdering {
    WriteOrdering {
        r#type: WriteOrderingType::Medium as i32,
    }
}

/// Upserts `points` into Qdrant collection `name`, `upsert_batch` at a
/// time, each acknowledged before the next.
pub(super) fn write_points(
    client: &Client,
    name: &str,
    points: &[PointStruct],
) -> Result<(), IndexError> {
    for batch in points.chunks(client.config.upsert_batch.max(1)) {
        let name = name.to_string();
        let batch = batch.to_vec();
        client.call(move |c| {
            let upsert = UpsertPointsBuilder::new(name.clone(), batch.clone())
                .wait(true)
                .ordering(ordering());
            async move { c.upsert_points(upsert).await }
        })?;
    }
    Ok(())
}

impl ClusterStore {
    /// Qdrant's name of Seogo collection `name`.
    pub fn qdrant_name(config: &QdrantConfig, name: &str) -> String {
        format!("{}{name}", config.collection_prefix)
    }

    /// Seogo collections on the server: every `prefix + NAME` with its
    /// `.docs` companion.
    pub fn list(config: &QdrantConfig) -> Result<Vec<String>, IndexError> {
        let client = Client::connect(config)?;
        let response = client.call(|c| async move { c.list_collections().await })?;
        let all: std::collections::HashSet<String> =
            response.collections.into_iter().map(|d| d.name).collect();
        let mut names: Vec<String> = all
            .iter()
            .filter_map(|n| n.strip_prefix(&config.collection_prefix))
            .filter(|n| !n.ends_with(".docs"))
            .filter(|n| all.contains(&format!("{}{n}.docs", config.collection_prefix)))
            .map(str::to_string)
            .collect();
        names.sort();
        Ok(names)
    }

    /// Deletes collection `name` (its chunks and its documents).
    pub fn delete(config: &QdrantConfig, name: &str) -> Result<bool, IndexError> {
        let client = Client::connect(config)?;
        let main = Self::qdrant_name(config, name);
        let mut existed = false;
        for qdrant_name in [format!("{main}.docs"), main] {
            let n = qdrant_name.clone();
            if client.call(move |c| {
                let n = n.clone();
                async move { c.collection_exists(n).await }
            })? {
                existed = true;
                client.call(move |c| {
                    let n = qdrant_name.clone();
                    async move { c.delete_collection(n).await }
                })?;
            }
        }
        Ok(existed)
    }

    /// Opens Seogo collection `name`. With `create`, makes it (for
    /// `dimension`-d vectors, storing `engine_meta`) when it does not exist;
    /// otherwise a missing collection is `Ok(None)`. Two nodes creating it
    /// at once both end up opening the one that won.
    pub fn open(
        config: &QdrantConfig,
        name: &str,
        create: Option<(usize, serde_json::Value)>,
    ) -> Result<Option<Self>, IndexError> {
        let client = Client::connect(config)?;
        client.check_version();
        let collection = Self::qdrant_name(config, name);
        let docs_collection = format!("{collection}.docs");
        if !exists(&client, &collection)? {
            let Some((dimension, engine_meta)) = create else {
                return Ok(None);
            };
            match create_chunks_collection(&client, &collection, dimension, &engine_meta) {
                Err(e) if !already_exists(&e) => return Err(e),
                _ => {}
            }
        }
        // The documents' collection comes second: a node that finds the
        // first without it finishes the creation.
        if !exists(&client, &docs_collection)? {
            match create_docs_collection(&client, &docs_collection) {
                Err(e) if !already_exists(&e) => return Err(e),
                _ => {}
            }
        }
        let metadata = read_metadata(&client, &collection)?;
        if metadata.get("seogo_layout").and_then(|v| v.as_u64()) != Some(LAYOUT) {
            return Err(IndexError::Vector(format!(
                "Qdrant collection `{collection}` was made by an earlier Seogo (vectors only, \
                 the BM25 index on a node's disk): copy it with `seogo migrate` from the node \
                 that holds its data directory, into another collection_prefix"
            )));
        }
        let parse = |key: &str| -> Result<serde_json::Value, IndexError> {
            metadata.get(key).cloned().ok_or_else(|| {
                IndexError::Vector(format!(
                    "Qdrant collection `{}`: no `{key}` in its metadata",
                    Self::qdrant_name(config, name)
                ))
            })
        };
        let dimension = parse("dimension")?
            .as_u64()
            .ok_or_else(|| IndexError::Vector(format!("`{name}`: bad dimension in its metadata")))?
            as usize;
        let lengths = lengths_of(&metadata)?;
        Ok(Some(Self {
            client,
            collection,
            docs_collection,
            dimension,
            lengths: Mutex::new(lengths),
            engine_meta: parse("engine")?,
            encoder: OnceLock::new(),
            staged: Mutex::new(Staged::default()),
        }))
    }

    /// The engine's settings stored at creation.
    pub fn engine_meta(&self) -> &serde_json::Value {
        &self.engine_meta
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The sparse vectors' average lengths: the collection's, or `None`
    /// before its first write.
    pub(crate) fn average_lengths(&self) -> Result<Option<AverageLengths>, IndexError> {
        let known = *self.lengths.lock().map_err(|_| poisoned())?;
        match known {
            Some(lengths) => Ok(Some(lengths)),
            None => {
                let lengths = lengths_of(&read_metadata(&self.client, &self.collection)?)?;
                *self.lengths.lock().map_err(|_| poisoned())? = lengths;
                Ok(lengths)
            }
        }
    }

    /// Fixes the collection's average lengths to `lengths` unless it has
    /// some already: a copy from a local index (`seogo migrate`) keeps the
    /// averages its BM25 was scored with.
    pub fn adopt_average_lengths(&self, lengths: AverageLengths) -> Result<(), IndexError> {
        if self.average_lengths()?.is_none() {
            self.store_average_lengths(lengths)?;
        }
        Ok(())
    }

    fn store_average_lengths(&self, lengths: AverageLengths) -> Result<(), IndexError> {
        let mut metadata = read_metadata(&self.client, &self.collection)?;
        metadata.insert("average_lengths".into(), serde_json::to_value(lengths)?);
        let metadata: HashMap<String, serde_json::Value> = metadata.into_iter().collect();
        let name = self.collection.clone();
        self.client.call(move |c| {
            let update = UpdateCollectionBuilder::new(name.clone()).metadata(metadata.clone());
            async move { c.update_collection(update).await }
        })?;
        *self.lengths.lock().map_err(|_| poisoned())? = Some(lengths);
        Ok(())
    }

    /// The lengths to write `chunks` with: the collection's, or, for its
    /// first batch, measured on that batch and stored with the collection
    /// before any vector is written. Two nodes writing a first batch at
    /// the same moment may each store their own; the later one stands and
    /// the earlier batch is off by the two batches' difference.
    fn lengths_for_writing(
        &self,
        encoder: &SparseEncoder,
        chunks: &[Chunk],
    ) -> Result<AverageLengths, IndexError> {
        if let Some(lengths) = self.average_lengths()? {
            return Ok(lengths);
        }
        let lengths = encoder.measure(chunks);
        self.store_average_lengths(lengths)?;
        Ok(lengths)
    }

    pub(crate) fn set_encoder(&self, encoder: SparseEncoder) {
        // A second lexical view of the same store encodes the same way.
        let _ = self.encoder.set(encoder);
    }

    fn point(
        &self,
        encoder: &SparseEncoder,
        lengths: &AverageLengths,
        chunk: &Chunk,
        vector: &[f32],
    ) -> Result<PointStruct, IndexError> {
        let (sparse, ids) = encoder.document(chunk, lengths);
        let payload = Payload::try_from(json!({
            "doc_id": chunk.doc_id,
            "acl": chunk.acl,
            "meta": filter_terms(chunk),
            "ids": ids,
            PHRASES: encoder.phrase_stream(chunk),
            "chunk": chunk,
        }))
        .map_err(remote_error)?;
        // Always both, even an empty sparse vector: the lexical side's
        // count is that of points with one.
        let vectors = HashMap::from([
            (DENSE.to_string(), Vector::new_dense(vector.to_vec())),
            (
                SPARSE.to_string(),
                Vector::new_sparse(sparse.indices, sparse.values),
            ),
        ]);
        Ok(PointStruct::new(point_number(&chunk.id), vectors, payload))
    }

    pub(super) fn count_where(&self, filter: Option<Filter>) -> Result<u64, IndexError> {
        let name = self.collection.clone();
        let response = self.client.call(move |c| {
            let mut count = CountPointsBuilder::new(name.clone()).exact(true);
            if let Some(filter) = filter.clone() {
                count = count.filter(filter);
            }
            async move { c.count(count).await }
        })?;
        Ok(response.result.map_or(0, |r| r.count))
    }

    /// Chunks with a sparse vector: the lexical side's count.
    pub(crate) fn count_sparse(&self) -> Result<u64, IndexError> {
        self.count_where(Some(Filter::must([Condition::has_vector(SPARSE)])))
    }

    /// The chunks the lexical side holds (those with a sparse vector).
    pub(crate) fn stored_chunks_with_sparse(&self) -> Result<Vec<StoredChunk>, IndexError> {
        self.stored_where(Some(Filter::must([Condition::has_vector(SPARSE)])))
    }

    /// Every chunk `filter` allows as stored, sorted by id.
    fn stored_where(&self, filter: Option<Filter>) -> Result<Vec<StoredChunk>, IndexError> {
        let mut stored = Vec::new();
        self.scroll(filter, false, &mut |batch| {
            for (chunk, _) in batch {
                stored.push(StoredChunk::of(&chunk)?);
            }
            Ok(())
        })?;
        stored.sort();
        Ok(stored)
    }

    /// Every chunk `filter` allows, in pages, with its dense vector when
    /// `vectors` (else an empty one).
    pub(super) fn scroll(
        &self,
        filter: Option<Filter>,
        vectors: bool,
        each: &mut ExportSink<'_>,
    ) -> Result<u64, IndexError> {
        let mut offset: Option<PointId> = None;
        let mut total = 0u64;
        loop {
            let name = self.collection.clone();
            let from = offset.clone();
            let filter = filter.clone();
            let page = self.client.call(move |c| {
                let mut scroll = ScrollPointsBuilder::new(name.clone())
                    .limit(512)
                    .with_payload(true);
                if vectors {
                    scroll = scroll.with_vectors(only_vector(DENSE));
                }
                if let Some(filter) = filter.clone() {
                    scroll = scroll.filter(filter);
                }
                if let Some(from) = from.clone() {
                    scroll = scroll.offset(from);
                }
                async move { c.scroll(scroll).await }
            })?;
            let mut batch = Vec::with_capacity(page.result.len());
            for record in page.result {
                let vector = if vectors {
                    match record.vectors.and_then(|v| v.get_vector_by_name(DENSE)) {
                        Some(vector_output::Vector::Dense(dense)) => dense.data,
                        _ => {
                            return Err(IndexError::Vector(
                                "a Qdrant point without its vector".into(),
                            ))
                        }
                    }
                } else {
                    Vec::new()
                };
                batch.push((chunk_of(record.payload)?, vector));
            }
            total += batch.len() as u64;
            each(batch)?;
            match page.next_page_offset {
                Some(next) => offset = Some(next),
                None => return Ok(total),
            }
        }
    }
}

impl VectorStore for ClusterStore {
    fn upsert(&self, chunks: &[Chunk], vectors: &[Vec<f32>]) -> Result<(), IndexError> {
        let encoder = self.encoder.get().ok_or_else(|| {
            IndexError::Vector("the collection's lexical side is not open".into())
        })?;
        let lengths = self.lengths_for_writing(encoder, chunks)?;
        let points = chunks
            .iter()
            .zip(vectors)
            .map(|(chunk, vector)| self.point(encoder, &lengths, chunk, vector))
            .collect::<Result<Vec<_>, _>>()?;
        write_points(&self.client, &self.collection, &points)
    }

    fn replace_document(
        &self,
        doc_id: &str,
        chunks: &[Chunk],
        vectors: &[Vec<f32>],
    ) -> Result<(), IndexError> {
        check_pairs(doc_id, chunks, vectors)?;
        self.delete_document(doc_id)?;
        let mut staged = self.staged.lock().map_err(|_| poisoned())?;
        staged.chunks.extend(chunks.iter().cloned());
        staged.vectors.extend(vectors.iter().cloned());
        Ok(())
    }

    fn delete_document(&self, doc_id: &str) -> Result<(), IndexError> {
        let mut staged = self.staged.lock().map_err(|_| poisoned())?;
        let Staged {
            deletes,
            chunks,
            vectors,
        } = &mut *staged;
        let mut keep = chunks.iter().map(|c| c.doc_id != doc_id);
        vectors.retain(|_| keep.next().unwrap_or(true));
        chunks.retain(|c| c.doc_id != doc_id);
        deletes.push(doc_id.to_string());
        Ok(())
    }

    fn flush(&self) -> Result<(), IndexError> {
        let staged = std::mem::take(&mut *self.staged.lock().map_err(|_| poisoned())?);
        if !staged.deletes.is_empty() {
            let name = self.collection.clone();
            for ids in staged.deletes.chunks(1024) {
                let filter = Filter::must([Condition::matches("doc_id", ids.to_vec())]);
                let name = name.clone();
                self.client.call(move |c| {
                    let delete = DeletePointsBuilder::new(name.clone())
                        .points(filter.clone())
                        .wait(true)
                        .ordering(ordering());
                    async move { c.delete_points(delete).await }
                })?;
            }
        }
        if !staged.chunks.is_empty() {
            self.upsert(&staged.chunks, &staged.vectors)?;
        }
        Ok(())
    }

    fn rollback(&self) -> Result<(), IndexError> {
        *self.staged.lock().map_err(|_| poisoned())? = Staged::default();
        Ok(())
    }

    fn search(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let ef = usize::try_from(self.client.config.hnsw_ef).unwrap_or(usize::MAX);
        self.search_beam(vector, filter, k, ef)
    }

    fn search_beam(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
        ef: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let params = SearchParamsBuilder::default().hnsw_ef(ef.max(k) as u64);
        self.query_nearest(
            VectorInput::new_dense(vector.to_vec()),
            DENSE,
            remote_filter(filter),
            k,
            Some(params),
        )
    }

    fn search_exact(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        self.query_nearest(
            VectorInput::new_dense(vector.to_vec()),
            DENSE,
            remote_filter(filter),
            k,
            Some(SearchParamsBuilder::default().exact(true)),
        )
    }

    fn count(&self) -> Result<u64, IndexError> {
        self.count_where(None)
    }

    fn stored_chunks(&self) -> Result<Vec<StoredChunk>, IndexError> {
        self.stored_where(None)
    }

    fn export(&self, each: &mut ExportSink<'_>) -> Result<u64, IndexError> {
        self.scroll(None, true, each)
    }
}
