//! The BM25 side: a tantivy index on disk with three views of the text
//! (character bigrams, MeCab-ko morphemes, exact identifiers) and ACL and
//! metadata fields that filter inside the query.

mod analysis;
mod inverted;
mod query;
mod snippet;
pub(crate) mod sparse;
mod terms;

pub use analysis::{
    AnalyzerKind, IdentifierRules, LexicalResources, LexicalWeights, SynonymSource,
};
pub use query::{parse as parse_query, ParsedQuery};
pub use snippet::{Snippet, SnippetTerms};
pub use sparse::AverageLengths;
pub use terms::ContentTerms;

use std::path::Path;
use std::sync::Arc;

use seogo_analyzer::bigram::{BigramAnalyzer, Side};
use seogo_analyzer::identifiers::IdentifierKind;
use seogo_analyzer::morph::MorphAnalyzer;
use seogo_analyzer::normalize::normalize;
use seogo_analyzer::whitespace::WhitespaceAnalyzer;
use seogo_types::Chunk;
use tantivy::query::Query;
use tantivy::tokenizer::Token;

use crate::cluster::ClusterStore;
use crate::{Hit, IndexError, SearchFilter, StoredChunk};
use inverted::{Fields, InvertedIndex};

/// A collection's analyzers, for indexing and for queries.
#[derive(Debug, Clone)]
pub(crate) struct Analyzers {
    kind: AnalyzerKind,
    morph: Option<MorphAnalyzer>,
}

impl Analyzers {
    fn new(kind: AnalyzerKind, resources: &LexicalResources) -> Result<Self, IndexError> {
        let morph = match (kind.uses_morphemes(), &resources.dictionary) {
            (false, _) => None,
            (true, Some(d)) => Some(MorphAnalyzer::new(d.clone())),
            (true, None) => {
                return Err(IndexError::Analysis(format!(
                "the `{kind}` analyzer needs the MeCab-ko dictionary (run `seogo models install`)"
            )))
            }
        };
        Ok(Self { kind, morph })
    }

    fn text_tokens(&self, text: &str, side: Side) -> Option<Vec<Token>> {
        match self.kind {
            AnalyzerKind::Morph => None,
            AnalyzerKind::Whitespace => Some(WhitespaceAnalyzer.analyze(text)),
            AnalyzerKind::Bigram | AnalyzerKind::Combined => {
                Some(BigramAnalyzer::new(side).analyze(text))
            }
        }
    }

    /// Query terms for the `text` field, if this analyzer fills it.
    fn query_text_terms(&self, text: &str) -> Option<Vec<String>> {
        self.text_tokens(text, Side::Query)
            .map(|t| t.into_iter().map(|t| t.text).collect())
    }

    /// Terms for the `morph` field, if this analyzer fills it.
    fn morph_terms(&self, text: &str) -> Option<Vec<String>> {
        self.morph.as_ref().map(|m| m.terms(text))
    }

    /// The phrase as positioned terms of the character field (or morphemes
    /// when that is all there is); the first term at each position.
    fn phrase_query(&self, fields: &Fields, phrase: &str) -> Option<Box<dyn Query>> {
        let (field, tokens) = match self.text_tokens(phrase, Side::Query) {
            Some(t) => (fields.text, t),
            None => (fields.morph, self.morph.as_ref()?.analyze(phrase)),
        };
        let mut terms: Vec<(usize, String)> = Vec::new();
        for t in tokens {
            if terms.last().is_none_or(|(p, _)| *p != t.position) {
                terms.push((t.position, t.text));
            }
        }
        query::positioned_phrase(field, terms)
    }
}

/// A collection's lexical side: its analyzers, and where the analysed
/// text lives: a tantivy index on this node's disk, or the sparse vectors
/// of a Qdrant cluster collection (written with the dense vectors by the
/// collection's [`ClusterStore`], so a node keeps nothing).
pub struct LexicalIndex {
    analyzers: Analyzers,
    resources: Arc<LexicalResources>,
    storage: Storage,
}

enum Storage {
    Local(Box<InvertedIndex>),
    Cluster(Arc<ClusterStore>),
}

impl std::fmt::Debug for LexicalIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LexicalIndex")
            .field("analyzer", &self.analyzers.kind)
            .field(
                "storage",
                &match self.storage {
                    Storage::Local(_) => "tantivy",
                    Storage::Cluster(_) => "qdrant sparse",
                },
            )
            .finish()
    }
}

/// Identifier kinds a document's header or metadata scopes to all its
/// chunks (see `LexicalIndex::document_identifiers`).
const DOCUMENT_SCOPED_KINDS: [IdentifierKind; 5] = [
    IdentifierKind::PartNumber,
    IdentifierKind::EquipmentTag,
    IdentifierKind::DocumentNumber,
    IdentifierKind::Isin,
    IdentifierKind::BusinessNumber,
];

/// The `ids` term of identifier `term` named by a chunk's document rather
/// than its own text: kept apart so it satisfies a required identifier
/// without scoring like one the chunk states itself.
pub(crate) fn document_term(term: &str) -> String {
    format!("doc:{term}")
}

/// `key=value` terms a chunk can be filtered by: its domain, document id and
/// every metadata entry.
pub fn filter_terms(chunk: &Chunk) -> Vec<String> {
    let mut terms = vec![
        format!("domain={}", chunk.domain),
        format!("doc_id={}", chunk.doc_id),
    ];
    terms.extend(chunk.metadata.iter().map(|(k, v)| format!("{k}={v}")));
    terms
}

/// The domain a filter narrows the search to, if any.
fn filter_domain(filter: &SearchFilter) -> Option<&str> {
    filter
        .equals
        .iter()
        .find(|(k, _)| k == "domain")
        .map(|(_, v)| v.as_str())
}

/// A chunk's identifier terms, as indexed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChunkIdentifiers {
    /// Found in the chunk's own text (title, headings, text).
    pub own: Vec<String>,
    /// Named by its document (header, metadata) for all its chunks.
    pub from_document: Vec<String>,
}

/// The identifier terms `chunk`'s document names for all its chunks:
/// those of the kinds that say what a document is about (part numbers,
/// equipment tags, document numbers, ISINs, business numbers) in its
/// header ([`Chunk::header`]) and metadata values. Alarm codes,
/// articles, dates and amounts in a header name one fact, not the
/// document's subject.
fn document_identifiers(resources: &LexicalResources, chunk: &Chunk) -> Vec<String> {
    let mut scope = chunk.header.clone();
    for value in chunk.metadata.values() {
        scope.push('\n');
        scope.push_str(value);
    }
    if scope.trim().is_empty() {
        return Vec::new();
    }
    let rules = resources.identifier_rules(Some(chunk.domain.as_str()));
    let mut terms: Vec<String> = rules
        .extractor
        .extract(&normalize(&scope))
        .into_iter()
        .filter(|id| DOCUMENT_SCOPED_KINDS.contains(&id.kind))
        .flat_map(|id| id.terms)
        .collect();
    terms.sort();
    terms.dedup();
    terms
}

/// Every identifier term of `chunk` (its domain's rules).
fn identifier_terms(resources: &LexicalResources, chunk: &Chunk, text: &str) -> Vec<String> {
    let rules = resources.identifier_rules(Some(chunk.domain.as_str()));
    let mut terms: Vec<String> = rules
        .extractor
        .extract(&normalize(text))
        .into_iter()
        .flat_map(|id| id.terms)
        .collect();
    terms.sort();
    terms.dedup();
    terms
}

impl LexicalIndex {
    /// Opens the index in `dir` with analyzer `kind`, creating it if the
    /// directory is empty.
    pub fn open(
        dir: &Path,
        kind: AnalyzerKind,
        resources: Arc<LexicalResources>,
    ) -> Result<Self, IndexError> {
        let analyzers = Analyzers::new(kind, &resources)?;
        let storage = Storage::Local(Box::new(InvertedIndex::open(dir, &analyzers)?));
        Ok(Self {
            analyzers,
            resources,
            storage,
        })
    }

    /// The lexical side of a cluster collection: its sparse vectors in
    /// `store`, which from now on writes them with every point.
    pub fn on_cluster(
        store: Arc<ClusterStore>,
        kind: AnalyzerKind,
        resources: Arc<LexicalResources>,
    ) -> Result<Self, IndexError> {
        let analyzers = Analyzers::new(kind, &resources)?;
        store.set_encoder(sparse::SparseEncoder::new(
            analyzers.clone(),
            resources.clone(),
        ));
        Ok(Self {
            analyzers,
            resources,
            storage: Storage::Cluster(store),
        })
    }

    /// Stages the replacement of `doc_id`'s chunks; visible after [`commit`](Self::commit).
    /// On a cluster the vector store writes them (with their sparse vectors).
    pub fn replace_document(&self, doc_id: &str, chunks: &[Chunk]) -> Result<(), IndexError> {
        match &self.storage {
            Storage::Local(index) => {
                index.add_chunks(Some(doc_id), chunks, &self.analyzers, &self.resources)
            }
            Storage::Cluster(_) => Ok(()),
        }
    }

    /// Stages `chunks` without removing anything first (a copy into an
    /// empty index: `seogo migrate`).
    pub fn add_chunks(&self, chunks: &[Chunk]) -> Result<(), IndexError> {
        match &self.storage {
            Storage::Local(index) => {
                index.add_chunks(None, chunks, &self.analyzers, &self.resources)
            }
            Storage::Cluster(_) => Ok(()),
        }
    }

    /// Stages the removal of every chunk of `doc_id`.
    pub fn delete_document(&self, doc_id: &str) -> Result<(), IndexError> {
        match &self.storage {
            Storage::Local(index) => index.delete_document(doc_id),
            Storage::Cluster(_) => Ok(()),
        }
    }

    /// Takes the index's writer lock if no other process holds it: `false`
    /// means a live process is writing this index (tantivy's lock is an OS
    /// file lock, released when its holder dies). A cluster has no lock.
    pub fn try_claim_writer(&self) -> Result<bool, IndexError> {
        match &self.storage {
            Storage::Local(index) => index.try_claim_writer(),
            Storage::Cluster(_) => Ok(true),
        }
    }

    /// Drops every change staged since the last commit.
    pub fn rollback(&self) -> Result<(), IndexError> {
        match &self.storage {
            Storage::Local(index) => index.rollback(),
            Storage::Cluster(_) => Ok(()),
        }
    }

    /// Makes staged changes durable and visible to searches.
    pub fn commit(&self) -> Result<(), IndexError> {
        match &self.storage {
            Storage::Local(index) => index.commit(),
            Storage::Cluster(_) => Ok(()),
        }
    }

    /// Every chunk in the index, sorted by id (for consistency checks).
    pub fn stored_chunks(&self) -> Result<Vec<StoredChunk>, IndexError> {
        match &self.storage {
            Storage::Local(index) => index.stored_chunks(),
            Storage::Cluster(store) => store.stored_chunks_with_sparse(),
        }
    }

    pub fn num_chunks(&self) -> Result<u64, IndexError> {
        match &self.storage {
            Storage::Local(index) => Ok(index.num_chunks()),
            Storage::Cluster(store) => store.count_sparse(),
        }
    }

    pub fn analyzer(&self) -> AnalyzerKind {
        self.analyzers.kind
    }

    /// On a cluster: fixes the sparse vectors' average lengths to
    /// `lengths` unless the collection has some (see
    /// [`ClusterStore::adopt_average_lengths`]); nothing locally.
    pub fn adopt_average_lengths(&self, lengths: AverageLengths) -> Result<(), IndexError> {
        match &self.storage {
            Storage::Local(_) => Ok(()),
            Storage::Cluster(store) => store.adopt_average_lengths(lengths),
        }
    }

    /// Average tokens per chunk in each view: measured from the index
    /// here, from the first batch written on a cluster (`None` before).
    pub fn average_lengths(&self) -> Result<Option<AverageLengths>, IndexError> {
        match &self.storage {
            Storage::Local(index) => index.average_lengths(),
            Storage::Cluster(store) => store.average_lengths(),
        }
    }

    /// The identifier terms a result must contain for `query` (the
    /// required kinds of the filter's domain): the dense side filters by
    /// them too, so an exact code is never outranked by a near one.
    pub fn required_identifiers(&self, query: &str, filter: &SearchFilter) -> Vec<String> {
        let rules = self.resources.identifier_rules(filter_domain(filter));
        rules
            .extractor
            .extract(&normalize(&parse_query(query).free))
            .into_iter()
            .filter_map(|id| rules.required_term(&id).map(str::to_string))
            .collect()
    }

    /// The identifier terms the index keeps for `chunk`: those in its own
    /// text, and those its document names for all its chunks (header and
    /// metadata). What the console shows as "identifiers found".
    pub fn identifiers_of(&self, chunk: &Chunk) -> ChunkIdentifiers {
        ChunkIdentifiers {
            own: identifier_terms(&self.resources, chunk, &chunk.indexed_text()),
            from_document: document_identifiers(&self.resources, chunk),
        }
    }

    /// Whether `chunk` has every identifier term in `required`: in its
    /// own text, or named by its document for all its chunks (the BM25
    /// side's required clause accepts the same).
    pub fn has_identifiers(&self, chunk: &Chunk, required: &[String]) -> bool {
        if required.is_empty() {
            return true;
        }
        let mut terms = identifier_terms(&self.resources, chunk, &chunk.indexed_text());
        if required.iter().any(|r| !terms.contains(r)) {
            terms.extend(document_identifiers(&self.resources, chunk));
        }
        required.iter().all(|r| terms.contains(r))
    }

    /// The chunks of `doc_id` the filter's principals may read, in order.
    pub fn document_chunks(
        &self,
        doc_id: &str,
        filter: &SearchFilter,
    ) -> Result<Vec<Chunk>, IndexError> {
        match &self.storage {
            Storage::Local(index) => index.document_chunks(doc_id, filter),
            Storage::Cluster(store) => store.document_chunks(doc_id, filter),
        }
    }

    /// Hybrid top-`k` fused inside Qdrant, when this is a cluster
    /// collection configured for it (`None` otherwise): `depths` and
    /// `weights` are (lexical, dense).
    #[allow(clippy::too_many_arguments)] // the two lists' settings, as the engine has them
    pub fn search_fused_on_cluster(
        &self,
        query: &str,
        vector: &[f32],
        filter: &SearchFilter,
        depths: (usize, usize),
        weights: (f32, f32),
        rrf_k: u32,
        k: usize,
    ) -> Result<Option<Vec<Hit>>, IndexError> {
        let Storage::Cluster(store) = &self.storage else {
            return Ok(None);
        };
        if !store.fuses_in_qdrant() {
            return Ok(None);
        }
        let parsed = parse_query(query);
        let sparse = sparse::query(&parsed, filter, &self.analyzers, &self.resources);
        store
            .search_fused(sparse.as_ref(), vector, filter, depths, weights, rrf_k, k)
            .map(Some)
    }

    /// Whether hybrid search on this collection fuses inside Qdrant.
    pub fn fuses_on_cluster(&self) -> bool {
        matches!(&self.storage, Storage::Cluster(store) if store.fuses_in_qdrant())
    }

    /// BM25 top-`k` chunks for `query`, only among chunks `filter` allows.
    pub fn search(
        &self,
        query: &str,
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let parsed = parse_query(query);
        match &self.storage {
            Storage::Local(index) => {
                index.search(&parsed, filter, k, &self.analyzers, &self.resources)
            }
            Storage::Cluster(store) => {
                let query = sparse::query(&parsed, filter, &self.analyzers, &self.resources);
                match query {
                    Some(query) if k > 0 => store.search_sparse(&query, filter, k),
                    _ => Ok(Vec::new()),
                }
            }
        }
    }
}
