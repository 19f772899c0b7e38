//! The lexical index on the node's own disk: tantivy, with the three views
//! of the text as fields and ACL and metadata fields that filter inside
//! the query. A collection on a Qdrant cluster keeps the same views as a
//! sparse vector instead (`super::sparse`).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use seogo_analyzer::bigram::{BigramAnalyzer, Side};
use seogo_analyzer::whitespace::WhitespaceAnalyzer;
use seogo_types::Chunk;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::{
    document_identifiers, document_term, filter_domain, filter_terms, identifier_terms, query,
    Analyzers, LexicalResources, ParsedQuery,
};
use crate::{AnalyzerKind, Hit, IndexError, SearchFilter, StoredChunk};

/// Indexing memory budget: tantivy splits it across its threads.
const WRITER_MEMORY: usize = 100_000_000;
/// Tokenizer names in the schema.
const TEXT_TOKENIZER: &str = "seogo_text";
const MORPH_TOKENIZER: &str = "seogo_morph";

#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    chunk_id: Field,
    doc_id: Field,
    /// Bigrams (or whitespace words for that baseline).
    pub(super) text: Field,
    pub(super) morph: Field,
    /// Identifier terms, exact.
    pub(super) ids: Field,
    acl: Field,
    meta: Field,
    chunk: Field,
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

/// A tantivy index of chunks in one directory.
pub(super) struct InvertedIndex {
    /// Where it lives, for errors that name it.
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    pub(super) fields: Fields,
}

impl InvertedIndex {
    /// Opens the index in `dir` for `analyzers`, creating it if the
    /// directory is empty.
    pub(super) fn open(dir: &Path, analyzers: &Analyzers) -> Result<Self, IndexError> {
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
        let text_analyzer = match analyzers.kind {
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

    /// Stages `chunks` (after deleting `replacing`'s, when given).
    pub(super) fn add_chunks(
        &self,
        replacing: Option<&str>,
        chunks: &[Chunk],
        analyzers: &Analyzers,
        resources: &LexicalResources,
    ) -> Result<(), IndexError> {
        let f = self.fields;
        let kind = analyzers.kind;
        self.with_writer(|w| {
            if let Some(doc_id) = replacing {
                w.delete_term(Term::from_field_text(f.doc_id, doc_id));
            }
            for chunk in chunks {
                let text = chunk.indexed_text();
                let mut d = doc!(
                    f.chunk_id => chunk.id.as_str(),
                    f.doc_id => chunk.doc_id.as_str(),
                    f.chunk => serde_json::to_string(chunk)?,
                );
                for term in identifier_terms(resources, chunk, &text) {
                    d.add_text(f.ids, term);
                }
                for term in document_identifiers(resources, chunk) {
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
    pub(super) fn delete_document(&self, doc_id: &str) -> Result<(), IndexError> {
        let field = self.fields.doc_id;
        self.with_writer(|w| {
            w.delete_term(Term::from_field_text(field, doc_id));
            Ok(())
        })
    }

    /// Takes the index's writer lock if no other process holds it.
    pub(super) fn try_claim_writer(&self) -> Result<bool, IndexError> {
        match self.with_writer(|_| Ok(())) {
            Ok(()) => Ok(true),
            Err(IndexError::LockBusy) => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub(super) fn rollback(&self) -> Result<(), IndexError> {
        self.with_writer(|w| {
            w.rollback()?;
            Ok(())
        })
    }

    pub(super) fn commit(&self) -> Result<(), IndexError> {
        self.with_writer(|w| {
            w.commit().map_err(|e| storage_error(&self.dir, e))?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    fn stored(&self, d: &TantivyDocument) -> Result<Chunk, IndexError> {
        let json = d
            .get_first(self.fields.chunk)
            .and_then(|v| v.as_str())
            .ok_or_else(|| IndexError::Lexical("stored chunk missing".into()))?;
        Ok(serde_json::from_str(json)?)
    }

    pub(super) fn stored_chunks(&self) -> Result<Vec<StoredChunk>, IndexError> {
        let searcher = self.reader.searcher();
        let addresses = searcher.search(
            &tantivy::query::AllQuery,
            &tantivy::collector::DocSetCollector,
        )?;
        let mut stored = Vec::with_capacity(addresses.len());
        for addr in addresses {
            stored.push(StoredChunk::of(&self.stored(&searcher.doc(addr)?)?)?);
        }
        stored.sort();
        Ok(stored)
    }

    pub(super) fn num_chunks(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

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

    pub(super) fn document_chunks(
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
            chunks.push(self.stored(&searcher.doc(addr)?)?);
        }
        chunks.sort_by_key(|c| c.ordinal);
        Ok(chunks)
    }

    pub(super) fn search(
        &self,
        parsed: &ParsedQuery,
        filter: &SearchFilter,
        k: usize,
        analyzers: &Analyzers,
        resources: &LexicalResources,
    ) -> Result<Vec<Hit>, IndexError> {
        let f = self.fields;
        let scoring = query::build(parsed, filter_domain(filter), &f, analyzers, resources)?;
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
            hits.push(Hit {
                chunk: self.stored(&searcher.doc(addr)?)?,
                score,
            });
        }
        Ok(hits)
    }

    /// Average tokens per chunk in each view, as BM25 here normalises by
    /// (`None` for an empty index).
    pub(super) fn average_lengths(&self) -> Result<Option<super::AverageLengths>, IndexError> {
        let searcher = self.reader.searcher();
        let chunks = searcher.num_docs();
        if chunks == 0 {
            return Ok(None);
        }
        let average = |field: Field| -> Result<f32, IndexError> {
            let mut tokens = 0u64;
            for segment in searcher.segment_readers() {
                tokens += segment.inverted_index(field)?.total_num_tokens();
            }
            Ok(tokens as f32 / chunks as f32)
        };
        Ok(Some(super::AverageLengths {
            text: average(self.fields.text)?,
            morph: average(self.fields.morph)?,
            ids: average(self.fields.ids)?,
        }))
    }

    /// BM25's inverse document frequency of `term` in `field`.
    pub(super) fn idf(&self, field: Field, term: &str) -> f32 {
        let searcher = self.reader.searcher();
        let chunks = searcher.num_docs() as f32;
        let df = searcher
            .doc_freq(&Term::from_field_text(field, term))
            .unwrap_or(0) as f32;
        bm25_idf(chunks, df)
    }
}

/// BM25's inverse document frequency (tantivy's and Qdrant's formula).
pub(super) fn bm25_idf(chunks: f32, df: f32) -> f32 {
    (1.0 + (chunks - df + 0.5) / (df + 0.5)).ln()
}
