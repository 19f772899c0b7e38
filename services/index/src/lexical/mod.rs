//! The BM25 side: a tantivy index on disk with three views of the text
//! (character bigrams, MeCab-ko morphemes, exact identifiers) and ACL and
//! metadata fields that filter inside the query.

mod analysis;
mod query;
mod snippet;
mod terms;

pub use analysis::{
    AnalyzerKind, IdentifierRules, LexicalResources, LexicalWeights, SynonymSource,
};
pub use query::{parse as parse_query, ParsedQuery};
pub use snippet::{Snippet, SnippetTerms};
pub use terms::ContentTerms;

use std::path::Path;
use std::sync::{Arc, Mutex};

use seogo_analyzer::bigram::{BigramAnalyzer, Side};
use seogo_analyzer::identifiers::IdentifierKind;
use seogo_analyzer::morph::MorphAnalyzer;
use seogo_analyzer::normalize::normalize;
use seogo_analyzer::whitespace::WhitespaceAnalyzer;
use seogo_docs::Chunk;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{TextAnalyzer, Token};
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::{Hit, IndexError, SearchFilter, StoredChunk};

/// Indexing memory budget: tantivy splits it across its threads.
const WRITER_MEMORY: usize = 100_000_000;
/// Tokenizer names in the schema.
const TEXT_TOKENIZER: &str = "seogo_text";
const MORPH_TOKENIZER: &str = "seogo_morph";

#[derive(Debug, Clone, Copy)]
struct Fields {
    chunk_id: Field,
    doc_id: Field,
    /// Bigrams (or whitespace words for that baseline).
    text: Field,
    morph: Field,
    /// Identifier terms, exact.
    ids: Field,
    acl: Field,
    meta: Field,
    chunk: Field,
}

/// A collection's analyzers, for indexing and for queries.
#[derive(Debug, Clone)]
struct Analyzers {
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

/// A tantivy index of chunks.
pub struct LexicalIndex {
    /// Where it lives, for errors that name it.
    dir: std::path::PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    analyzers: Analyzers,
    resources: Arc<LexicalResources>,
}

impl std::fmt::Debug for LexicalIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LexicalIndex")
            .field("analyzer", &self.analyzers.kind)
            .finish_non_exhaustive()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = |tokenizer| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        chunk_id: b.add_text_field("chunk_id", STRING | STORED),
        doc_id: b.add_text_field("doc_id", STRING),
        text: b.add_text_field("text", analysed(TEXT_TOKENIZER)),
        morph: b.add_text_field("morph", analysed(MORPH_TOKENIZER)),
        ids: b.add_text_field("ids", STRING),
        acl: b.add_text_field("acl", STRING),
        meta: b.add_text_field("meta", STRING),
        chunk: b.add_text_field("chunk", STORED),
    };
    (b.build(), fields)
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
fn document_term(term: &str) -> String {
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

/// tantivy's error, with the index's directory and the operating system's
/// reason where the storage failed (a read-only or full disk), so the
/// operator reads "…/lexical: Read-only file system" rather than a lock.
fn storage_error(dir: &Path, e: tantivy::TantivyError) -> IndexError {
    use tantivy::directory::error::LockError;
    let io = match &e {
        tantivy::TantivyError::LockFailure(LockError::LockBusy, _) => return IndexError::LockBusy,
        tantivy::TantivyError::LockFailure(LockError::IoError(io), _) => io,
        tantivy::TantivyError::IoError(io) => io,
        _ => return e.into(),
    };
    IndexError::io(dir, std::io::Error::new(io.kind(), io.to_string()))
}

/// The domain a filter narrows the search to, if any.
fn filter_domain(filter: &SearchFilter) -> Option<&str> {
    filter
        .equals
        .iter()
        .find(|(k, _)| k == "domain")
        .map(|(_, v)| v.as_str())
}

impl LexicalIndex {
    /// Opens the index in `dir` with analyzer `kind`, creating it if the
    /// directory is empty.
    pub fn open(
        dir: &Path,
        kind: AnalyzerKind,
        resources: Arc<LexicalResources>,
    ) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| IndexError::Lexical(e.to_string()))?;
        let index = Index::open_or_create(mmap, schema).map_err(|e| match e {
            tantivy::TantivyError::SchemaError(m) => IndexError::Lexical(format!(
                "{}: built by an older Seogo ({m}); delete the collection and ingest again",
                dir.display()
            )),
            e => storage_error(dir, e),
        })?;
        let analyzers = Analyzers::new(kind, &resources)?;
        let text_analyzer = match kind {
            AnalyzerKind::Whitespace => TextAnalyzer::from(WhitespaceAnalyzer),
            _ => TextAnalyzer::from(BigramAnalyzer::new(Side::Index)),
        };
        index.tokenizers().register(TEXT_TOKENIZER, text_analyzer);
        // tantivy wants a tokenizer for every text field of the schema, even
        // one this analyzer leaves empty.
        let morph_analyzer = match &analyzers.morph {
            Some(m) => TextAnalyzer::from(m.clone()),
            None => TextAnalyzer::from(WhitespaceAnalyzer),
        };
        index.tokenizers().register(MORPH_TOKENIZER, morph_analyzer);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| storage_error(dir, e))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            index,
            reader,
            writer: Mutex::new(None),
            fields,
            analyzers,
            resources,
        })
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| IndexError::Lexical("writer lock poisoned".into()))?;
        if guard.is_none() {
            *guard = Some(
                self.index
                    .writer(WRITER_MEMORY)
                    .map_err(|e| storage_error(&self.dir, e))?,
            );
        }
        let result = match guard.as_mut() {
            Some(writer) => f(writer),
            None => Err(IndexError::Lexical("index writer unavailable".into())),
        };
        if result.is_err() {
            // A writer that failed (a full disk mid-commit) may be unusable
            // for good; dropping it discards what it staged, and the next
            // write starts from the last commit with a fresh one.
            *guard = None;
        }
        result
    }

    /// Stages the replacement of `doc_id`'s chunks; visible after [`commit`](Self::commit).
    pub fn replace_document(&self, doc_id: &str, chunks: &[Chunk]) -> Result<(), IndexError> {
        let f = self.fields;
        let kind = self.analyzers.kind;
        self.with_writer(|w| {
            w.delete_term(Term::from_field_text(f.doc_id, doc_id));
            for chunk in chunks {
                let text = chunk.indexed_text();
                let mut d = doc!(
                    f.chunk_id => chunk.id.as_str(),
                    f.doc_id => chunk.doc_id.as_str(),
                    f.chunk => serde_json::to_string(chunk)?,
                );
                for term in self.identifier_terms(chunk, &text) {
                    d.add_text(f.ids, term);
                }
                for term in self.document_identifiers(chunk) {
                    d.add_text(f.ids, document_term(&term));
                }
                if kind.uses_morphemes() {
                    d.add_text(f.morph, &text);
                }
                if kind.uses_text_field() {
                    d.add_text(f.text, text);
                }
                for g in &chunk.acl {
                    d.add_text(f.acl, g);
                }
                for t in filter_terms(chunk) {
                    d.add_text(f.meta, t);
                }
                w.add_document(d)?;
            }
            Ok(())
        })
    }

    /// Stages the removal of every chunk of `doc_id`.
    pub fn delete_document(&self, doc_id: &str) -> Result<(), IndexError> {
        let field = self.fields.doc_id;
        self.with_writer(|w| {
            w.delete_term(Term::from_field_text(field, doc_id));
            Ok(())
        })
    }

    /// Takes the index's writer lock if no other process holds it: `false`
    /// means a live process is writing this index (tantivy's lock is an OS
    /// file lock, released when its holder dies).
    pub fn try_claim_writer(&self) -> Result<bool, IndexError> {
        match self.with_writer(|_| Ok(())) {
            Ok(()) => Ok(true),
            Err(IndexError::LockBusy) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Drops every change staged since the last commit.
    pub fn rollback(&self) -> Result<(), IndexError> {
        self.with_writer(|w| {
            w.rollback()?;
            Ok(())
        })
    }

    /// Makes staged changes durable and visible to searches.
    pub fn commit(&self) -> Result<(), IndexError> {
        self.with_writer(|w| {
            w.commit().map_err(|e| storage_error(&self.dir, e))?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// Every chunk in the index, sorted by id (for consistency checks).
    pub fn stored_chunks(&self) -> Result<Vec<StoredChunk>, IndexError> {
        let searcher = self.reader.searcher();
        let addresses = searcher.search(
            &tantivy::query::AllQuery,
            &tantivy::collector::DocSetCollector,
        )?;
        let mut stored = Vec::with_capacity(addresses.len());
        for addr in addresses {
            let d: TantivyDocument = searcher.doc(addr)?;
            let json = d
                .get_first(self.fields.chunk)
                .and_then(|v| v.as_str())
                .ok_or_else(|| IndexError::Lexical("stored chunk missing".into()))?;
            stored.push(StoredChunk::of(&serde_json::from_str::<Chunk>(json)?)?);
        }
        stored.sort();
        Ok(stored)
    }

    pub fn num_chunks(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn analyzer(&self) -> AnalyzerKind {
        self.analyzers.kind
    }

    /// The identifier terms `chunk`'s document names for all its chunks:
    /// those of the kinds that say what a document is about (part numbers,
    /// equipment tags, document numbers, ISINs, business numbers) in its
    /// header ([`Chunk::header`]) and metadata values. Alarm codes,
    /// articles, dates and amounts in a header name one fact, not the
    /// document's subject.
    fn document_identifiers(&self, chunk: &Chunk) -> Vec<String> {
        let mut scope = chunk.header.clone();
        for value in chunk.metadata.values() {
            scope.push('\n');
            scope.push_str(value);
        }
        if scope.trim().is_empty() {
            return Vec::new();
        }
        let rules = self.resources.identifier_rules(Some(chunk.domain.as_str()));
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
    fn identifier_terms(&self, chunk: &Chunk, text: &str) -> Vec<String> {
        let rules = self.resources.identifier_rules(Some(chunk.domain.as_str()));
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

    /// Whether `chunk` has every identifier term in `required`: in its
    /// own text, or named by its document for all its chunks (the BM25
    /// side's required clause accepts the same).
    pub fn has_identifiers(&self, chunk: &Chunk, required: &[String]) -> bool {
        if required.is_empty() {
            return true;
        }
        let mut terms = self.identifier_terms(chunk, &chunk.indexed_text());
        if required.iter().any(|r| !terms.contains(r)) {
            terms.extend(self.document_identifiers(chunk));
        }
        required.iter().all(|r| terms.contains(r))
    }

    /// BM25 top-`k` chunks for `query`, only among chunks `filter` allows.
    /// Matches chunks one of the filter's principals may read.
    fn acl_query(&self, filter: &SearchFilter) -> Box<dyn Query> {
        let acl = BooleanQuery::new_multiterms_query(
            filter
                .principals
                .iter()
                .map(|p| Term::from_field_text(self.fields.acl, p))
                .collect(),
        );
        Box::new(ConstScoreQuery::new(Box::new(acl), 0.0))
    }

    /// The chunks of `doc_id` the filter's principals may read, in order.
    pub fn document_chunks(
        &self,
        doc_id: &str,
        filter: &SearchFilter,
    ) -> Result<Vec<Chunk>, IndexError> {
        let doc = TermQuery::new(
            Term::from_field_text(self.fields.doc_id, doc_id),
            IndexRecordOption::Basic,
        );
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(doc) as Box<dyn Query>),
            (Occur::Must, self.acl_query(filter)),
        ]);
        let searcher = self.reader.searcher();
        let addresses = searcher.search(&query, &tantivy::collector::DocSetCollector)?;
        let mut chunks = Vec::with_capacity(addresses.len());
        for addr in addresses {
            let d: TantivyDocument = searcher.doc(addr)?;
            let json = d
                .get_first(self.fields.chunk)
                .and_then(|v| v.as_str())
                .ok_or_else(|| IndexError::Lexical("stored chunk missing".into()))?;
            chunks.push(serde_json::from_str::<Chunk>(json)?);
        }
        chunks.sort_by_key(|c| c.ordinal);
        Ok(chunks)
    }

    pub fn search(
        &self,
        query: &str,
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let f = self.fields;
        let parsed = parse_query(query);
        let scoring = query::build(
            &parsed,
            filter_domain(filter),
            &f,
            &self.analyzers,
            &self.resources,
        )?;
        let Some(scoring) = scoring.filter(|_| k > 0) else {
            return Ok(Vec::new());
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, scoring),
            (Occur::Must, self.acl_query(filter)),
        ];
        for (key, value) in &filter.equals {
            let term = Term::from_field_text(f.meta, &format!("{key}={value}"));
            let q = TermQuery::new(term, IndexRecordOption::Basic);
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(Box::new(q), 0.0)),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &query,
            &tantivy::collector::TopDocs::with_limit(k).order_by_score(),
        )?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            let json = d
                .get_first(f.chunk)
                .and_then(|v| v.as_str())
                .ok_or_else(|| IndexError::Lexical("stored chunk missing".into()))?;
            hits.push(Hit {
                chunk: serde_json::from_str(json)?,
                score,
            });
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests;
