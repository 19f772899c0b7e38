//! `seogo bench search`: query latency and throughput of bm25, dense and
//! hybrid search at a given collection size, with the index's disk size,
//! open time and the process's memory.
//!
//! Embedding 100k real chunks would take hours on two cores, so the chunks
//! are synthetic but made of real text: each is a random draw of sentences
//! from an evaluation corpus, and its vector is the normalised sum of those
//! sentences' real embeddings plus a little noise. BM25 sees real term
//! statistics, the vector store real-looking geometry, and the queries are
//! the dataset's real questions, each embedded afresh (the query-vector
//! cache is emptied before every search) because that is most of a
//! search's cost. Speed lives here, never in tests.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use seogo_docs::{Chunk, Domain, PUBLIC_GROUP};
use serde::Serialize;

use crate::bench::round2;
use crate::dataset::Dataset;
use crate::retrieval::percentile;
use seogo_engine::retrieve::{Scope, SearchMode, SearchRequest};
use seogo_engine::tree_bytes;
use seogo_engine::{write, Engine, EngineError};
use seogo_engine::{Collection, DocEntry};

/// What to build and how hard to query it.
#[derive(Debug, Clone)]
pub struct SearchBenchOptions {
    /// An evaluation set (BEIR folder or SQuAD file): sentences and queries.
    pub dataset: PathBuf,
    /// Collection sizes, in chunks.
    pub sizes: Vec<usize>,
    /// Real sentences embedded to make the synthetic vectors from.
    pub sentences: usize,
    /// Queries per mode for the one-client latency.
    pub queries: usize,
    /// Concurrent clients for each throughput phase (none skips it).
    pub clients: Vec<usize>,
    /// How long each mode's throughput phase runs.
    pub seconds: f64,
    /// HNSW search beams (ef) measured besides the configured one.
    pub beams: Vec<usize>,
}

/// Figures of one search mode at one size.
#[derive(Debug, Clone, Serialize)]
pub struct ModeFigures {
    pub mode: String,
    /// One client, one query at a time.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub qps: f64,
    /// Each number of clients at once for the configured time.
    pub concurrent: Vec<ConcurrentFigures>,
}

/// Throughput and latency with `clients` searching at once.
#[derive(Debug, Clone, Serialize)]
pub struct ConcurrentFigures {
    pub clients: usize,
    pub qps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Figures of one collection size.
#[derive(Debug, Clone, Serialize)]
pub struct SizeFigures {
    pub chunks: usize,
    /// Writing the synthetic chunks into both indexes and committing
    /// (no parsing, no embedding: not an ingest rate).
    pub build_seconds: f64,
    pub disk_mb: f64,
    /// Opening the collection cold (both indexes and the manifest).
    pub open_ms: f64,
    /// The process's resident memory after the queries, models included.
    pub rss_mb: f64,
    /// Dense top-10 through the index against exact search, for the
    /// public caller (90 % of chunks allowed) and with a `dept` filter
    /// (5 %).
    pub recall_at_10: f64,
    pub filtered_recall_at_10: f64,
    /// The vector store's own time for the public caller's top 10
    /// (no embedding): through the index, and exact.
    pub vector_search_p50_ms: f64,
    pub exact_search_p50_ms: f64,
    /// The same recall and index time with each requested beam.
    pub beams: Vec<BeamFigures>,
    pub modes: Vec<ModeFigures>,
}

/// Dense recall and the index's time with one HNSW search beam.
#[derive(Debug, Clone, Serialize)]
pub struct BeamFigures {
    pub ef: usize,
    pub recall_at_10: f64,
    pub filtered_recall_at_10: f64,
    pub vector_search_p50_ms: f64,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct SearchBench {
    pub dataset: String,
    pub sentences: usize,
    pub embed_sentences_seconds: f64,
    pub queries: usize,
    /// Embedding one query alone (part of every dense and hybrid search).
    pub query_embed_p50_ms: f64,
    pub query_embed_p99_ms: f64,
    /// Resident memory before any collection was built (models loaded).
    pub base_rss_mb: f64,
    pub sizes: Vec<SizeFigures>,
}

/// Mean share of the exact top 10 that the index returns, and the time
/// each took.
struct DenseRecall {
    recall: f64,
    index_p50_ms: f64,
    exact_p50_ms: f64,
}

/// Chunks per synthetic document, and sentences per chunk (≈ 600 characters).
const CHUNKS_PER_DOC: usize = 8;
const SENTENCES_PER_CHUNK: usize = 6;
/// One synthetic document in ten is readable by `finance` only, so the
/// public caller's ACL filter does real work.
const RESTRICTED_EVERY: usize = 10;
/// Documents spread over this many `dept` values: a `dept=…` filter
/// keeps 1/20 of the collection (a selective filter's recall).
const DEPARTMENTS: usize = 20;

/// The synthetic collection's reproducible choices.
struct Rng(seogo_models::SplitMix64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seogo_models::SplitMix64::new(seed))
    }

    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) as f32
    }

    /// Roughly normal, mean 0, variance 1 (sum of four uniforms).
    fn noise(&mut self) -> f32 {
        let sum: f32 = (0..4).map(|_| self.unit()).sum();
        (sum - 2.0) * 3f32.sqrt()
    }
}

/// Sentences of 15–400 characters from the corpus, deduplicated, in a
/// reproducible shuffled order.
fn corpus_sentences(dataset: &Dataset, rng: &mut Rng) -> Vec<String> {
    let mut sentences: Vec<String> = dataset
        .corpus
        .iter()
        .flat_map(|d| &d.sections)
        .flat_map(|s| s.text.split_inclusive(['.', '?', '!', '\n']))
        .map(str::trim)
        .filter(|s| (15..=400).contains(&s.chars().count()))
        .map(str::to_string)
        .collect();
    sentences.sort();
    sentences.dedup();
    for i in (1..sentences.len()).rev() {
        sentences.swap(i, rng.below(i + 1));
    }
    sentences
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| round2(kb / 1024.0))
}

/// Synthetic document `doc` of the collection: its chunks and vectors.
fn synthetic_document(
    doc: usize,
    sentences: &[String],
    vectors: &[Vec<f32>],
    rng: &mut Rng,
) -> (String, Vec<Chunk>, Vec<Vec<f32>>) {
    let doc_id = format!("bench/{doc:07}");
    let acl = if doc % RESTRICTED_EVERY == RESTRICTED_EVERY - 1 {
        "finance"
    } else {
        PUBLIC_GROUP
    };
    let dimension = vectors[0].len();
    let mut chunks = Vec::with_capacity(CHUNKS_PER_DOC);
    let mut chunk_vectors = Vec::with_capacity(CHUNKS_PER_DOC);
    for ordinal in 0..CHUNKS_PER_DOC as u32 {
        // The text: six sentences; the vector: a random blend of the first
        // two sentences' embeddings plus noise. Averaging all six made
        // every vector nearly the corpus mean (pairwise cosine ≈ 0.95),
        // far tighter than real chunks and unfair to any ANN index.
        let mut text = String::new();
        let mut vector = vec![0f32; dimension];
        for i in 0..SENTENCES_PER_CHUNK {
            let pick = rng.below(sentences.len());
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&sentences[pick]);
            let weight = match i {
                0 => 1.0,
                1 => 0.3 + 0.7 * rng.unit(),
                _ => continue,
            };
            for (v, x) in vector.iter_mut().zip(&vectors[pick]) {
                *v += weight * x;
            }
        }
        for v in &mut vector {
            *v += 0.02 * rng.noise();
        }
        let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-6);
        vector.iter_mut().for_each(|v| *v /= norm);
        chunks.push(Chunk {
            id: Chunk::make_id(&doc_id, ordinal),
            doc_id: doc_id.clone(),
            ordinal,
            title: format!("합성 문서 {doc}"),
            source: format!("bench/{doc:07}.txt"),
            heading_path: Vec::new(),
            page: Some(ordinal + 1),
            locator: None,
            text,
            header: String::new(),
            domain: Domain::General,
            acl: vec![acl.to_string()],
            metadata: [("dept".to_string(), format!("d{}", doc % DEPARTMENTS))].into(),
        });
        chunk_vectors.push(vector);
    }
    (doc_id, chunks, chunk_vectors)
}

/// Builds collection `bench-search-N` for every size (replacing one
/// left by an earlier run, removed afterwards), then measures each mode.
pub fn bench_search(
    engine: &Engine,
    options: &SearchBenchOptions,
) -> Result<SearchBench, EngineError> {
    let dataset = Dataset::load(&options.dataset, None, &engine.config().parse, None)?;
    let mut rng = Rng::new(0x5E09_0000);
    let mut sentences = corpus_sentences(&dataset, &mut rng);
    sentences.truncate(options.sentences.max(1));
    if sentences.is_empty() {
        return Err(EngineError::BadInput(format!(
            "{}: no sentences of 15-400 characters in the corpus",
            options.dataset.display()
        )));
    }
    let queries: Vec<&str> = dataset
        .queries
        .iter()
        .map(|q| q.text.as_str())
        .take(options.queries.max(1))
        .collect();
    if queries.is_empty() {
        return Err(EngineError::BadInput(format!(
            "{}: no queries",
            options.dataset.display()
        )));
    }
    let embedder = engine.embedder()?;
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let started = Instant::now();
    let vectors = embedder.embed_passages(&refs)?;
    let embed_sentences_seconds = round2(started.elapsed().as_secs_f64());
    let mut embed_ms = queries
        .iter()
        .map(|q| {
            let started = Instant::now();
            embedder.embed_query(q)?;
            Ok(started.elapsed().as_secs_f64() * 1000.0)
        })
        .collect::<Result<Vec<f64>, EngineError>>()?;
    embed_ms.sort_by(f64::total_cmp);
    // The lexical resources load before memory is first read.
    engine.lexical_resources()?;
    let base_rss_mb = rss_mb();
    let mut sizes = Vec::new();
    for &size in &options.sizes {
        sizes.push(bench_search_size(
            engine, size, &sentences, &vectors, &queries, options,
        )?);
    }
    Ok(SearchBench {
        dataset: options.dataset.display().to_string(),
        sentences: sentences.len(),
        embed_sentences_seconds,
        queries: queries.len(),
        query_embed_p50_ms: round2(percentile(&embed_ms, 0.5)),
        query_embed_p99_ms: round2(percentile(&embed_ms, 0.99)),
        base_rss_mb,
        sizes,
    })
}

fn bench_search_size(
    engine: &Engine,
    size: usize,
    sentences: &[String],
    vectors: &[Vec<f32>],
    queries: &[&str],
    options: &SearchBenchOptions,
) -> Result<SizeFigures, EngineError> {
    let name = format!("bench-search-{size}");
    let dir = Collection::dir_of(&engine.config().data.dir, &name);
    engine.delete_collection(&name)?;
    let started = Instant::now();
    {
        let collection = engine.collection(&name, true)?;
        let mut col = write(&collection);
        let mut rng = Rng::new(size as u64);
        let docs = size.div_ceil(CHUNKS_PER_DOC);
        let mut batch: Vec<(String, Vec<Chunk>, Vec<Vec<f32>>)> = Vec::new();
        for doc in 0..docs {
            batch.push(synthetic_document(doc, sentences, vectors, &mut rng));
            let batch_size: usize = batch.iter().map(|(_, c, _)| c.len()).sum();
            if batch_size < 512 && doc + 1 < docs {
                continue;
            }
            // Journaled (on a cluster: claimed) a batch at a time, before
            // either index sees it, as an ingest does.
            col.begin_write(batch.iter().map(|(id, _, _)| id.as_str()))?;
            let mut batch_chunks = Vec::with_capacity(batch_size);
            let mut batch_vectors = Vec::with_capacity(batch_size);
            for (doc_id, chunks, chunk_vectors) in batch.drain(..) {
                col.lexical.replace_document(&doc_id, &chunks)?;
                col.manifest.docs.insert(
                    doc_id.clone(),
                    DocEntry {
                        content_hash: doc_id.clone(),
                        source: chunks[0].source.clone(),
                        title: chunks[0].title.clone(),
                        chunks: chunks.len() as u32,
                        facts: Vec::new(),
                        acl: Some(chunks[0].acl.clone()),
                        domain: Some(Domain::General),
                    },
                );
                batch_chunks.extend(chunks);
                batch_vectors.extend(chunk_vectors);
            }
            col.vectors.upsert(&batch_chunks, &batch_vectors)?;
        }
        col.commit()?;
    }
    let build_seconds = round2(started.elapsed().as_secs_f64());
    engine.forget_collection(&name);
    let disk_mb = round2(tree_bytes(&dir) as f64 / 1e6);
    let started = Instant::now();
    engine.collection(&name, false)?;
    let open_ms = round2(started.elapsed().as_secs_f64() * 1000.0);
    let public = dense_recall(engine, &name, queries, &Scope::default(), None)?;
    let dept = Scope {
        filters: vec!["dept=d3".into()],
        ..Scope::default()
    };
    let filtered = dense_recall(engine, &name, queries, &dept, None)?;
    let mut beams = Vec::new();
    for &ef in &options.beams {
        let public = dense_recall(engine, &name, queries, &Scope::default(), Some(ef))?;
        let filtered = dense_recall(engine, &name, queries, &dept, Some(ef))?;
        beams.push(BeamFigures {
            ef,
            recall_at_10: public.recall,
            filtered_recall_at_10: filtered.recall,
            vector_search_p50_ms: public.index_p50_ms,
        });
    }
    let mut modes = Vec::new();
    for mode in SearchMode::ALL {
        modes.push(bench_search_mode(engine, &name, mode, queries, options)?);
    }
    let rss_mb = rss_mb();
    engine.delete_collection(&name)?;
    Ok(SizeFigures {
        chunks: size.div_ceil(CHUNKS_PER_DOC) * CHUNKS_PER_DOC,
        build_seconds,
        disk_mb,
        open_ms,
        rss_mb,
        recall_at_10: public.recall,
        filtered_recall_at_10: filtered.recall,
        vector_search_p50_ms: public.index_p50_ms,
        exact_search_p50_ms: public.exact_p50_ms,
        beams,
        modes,
    })
}

/// The vector index (with the configured beam, or `ef`) against exact
/// search on every query.
fn dense_recall(
    engine: &Engine,
    collection: &str,
    queries: &[&str],
    scope: &Scope,
    ef: Option<usize>,
) -> Result<DenseRecall, EngineError> {
    let collection = engine.collection(collection, false)?;
    let col = seogo_engine::read(&collection);
    let filter = scope.filter()?;
    let mut total = 0.0;
    let mut index_ms = Vec::new();
    let mut exact_ms = Vec::new();
    for query in queries {
        let vector = engine.query_vector(query)?;
        let started = Instant::now();
        let exact = col.vectors.search_exact(&vector, &filter, 10)?;
        exact_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        let found = match ef {
            Some(ef) => col.vectors.search_beam(&vector, &filter, 10, ef)?,
            None => col.vectors.search(&vector, &filter, 10)?,
        };
        index_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let hits = found
            .iter()
            .filter(|h| exact.iter().any(|e| e.chunk.id == h.chunk.id))
            .count();
        total += hits as f64 / exact.len().max(1) as f64;
    }
    index_ms.sort_by(f64::total_cmp);
    exact_ms.sort_by(f64::total_cmp);
    Ok(DenseRecall {
        recall: (total / queries.len() as f64 * 1000.0).round() / 1000.0,
        index_p50_ms: round2(percentile(&index_ms, 0.5)),
        exact_p50_ms: round2(percentile(&exact_ms, 0.5)),
    })
}

/// One query of the bench: the query vector is never a cached one.
fn bench_query(
    engine: &Engine,
    collection: &str,
    mode: SearchMode,
    query: &str,
) -> Result<f64, EngineError> {
    engine.clear_query_vectors();
    let request = SearchRequest {
        query: query.to_string(),
        mode,
        k: 10,
        snippets: true,
        scope: Scope {
            collection: collection.to_string(),
            ..Scope::default()
        },
    };
    let started = Instant::now();
    engine.search(&request)?;
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

fn bench_search_mode(
    engine: &Engine,
    collection: &str,
    mode: SearchMode,
    queries: &[&str],
    options: &SearchBenchOptions,
) -> Result<ModeFigures, EngineError> {
    // Warm-up: the first searches touch cold index pages.
    for query in queries.iter().take(3) {
        bench_query(engine, collection, mode, query)?;
    }
    let started = Instant::now();
    let mut single = queries
        .iter()
        .map(|q| bench_query(engine, collection, mode, q))
        .collect::<Result<Vec<f64>, _>>()?;
    let single_seconds = started.elapsed().as_secs_f64();
    single.sort_by(f64::total_cmp);
    let concurrent = options
        .clients
        .iter()
        .filter(|c| **c > 0)
        .map(|&clients| bench_concurrently(engine, collection, mode, queries, clients, options))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ModeFigures {
        mode: mode.as_str().to_string(),
        p50_ms: round2(percentile(&single, 0.5)),
        p99_ms: round2(percentile(&single, 0.99)),
        qps: round2(single.len() as f64 / single_seconds),
        concurrent,
    })
}

/// `clients` searching at once for the configured time.
fn bench_concurrently(
    engine: &Engine,
    collection: &str,
    mode: SearchMode,
    queries: &[&str],
    clients: usize,
    options: &SearchBenchOptions,
) -> Result<ConcurrentFigures, EngineError> {
    let deadline = Duration::from_secs_f64(options.seconds.max(0.1));
    let started = Instant::now();
    let per_client = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|client| {
                scope.spawn(move || {
                    let mut latencies = Vec::new();
                    // Clients start spread over the queries so no two
                    // ask the same one at once.
                    let mut next = client * queries.len() / clients.max(1);
                    while started.elapsed() < deadline {
                        latencies.push(bench_query(
                            engine,
                            collection,
                            mode,
                            queries[next % queries.len()],
                        )?);
                        next += 1;
                    }
                    Ok::<_, EngineError>(latencies)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(EngineError::Corrupt("a bench client panicked".into())))
            })
            .collect::<Result<Vec<_>, _>>()
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let mut latencies: Vec<f64> = per_client.into_iter().flatten().collect();
    latencies.sort_by(f64::total_cmp);
    Ok(ConcurrentFigures {
        clients,
        qps: round2(latencies.len() as f64 / seconds),
        p50_ms: round2(percentile(&latencies, 0.5)),
        p99_ms: round2(percentile(&latencies, 0.99)),
    })
}
