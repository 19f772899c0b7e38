//! The layout of a Seogo collection in Qdrant: its two Qdrant
//! collections, their vectors, payload indexes and metadata.

use std::collections::HashMap;

use qdrant_client::qdrant::{
    with_vectors_selector, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder, Distance,
    FieldType, Modifier, SparseVectorParamsBuilder, SparseVectorsConfigBuilder, TextIndexParams,
    TextIndexParamsBuilder, TokenizerType, VectorParamsBuilder, VectorsConfigBuilder,
    VectorsSelector,
};
use qdrant_client::Payload;
use serde_json::json;

use super::client::Client;
use crate::lexical::AverageLengths;
use crate::IndexError;

/// The named vectors of every chunk point.
pub(super) const DENSE: &str = "dense";
pub(super) const SPARSE: &str = "lexical";
/// Payload fields with a keyword index: what filters read.
pub(super) const INDEXED_FIELDS: [&str; 4] = ["doc_id", "acl", "meta", "ids"];
/// The payload field `"phrases"` are matched in (a text index with phrase
/// matching; see `lexical::sparse::phrase_stream`).
pub(super) const PHRASES: &str = "phrase_stream";
/// The payload field `prefix*` terms are matched in: the chunk's own text,
/// under a prefix index (no second copy of the text).
pub(super) const PREFIXES: &str = "chunk.text";
/// The collection layout this code writes and reads (metadata
/// `seogo_layout`); collections without it hold vectors only.
pub(super) const LAYOUT: u64 = 2;

/// Whether a failed create means another node created it first.
pub(super) fn already_exists(e: &IndexError) -> bool {
    e.to_string().contains("already exists")
}

/// Selects one named vector of each point.
pub(super) fn only_vector(name: &str) -> with_vectors_selector::SelectorOptions {
    with_vectors_selector::SelectorOptions::Include(VectorsSelector {
        names: vec![name.to_string()],
    })
}

pub(super) fn poisoned() -> IndexError {
    IndexError::Vector("a lock of the Qdrant store was poisoned".into())
}

/// The average lengths a collection's metadata records, if any yet.
pub(super) fn lengths_of(
    metadata: &serde_json::Map<String, serde_json::Value>,
) -> Result<Option<AverageLengths>, IndexError> {
    match metadata.get("average_lengths") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => Ok(Some(serde_json::from_value(v.clone())?)),
    }
}

pub(super) fn exists(client: &Client, name: &str) -> Result<bool, IndexError> {
    let name = name.to_string();
    client.call(move |c| {
        let name = name.clone();
        async move { c.collection_exists(name).await }
    })
}

pub(super) fn read_metadata(
    client: &Client,
    name: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, IndexError> {
    let n = name.to_string();
    let info = client.call(move |c| {
        let n = n.clone();
        async move { c.collection_info(n).await }
    })?;
    let metadata = info
        .result
        .and_then(|r| r.config)
        .map(|c| c.metadata)
        .unwrap_or_default();
    match serde_json::Value::from(Payload::from(metadata)) {
        serde_json::Value::Object(map) => Ok(map),
        _ => Ok(serde_json::Map::new()),
    }
}

pub(super) fn create_chunks_collection(
    client: &Client,
    name: &str,
    dimension: usize,
    engine_meta: &serde_json::Value,
) -> Result<(), IndexError> {
    let config = client.config.clone();
    let mut dense = VectorsConfigBuilder::default();
    dense.add_named_vector_params(
        DENSE,
        VectorParamsBuilder::new(dimension as u64, Distance::Cosine),
    );
    let mut sparse = SparseVectorsConfigBuilder::default();
    sparse.add_named_vector_params(
        SPARSE,
        SparseVectorParamsBuilder::default().modifier(Modifier::Idf as i32),
    );
    let metadata: HashMap<String, serde_json::Value> = HashMap::from([
        ("seogo_layout".to_string(), json!(LAYOUT)),
        ("dimension".to_string(), json!(dimension)),
        ("engine".to_string(), engine_meta.clone()),
    ]);
    let n = name.to_string();
    client.call(move |c| {
        let create = CreateCollectionBuilder::new(n.clone())
            .vectors_config(dense.clone())
            .sparse_vectors_config(sparse.clone())
            .shard_number(config.shards)
            .replication_factor(config.replication_factor)
            .write_consistency_factor(config.write_consistency_factor)
            // Payload (the chunk, its phrase stream) is read for the top
            // results only: on disk it costs no memory per chunk.
            .on_disk_payload(true)
            .metadata(metadata.clone());
        async move { c.create_collection(create).await }
    })?;
    for field in INDEXED_FIELDS {
        create_index(client, name, field, FieldType::Keyword, None)?;
    }
    let phrases = TextIndexParamsBuilder::new(TokenizerType::Whitespace)
        .lowercase(false)
        .phrase_matching(true)
        .build();
    create_index(client, name, PHRASES, FieldType::Text, Some(phrases))?;
    // Two characters at least, as `parse_query` takes a prefix.
    let prefixes = TextIndexParamsBuilder::new(TokenizerType::Prefix)
        .lowercase(true)
        .min_token_len(2)
        .max_token_len(24)
        .build();
    create_index(client, name, PREFIXES, FieldType::Text, Some(prefixes))?;
    Ok(())
}

/// A payload index on `field` of collection `name`, built before it
/// returns.
fn create_index(
    client: &Client,
    name: &str,
    field: &'static str,
    kind: FieldType,
    text: Option<TextIndexParams>,
) -> Result<(), IndexError> {
    let name = name.to_string();
    client.call(move |c| {
        let mut index =
            CreateFieldIndexCollectionBuilder::new(name.clone(), field, kind).wait(true);
        if let Some(text) = text.clone() {
            index = index.field_index_params(text);
        }
        async move { c.create_field_index(index).await }
    })?;
    Ok(())
}

pub(super) fn create_docs_collection(client: &Client, name: &str) -> Result<(), IndexError> {
    let config = client.config.clone();
    let n = name.to_string();
    client.call(move |c| {
        let create = CreateCollectionBuilder::new(n.clone())
            .shard_number(1)
            .replication_factor(config.replication_factor)
            .write_consistency_factor(config.write_consistency_factor);
        async move { c.create_collection(create).await }
    })?;
    Ok(())
}
