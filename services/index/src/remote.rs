//! The dense side on a Qdrant server or cluster, through qdrant-client
//! (gRPC): for when one machine's disk or memory is not enough.
//!
//! Each Seogo collection is one Qdrant collection (`prefix + name`) with a
//! named `dense` vector, keyword payload indexes on `doc_id`, `acl` and
//! `meta` (so ACL and metadata filters are served by the index, not by a
//! scan), and the shard count, replication factor and write consistency
//! from `[vectors]`. Writes wait for the cluster to acknowledge them
//! (`wait`, strong ordering), are sent in batches and are retried with
//! backoff: deleting a document's points and upserting them again are both
//! idempotent, so a retry never duplicates anything.
//!
//! qdrant-client is async while the engine is blocking, so the store owns
//! a small tokio runtime and waits for each call on a channel: that works
//! from any thread, inside the server's runtime or not.

use std::future::Future;
use std::time::Duration;

use qdrant_client::qdrant::{
    Condition, CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FieldType, Filter, PointId, PointStruct, QueryPointsBuilder,
    ScrollPointsBuilder, SearchParamsBuilder, UpsertPointsBuilder, VectorParamsBuilder,
    VectorsConfigBuilder, WriteOrdering, WriteOrderingType,
};
use qdrant_client::{Payload, Qdrant, QdrantError};
use seogo_docs::Chunk;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::lexical::filter_terms;
use crate::vector::{point_number, ExportSink, VectorStore, INDEXED_FIELDS};
use crate::{Hit, IndexError, SearchFilter, StoredChunk};

/// The named dense vector in every collection.
const DENSE: &str = "dense";

/// `[vectors]` with `backend = "qdrant"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QdrantConfig {
    /// The gRPC endpoint, e.g. `http://qdrant:6334` (or https).
    pub url: String,
    /// The environment variable holding the API key (unset: none sent).
    pub api_key_env: String,
    /// Seogo collection `C` is Qdrant collection `prefix + C`.
    pub collection_prefix: String,
    /// Shards of a new collection (spread across the cluster's nodes).
    pub shards: u32,
    /// Copies of each shard.
    pub replication_factor: u32,
    /// Replicas that must acknowledge a write before it returns.
    pub write_consistency_factor: u32,
    /// Points per upsert request.
    pub upsert_batch: usize,
    /// Further attempts after a failed call.
    pub retries: u32,
    /// A call is abandoned after this.
    pub timeout_secs: u64,
    /// HNSW candidates examined per search (recall against latency).
    pub hnsw_ef: u64,
}

impl Default for QdrantConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:6334".into(),
            api_key_env: "SEOGO_QDRANT_API_KEY".into(),
            collection_prefix: "seogo_".into(),
            shards: 1,
            replication_factor: 1,
            write_consistency_factor: 1,
            upsert_batch: 256,
            retries: 3,
            timeout_secs: 30,
            hnsw_ef: crate::DEFAULT_HNSW_EF as u64,
        }
    }
}

/// One Seogo collection in Qdrant.
pub struct QdrantVectorStore {
    client: Qdrant,
    runtime: Option<tokio::runtime::Runtime>,
    collection: String,
    config: QdrantConfig,
}

impl std::fmt::Debug for QdrantVectorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QdrantVectorStore")
            .field("url", &self.config.url)
            .field("collection", &self.collection)
            .finish()
    }
}

impl Drop for QdrantVectorStore {
    fn drop(&mut self) {
        // Dropping a runtime inside another one panics; this never blocks.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn remote_error(e: QdrantError) -> IndexError {
    IndexError::Vector(format!("Qdrant: {e}"))
}

impl QdrantVectorStore {
    /// The nearest `k` allowed chunks under Qdrant's search `params`.
    fn query_nearest(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
        params: SearchParamsBuilder,
    ) -> Result<Vec<Hit>, IndexError> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let name = self.collection.clone();
        let filter = remote_filter(filter);
        let vector = vector.to_vec();
        let response = self.call(move |c| {
            let query = QueryPointsBuilder::new(name.clone())
                .query(vector.clone())
                .using(DENSE)
                .filter(filter.clone())
                .params(params.clone())
                .limit(k as u64)
                .with_payload(true);
            async move { c.query(query).await }
        })?;
        response
            .result
            .into_iter()
            .map(|p| {
                Ok(Hit {
                    chunk: chunk_of(p.payload)?,
                    score: p.score,
                })
            })
            .collect()
    }

    /// Connects and opens Seogo collection `name`, creating it for
    /// `dimension`-d cosine vectors when it does not exist.
    pub fn open(config: &QdrantConfig, name: &str, dimension: usize) -> Result<Self, IndexError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("seogo-qdrant")
            .enable_all()
            .build()
            .map_err(|e| IndexError::Vector(format!("starting the Qdrant client: {e}")))?;
        let api_key = std::env::var(&config.api_key_env).ok();
        let client = Qdrant::from_url(&config.url)
            .api_key(api_key)
            .timeout(Duration::from_secs(config.timeout_secs))
            .skip_compatibility_check()
            .build()
            .map_err(remote_error)?;
        let store = Self {
            client,
            runtime: Some(runtime),
            collection: format!("{}{name}", config.collection_prefix),
            config: config.clone(),
        };
        store.ensure_collection(dimension)?;
        Ok(store)
    }

    fn ensure_collection(&self, dimension: usize) -> Result<(), IndexError> {
        let name = self.collection.clone();
        let exists = self.call(|c| {
            let name = name.clone();
            async move { c.collection_exists(name).await }
        })?;
        if exists {
            let info = self.call(|c| {
                let name = name.clone();
                async move { c.collection_info(name).await }
            })?;
            let size = info
                .result
                .and_then(|r| r.config)
                .and_then(|c| c.params)
                .and_then(|p| p.vectors_config)
                .and_then(|v| v.config)
                .and_then(|config| match config {
                    qdrant_client::qdrant::vectors_config::Config::ParamsMap(map) => {
                        map.map.get(DENSE).map(|p| p.size)
                    }
                    qdrant_client::qdrant::vectors_config::Config::Params(_) => None,
                });
            return match size {
                Some(size) if size == dimension as u64 => Ok(()),
                other => Err(IndexError::Vector(format!(
                    "Qdrant collection `{name}` holds {} vectors, this embedder makes {dimension}-d: \
                     use another collection_prefix or re-create it",
                    other.map_or("unnamed or other".to_string(), |s| format!("{s}-d"))
                ))),
            };
        }
        let mut vectors = VectorsConfigBuilder::default();
        vectors.add_named_vector_params(
            DENSE,
            VectorParamsBuilder::new(dimension as u64, Distance::Cosine),
        );
        let config = self.config.clone();
        self.call(move |c| {
            let create = CreateCollectionBuilder::new(name.clone())
                .vectors_config(vectors.clone())
                .shard_number(config.shards)
                .replication_factor(config.replication_factor)
                .write_consistency_factor(config.write_consistency_factor);
            async move { c.create_collection(create).await }
        })?;
        for field in INDEXED_FIELDS {
            let name = self.collection.clone();
            self.call(move |c| {
                let index =
                    CreateFieldIndexCollectionBuilder::new(name.clone(), field, FieldType::Keyword)
                        .wait(true);
                async move { c.create_field_index(index).await }
            })?;
        }
        Ok(())
    }

    /// Runs `make(client)` on the store's runtime and waits for it, trying
    /// again with backoff when it fails.
    fn call<T, F, Fut>(&self, make: F) -> Result<T, IndexError>
    where
        T: Send + 'static,
        F: Fn(Qdrant) -> Fut,
        Fut: Future<Output = Result<T, QdrantError>> + Send + 'static,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| IndexError::Vector("the Qdrant client is closed".into()))?;
        let mut attempt = 0;
        loop {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let future = make(self.client.clone());
            runtime.spawn(async move {
                let _ = tx.send(future.await);
            });
            let result = rx
                .recv()
                .map_err(|_| IndexError::Vector("the Qdrant client stopped".into()))?;
            match result {
                Ok(value) => return Ok(value),
                Err(e) if attempt < self.config.retries && retryable(&e) => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(200 << attempt.min(6)));
                }
                Err(e) => return Err(remote_error(e)),
            }
        }
    }

    fn strong() -> WriteOrdering {
        WriteOrdering {
            r#type: WriteOrderingType::Strong as i32,
        }
    }
}

/// Whether a failure may pass on its own (a node restarting, a timeout,
/// back-pressure), as opposed to a request the server will always refuse.
fn retryable(e: &QdrantError) -> bool {
    use tonic::Code;
    match e {
        QdrantError::ResponseError { status } => matches!(
            status.code(),
            Code::Unavailable
                | Code::DeadlineExceeded
                | Code::Aborted
                | Code::Internal
                | Code::Unknown
                | Code::ResourceExhausted
        ),
        QdrantError::ResourceExhaustedError { .. } | QdrantError::Io(_) => true,
        _ => false,
    }
}

/// The Qdrant filter for `filter`: one of the caller's principals in
/// `acl`, and every `key=value` in `meta`.
fn remote_filter(filter: &SearchFilter) -> Filter {
    let mut must = vec![Condition::matches("acl", filter.principals.clone())];
    for (k, v) in &filter.equals {
        must.push(Condition::matches("meta", format!("{k}={v}")));
    }
    Filter::must(must)
}

fn doc_filter(doc_id: &str) -> Filter {
    Filter::must([Condition::matches("doc_id", doc_id.to_string())])
}

fn point(chunk: &Chunk, vector: &[f32]) -> Result<PointStruct, IndexError> {
    let payload = Payload::try_from(json!({
        "doc_id": chunk.doc_id,
        "acl": chunk.acl,
        "meta": filter_terms(chunk),
        "chunk": chunk,
    }))
    .map_err(remote_error)?;
    let vectors = std::collections::HashMap::from([(DENSE.to_string(), vector.to_vec())]);
    Ok(PointStruct::new(point_number(&chunk.id), vectors, payload))
}

fn chunk_of(
    payload: std::collections::HashMap<String, qdrant_client::qdrant::Value>,
) -> Result<Chunk, IndexError> {
    let payload = serde_json::Value::from(Payload::from(payload));
    let chunk = payload
        .get("chunk")
        .cloned()
        .ok_or_else(|| IndexError::Vector("a Qdrant point without its chunk".into()))?;
    Ok(serde_json::from_value(chunk)?)
}

impl VectorStore for QdrantVectorStore {
    fn upsert(&self, chunks: &[Chunk], vectors: &[Vec<f32>]) -> Result<(), IndexError> {
        let points = chunks
            .iter()
            .zip(vectors)
            .map(|(chunk, vector)| point(chunk, vector))
            .collect::<Result<Vec<_>, _>>()?;
        for batch in points.chunks(self.config.upsert_batch.max(1)) {
            let name = self.collection.clone();
            let batch = batch.to_vec();
            self.call(move |c| {
                let upsert = UpsertPointsBuilder::new(name.clone(), batch.clone())
                    .wait(true)
                    .ordering(Self::strong());
                async move { c.upsert_points(upsert).await }
            })?;
        }
        Ok(())
    }

    fn delete_document(&self, doc_id: &str) -> Result<(), IndexError> {
        let name = self.collection.clone();
        let filter = doc_filter(doc_id);
        self.call(move |c| {
            let delete = DeletePointsBuilder::new(name.clone())
                .points(filter.clone())
                .wait(true)
                .ordering(Self::strong());
            async move { c.delete_points(delete).await }
        })?;
        Ok(())
    }

    fn flush(&self) -> Result<(), IndexError> {
        // Every write already waited for the cluster's acknowledgement.
        Ok(())
    }

    fn search(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let ef = usize::try_from(self.config.hnsw_ef).unwrap_or(usize::MAX);
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
        self.query_nearest(vector, filter, k, params)
    }

    fn search_exact(
        &self,
        vector: &[f32],
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        self.query_nearest(
            vector,
            filter,
            k,
            SearchParamsBuilder::default().exact(true),
        )
    }

    fn count(&self) -> Result<u64, IndexError> {
        let name = self.collection.clone();
        let response = self.call(move |c| {
            let count = CountPointsBuilder::new(name.clone()).exact(true);
            async move { c.count(count).await }
        })?;
        Ok(response.result.map_or(0, |r| r.count))
    }

    fn stored_chunks(&self) -> Result<Vec<StoredChunk>, IndexError> {
        let mut stored = Vec::new();
        self.export(&mut |batch| {
            for (chunk, _) in batch {
                stored.push(StoredChunk::of(&chunk)?);
            }
            Ok(())
        })?;
        stored.sort();
        Ok(stored)
    }

    fn export(&self, each: &mut ExportSink<'_>) -> Result<u64, IndexError> {
        let mut offset: Option<PointId> = None;
        let mut total = 0u64;
        loop {
            let name = self.collection.clone();
            let from = offset.clone();
            let page = self.call(move |c| {
                let mut scroll = ScrollPointsBuilder::new(name.clone())
                    .limit(512)
                    .with_payload(true)
                    .with_vectors(true);
                if let Some(from) = from.clone() {
                    scroll = scroll.offset(from);
                }
                async move { c.scroll(scroll).await }
            })?;
            let mut batch = Vec::with_capacity(page.result.len());
            for record in page.result {
                let vector = match record.vectors.and_then(|v| v.get_vector_by_name(DENSE)) {
                    Some(qdrant_client::qdrant::vector_output::Vector::Dense(dense)) => dense.data,
                    _ => {
                        return Err(IndexError::Vector(
                            "a Qdrant point without its vector".into(),
                        ))
                    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_carry_the_acl_and_every_constraint() {
        let filter = remote_filter(&SearchFilter {
            principals: vec!["public".into(), "hr".into()],
            equals: vec![("domain".into(), "finance".into())],
        });
        let text = format!("{filter:?}");
        assert_eq!(filter.must.len(), 2, "{text}");
        assert!(
            text.contains("\"acl\"") && text.contains("\"hr\""),
            "{text}"
        );
        assert!(text.contains("domain=finance"), "{text}");
    }

    #[test]
    fn a_point_carries_its_chunk_and_round_trips() {
        let chunk = Chunk {
            id: "doc#1".into(),
            doc_id: "doc".into(),
            ordinal: 1,
            title: "SOP".into(),
            source: "doc".into(),
            heading_path: vec!["3. 점검".into()],
            page: Some(2),
            locator: None,
            text: "냉각수 펌프".into(),
            header: String::new(),
            domain: seogo_docs::Domain::Manufacturing,
            acl: vec!["public".into()],
            metadata: Default::default(),
        };
        let point = point(&chunk, &[0.5, 0.25]).expect("point");
        assert_eq!(chunk_of(point.payload).expect("chunk"), chunk);
    }

    #[test]
    fn transient_failures_are_retried_and_refusals_are_not() {
        let status = |code| QdrantError::ResponseError {
            status: tonic::Status::new(code, "x"),
        };
        assert!(retryable(&status(tonic::Code::Unavailable)));
        assert!(retryable(&status(tonic::Code::DeadlineExceeded)));
        assert!(!retryable(&status(tonic::Code::InvalidArgument)));
        assert!(!retryable(&status(tonic::Code::NotFound)));
        assert!(!retryable(&QdrantError::ConversionError("x".into())));
    }
}
