//! The BM25 side: a tantivy index on disk whose text field uses the Korean
//! analyzer, and whose ACL and metadata fields filter inside the query.

use std::path::Path;
use std::sync::Mutex;

use seogo_docs::Chunk;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analyzer::{KoreanAnalyzer, Side, INDEX_ANALYZER, QUERY_ANALYZER};
use crate::{Hit, IndexError, SearchFilter};

/// Indexing memory budget: tantivy splits it across its threads.
const WRITER_MEMORY: usize = 100_000_000;

#[derive(Debug, Clone, Copy)]
struct Fields {
    chunk_id: Field,
    doc_id: Field,
    text: Field,
    acl: Field,
    meta: Field,
    chunk: Field,
}

/// A tantivy index of chunks.
pub struct LexicalIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
}

impl std::fmt::Debug for LexicalIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LexicalIndex").finish_non_exhaustive()
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text_opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(INDEX_ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        chunk_id: b.add_text_field("chunk_id", STRING | STORED),
        doc_id: b.add_text_field("doc_id", STRING),
        text: b.add_text_field("text", text_opts),
        acl: b.add_text_field("acl", STRING),
        meta: b.add_text_field("meta", STRING),
        chunk: b.add_text_field("chunk", STORED),
    };
    (b.build(), fields)
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

impl LexicalIndex {
    /// Opens the index in `dir`, creating it if the directory is empty.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|e| IndexError::io(dir, e))?;
        let (schema, fields) = schema();
        let mmap = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| IndexError::Lexical(e.to_string()))?;
        let index = Index::open_or_create(mmap, schema)?;
        index.tokenizers().register(
            INDEX_ANALYZER,
            TextAnalyzer::from(KoreanAnalyzer::new(Side::Index)),
        );
        index.tokenizers().register(
            QUERY_ANALYZER,
            TextAnalyzer::from(KoreanAnalyzer::new(Side::Query)),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
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
            *guard = Some(self.index.writer(WRITER_MEMORY)?);
        }
        match guard.as_mut() {
            Some(writer) => f(writer),
            None => Err(IndexError::Lexical("index writer unavailable".into())),
        }
    }

    /// Stages the replacement of `doc_id`'s chunks; visible after [`commit`](Self::commit).
    pub fn replace_document(&self, doc_id: &str, chunks: &[Chunk]) -> Result<(), IndexError> {
        let f = self.fields;
        self.with_writer(|w| {
            w.delete_term(Term::from_field_text(f.doc_id, doc_id));
            for chunk in chunks {
                let mut d = doc!(
                    f.chunk_id => chunk.id.as_str(),
                    f.doc_id => chunk.doc_id.as_str(),
                    f.text => chunk.indexed_text(),
                    f.chunk => serde_json::to_string(chunk)?,
                );
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

    /// Makes staged changes durable and visible to searches.
    pub fn commit(&self) -> Result<(), IndexError> {
        self.with_writer(|w| {
            w.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// Every chunk id in the index (for consistency checks).
    pub fn chunk_ids(&self) -> Result<Vec<String>, IndexError> {
        let searcher = self.reader.searcher();
        let addresses = searcher.search(
            &tantivy::query::AllQuery,
            &tantivy::collector::DocSetCollector,
        )?;
        let mut ids = Vec::with_capacity(addresses.len());
        for addr in addresses {
            let d: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = d.get_first(self.fields.chunk_id).and_then(|v| v.as_str()) {
                ids.push(id.to_string());
            }
        }
        ids.sort();
        Ok(ids)
    }

    pub fn num_chunks(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The terms the query analyzer makes of `query`.
    pub fn query_terms(query: &str) -> Vec<String> {
        KoreanAnalyzer::new(Side::Query).terms(query)
    }

    /// BM25 top-`k` chunks for `query`, only among chunks `filter` allows.
    pub fn search(
        &self,
        query: &str,
        filter: &SearchFilter,
        k: usize,
    ) -> Result<Vec<Hit>, IndexError> {
        let f = self.fields;
        let mut terms = Self::query_terms(query);
        terms.sort();
        terms.dedup();
        if terms.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let text_query = BooleanQuery::new(
            terms
                .iter()
                .map(|t| {
                    let q: Box<dyn Query> = Box::new(TermQuery::new(
                        Term::from_field_text(f.text, t),
                        IndexRecordOption::WithFreqs,
                    ));
                    (Occur::Should, q)
                })
                .collect(),
        );
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(text_query))];
        let acl = BooleanQuery::new_multiterms_query(
            filter
                .principals
                .iter()
                .map(|p| Term::from_field_text(f.acl, p))
                .collect(),
        );
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(acl), 0.0)),
        ));
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
