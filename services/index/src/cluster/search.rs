//! Queries on a cluster collection: dense, sparse (BM25), both fused in
//! Qdrant, a document's chunks and the sparse side's IDF. Every filter
//! (ACL, metadata, required identifiers, phrases, prefixes) runs inside
//! Qdrant.

use std::collections::HashMap;

use qdrant_client::qdrant::{
    vector_output, Condition, Filter, PrefetchQueryBuilder, Query, QueryBatchPointsBuilder,
    QueryPoints, QueryPointsBuilder, RrfBuilder, SearchParamsBuilder, VectorInput,
};
use qdrant_client::Payload;
use seogo_types::Chunk;

use super::schema::{only_vector, DENSE, PHRASES, PREFIXES, SPARSE};
use super::ClusterStore;
use crate::lexical::sparse::SparseQuery;
use crate::{Hit, IndexError, SearchFilter};

impl ClusterStore {
    /// The nearest `k` allowed chunks to `query` in vector `using`.
    pub(super) fn query_nearest(
        &self,
        query: VectorInput,
        using: &str,
        filter: Filter,
        k: usize,
        params: Option<SearchParamsBuilder>,
    ) -> Result<Vec<Hit>, IndexError> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let name = self.collection.clone();
        let using = using.to_string();
        let response = self.client.call(move |c| {
            let mut request = QueryPointsBuilder::new(name.clone())
                .query(query.clone())
                .using(using.clone())
                .filter(filter.clone())
                .limit(k as u64)
                .with_payload(true);
            if let Some(params) = params.clone() {
                request = request.params(params);
            }
            async move { c.query(request).await }
        })?;
        hits_of(response.result)
    }

    /// BM25 top-`k` through the sparse vectors, filtered inside Qdrant.
    pub(crate) fn search_sparse(
        &self,
        query: &SparseQuery,
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        self.query_nearest(
            VectorInput::new_sparse(query.vector.indices.clone(), query.vector.values.clone()),
            SPARSE,
            lexical_filter(query, filter),
            k,
            None,
        )
    }

    /// Whether hybrid search fuses inside Qdrant ([`Self::search_fused`]).
    pub fn fuses_in_qdrant(&self) -> bool {
        self.client.config.fusion == super::ClusterFusion::Qdrant
    }

    /// Hybrid top-`k` in one Query API call: the sparse (`lexical_k`) and
    /// dense (`dense_k`) candidates as prefetches, fused by Qdrant's
    /// weighted RRF with `weights` (sparse, dense) and constant `rrf_k`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn search_fused(
        &self,
        sparse: Option<&SparseQuery>,
        dense: &[f32],
        filter: &SearchFilter,
        depths: (usize, usize),
        weights: (f32, f32),
        rrf_k: u32,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let (lexical_k, dense_k) = depths;
        let mut prefetches = Vec::new();
        let mut rrf_weights = Vec::new();
        if let Some(sparse) = sparse {
            let remote = lexical_filter(sparse, filter);
            prefetches.push(
                PrefetchQueryBuilder::default()
                    .query(VectorInput::new_sparse(
                        sparse.vector.indices.clone(),
                        sparse.vector.values.clone(),
                    ))
                    .using(SPARSE)
                    .filter(remote)
                    .limit(lexical_k as u64)
                    .build(),
            );
            rrf_weights.push(weights.0);
        }
        let ef = self.client.config.hnsw_ef.max(dense_k as u64);
        prefetches.push(
            PrefetchQueryBuilder::default()
                .query(VectorInput::new_dense(dense.to_vec()))
                .using(DENSE)
                .filter(remote_filter(filter))
                .params(SearchParamsBuilder::default().hnsw_ef(ef))
                .limit(dense_k as u64)
                .build(),
        );
        rrf_weights.push(weights.1);
        let name = self.collection.clone();
        let response = self.client.call(move |c| {
            let rrf = RrfBuilder::with_k(rrf_k).weights(rrf_weights.clone());
            let request = QueryPointsBuilder::new(name.clone())
                .prefetch(prefetches.clone())
                .query(Query::new_rrf(rrf))
                .limit(k as u64)
                .with_payload(true);
            async move { c.query(request).await }
        })?;
        hits_of(response.result)
    }

    /// The chunks of `doc_id` the filter's principals may read, in order.
    pub(crate) fn document_chunks(
        &self,
        doc_id: &str,
        filter: &SearchFilter,
    ) -> Result<Vec<Chunk>, IndexError> {
        let mut only = filter.clone();
        only.equals = vec![("doc_id".into(), doc_id.into())];
        let mut chunks = Vec::new();
        self.scroll(Some(remote_filter(&only)), false, &mut |batch| {
            chunks.extend(batch.into_iter().map(|(c, _)| c));
            Ok(())
        })?;
        chunks.sort_by_key(|c| c.ordinal);
        Ok(chunks)
    }

    /// BM25's inverse document frequency of each sparse dimension, as
    /// Qdrant computes it for queries: one single-term query per dimension
    /// (in one batch) returns a point's score `idf × value`, and the point's
    /// own value gives the idf. A dimension no chunk has weighs most.
    pub(crate) fn idf(&self, dimensions: &[u32]) -> Result<Vec<f32>, IndexError> {
        if dimensions.is_empty() {
            return Ok(Vec::new());
        }
        let name = self.collection.clone();
        let queries: Vec<QueryPoints> = dimensions
            .iter()
            .map(|d| {
                QueryPointsBuilder::new(name.clone())
                    .query(VectorInput::new_sparse(vec![*d], vec![1.0]))
                    .using(SPARSE)
                    .limit(1)
                    .with_vectors(only_vector(SPARSE))
                    .build()
            })
            .collect();
        let response = self.client.call(move |c| {
            let batch = QueryBatchPointsBuilder::new(name.clone(), queries.clone());
            async move { c.query_batch(batch).await }
        })?;
        // Each term's idf, `None` where no chunk has it.
        let seen: Vec<Option<f32>> = dimensions
            .iter()
            .zip(response.result)
            .map(|(d, batch)| {
                let point = batch.result.into_iter().next()?;
                let value = point
                    .vectors
                    .and_then(|v| v.get_vector_by_name(SPARSE))
                    .and_then(|v| match v {
                        vector_output::Vector::Sparse(s) => {
                            s.indices.iter().position(|i| i == d).map(|at| s.values[at])
                        }
                        _ => None,
                    })?;
                (value > 0.0).then(|| point.score / value)
            })
            .collect();
        // A term no chunk has weighs most; the count it needs is one more
        // call, made only then.
        let unseen = if seen.iter().any(Option::is_none) {
            let chunks = self.count_where(None)? as f32;
            (1.0f32 + (chunks + 0.5) / 0.5).ln()
        } else {
            0.0
        };
        Ok(seen.into_iter().map(|w| w.unwrap_or(unseen)).collect())
    }
}

/// The Qdrant filter for `filter`: one of the caller's principals in
/// `acl`, every `key=value` in `meta`, and each required identifier among
/// the chunk's own or its document's identifier terms.
pub(super) fn remote_filter(filter: &SearchFilter) -> Filter {
    let mut must = vec![Condition::matches("acl", filter.principals.clone())];
    for (k, v) in &filter.equals {
        must.push(Condition::matches("meta", format!("{k}={v}")));
    }
    for id in &filter.identifiers {
        must.push(
            Filter::should([
                Condition::matches("ids", id.clone()),
                Condition::matches("ids", crate::lexical::document_term(id)),
            ])
            .into(),
        );
    }
    Filter::must(must)
}

/// The BM25 side's filter: the caller's, plus the query's required
/// identifiers, each `"phrase"` in the phrase stream and each `prefix*`
/// starting a word of the chunk's text (Qdrant's prefix index splits
/// words at punctuation too, so `PN-44*` needs a word starting `pn` and
/// one starting `44`, where tantivy needs one token starting `pn-44`).
fn lexical_filter(query: &SparseQuery, filter: &SearchFilter) -> Filter {
    let mut lexical = filter.clone();
    lexical.identifiers.extend(query.required.iter().cloned());
    let mut remote = remote_filter(&lexical);
    for phrase in &query.phrases {
        remote
            .must
            .push(Condition::matches_phrase(PHRASES, phrase.clone()));
    }
    for prefix in &query.prefixes {
        remote
            .must
            .push(Condition::matches_text(PREFIXES, prefix.clone()));
    }
    remote
}

/// Qdrant's scored points as hits.
fn hits_of(points: Vec<qdrant_client::qdrant::ScoredPoint>) -> Result<Vec<Hit>, IndexError> {
    points
        .into_iter()
        .map(|p| {
            Ok(Hit {
                chunk: chunk_of(p.payload)?,
                score: p.score,
            })
        })
        .collect()
}

pub(super) fn chunk_of(
    payload: HashMap<String, qdrant_client::qdrant::Value>,
) -> Result<Chunk, IndexError> {
    let payload = serde_json::Value::from(Payload::from(payload));
    let chunk = payload
        .get("chunk")
        .cloned()
        .ok_or_else(|| IndexError::Vector("a Qdrant point without its chunk".into()))?;
    Ok(serde_json::from_value(chunk)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_carry_the_acl_every_constraint_and_required_identifiers() {
        let filter = remote_filter(&SearchFilter {
            principals: vec!["public".into(), "hr".into()],
            equals: vec![("domain".into(), "finance".into())],
            identifiers: vec!["pn-4471-a".into()],
        });
        let text = format!("{filter:?}");
        assert_eq!(filter.must.len(), 3, "{text}");
        assert!(
            text.contains("\"acl\"") && text.contains("\"hr\""),
            "{text}"
        );
        assert!(text.contains("domain=finance"), "{text}");
        assert!(text.contains("doc:pn-4471-a"), "{text}");
    }
}
