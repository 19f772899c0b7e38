//! Ingest: files → documents → chunks → embeddings → both indexes, keyed by
//! document id + content hash so unchanged files cost nothing, changed files
//! replace their chunks, and files that vanished from a re-synced folder are
//! removed. A file that fails is reported and skipped; the rest go on.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use seogo_docs::parse::{inspect_bytes, read_source, ParseOptions};
use seogo_docs::{
    chunk_document, content_hash, Acl, Chunk, Connector, DocError, Document, Domain, Fact, Refined,
    SourceFile,
};
use serde::{Deserialize, Serialize};

use seogo_models::Embedder;

use crate::collection::DocEntry;
use crate::config::ChunkingConfig;
use crate::connectors::FileFilter;
use crate::{write_current, Collection, Engine, EngineError, DEFAULT_COLLECTION};

/// What to ingest and how to label it.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    /// Files and folders (walked recursively, hidden entries skipped).
    pub paths: Vec<PathBuf>,
    pub collection: String,
    pub domain: Domain,
    /// Groups allowed to read these documents; empty = public.
    pub acl: Vec<String>,
    /// Remove documents that came from under these paths but are gone now
    /// (never under a folder that could not be fully listed).
    pub remove_missing: bool,
    /// The domain connector that refines each parsed file.
    pub connector: Option<Arc<dyn Connector>>,
    /// Which files under the given folders are taken.
    pub filter: FileFilter,
}

impl Default for IngestRequest {
    fn default() -> Self {
        Self {
            paths: Vec::new(),
            collection: DEFAULT_COLLECTION.into(),
            domain: Domain::General,
            acl: Vec::new(),
            remove_missing: true,
            connector: None,
            filter: FileFilter::all(),
        }
    }
}

/// A file (or path) that could not be ingested, with a one-line reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestFailure {
    pub path: String,
    pub error: String,
}

/// What an ingest did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IngestReport {
    pub files: usize,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub removed: usize,
    pub chunks_written: usize,
    /// XBRL facts stored with the documents written.
    pub facts: usize,
    pub failures: Vec<IngestFailure>,
    /// What was read but not all of it: a page that needs OCR, an
    /// attachment that failed.
    pub warnings: Vec<String>,
    /// Where the time went.
    #[serde(default)]
    pub timings: IngestTimings,
}

/// Seconds spent in each stage of an ingest (reading runs on every core,
/// so its wall time is shown; the rest is sequential).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct IngestTimings {
    /// Listing, reading and parsing the files (and the connector's pass).
    pub read_s: f64,
    pub chunk_s: f64,
    pub embed_s: f64,
    /// Writing chunks into the lexical index and the vector store.
    pub index_s: f64,
    /// Making both durable and writing the manifest.
    pub commit_s: f64,
}

/// Progress, for a bar on a terminal or log lines elsewhere.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Files found and parsed; `chunks` need embedding.
    Planned { files: usize, chunks: usize },
    /// `chunks` more were embedded and indexed.
    Indexed { chunks: usize },
}

impl Engine {
    /// Runs an ingest. Per-file failures land in the report; an `Err` means
    /// the collection itself could not be written.
    pub fn ingest(
        &self,
        req: &IngestRequest,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IngestReport, EngineError> {
        let collection = self.collection_for_change(&req.collection, true)?;
        let embedder = self.embedder()?;
        let mut col = write_current(&collection)?;
        col.check_embedder(embedder.fingerprint())?;

        let mut report = IngestReport::default();
        // Roots listed completely: only under these may vanished documents
        // be removed (a folder that errors half-way never deletes).
        let mut roots = Vec::new();
        let mut files = Vec::new();
        for path in &req.paths {
            match std::fs::canonicalize(path) {
                Ok(root) => {
                    let failures_before = report.failures.len();
                    let mut found = Vec::new();
                    walk(&root, &mut found, &mut report.failures);
                    found.retain(|f| req.filter.accepts(&root, f));
                    if report.failures.len() != failures_before {
                        report.warnings.push(format!(
                            "{}: not every entry could be listed, so nothing under it is removed",
                            root.display()
                        ));
                    } else if found.is_empty() {
                        report.warnings.push(format!(
                            "{}: lists no file, so nothing under it is removed",
                            root.display()
                        ));
                    } else {
                        roots.push(root);
                    }
                    files.extend(found);
                }
                Err(e) => report.failures.push(IngestFailure {
                    path: path.display().to_string(),
                    error: format!("cannot read: {e}"),
                }),
            }
        }
        files.sort();
        files.dedup();
        report.files = files.len();
        let files_read: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();

        let opts = ParseOptions {
            domain: req.domain,
            acl: Acl::from_groups(&req.acl),
            limits: self.config().parse.clone(),
        };
        let started = Instant::now();
        let parsed: Vec<(String, Result<Refined, DocError>, Vec<String>)> = files
            .par_iter()
            .map(|f| read_refined(f, &opts, req.connector.as_deref()))
            .collect();
        report.timings.read_s = started.elapsed().as_secs_f64();
        let reading = reading_fingerprint(req, &self.config().chunking);
        let parsed: Vec<(String, Result<Refined, DocError>)> = parsed
            .into_iter()
            .map(|(path, mut refined, warnings)| {
                report.warnings.extend(warnings);
                if let Ok(refined) = &mut refined {
                    for doc in &mut refined.documents {
                        doc.content_hash =
                            content_hash(format!("{}\n{reading}", doc.content_hash).as_bytes());
                    }
                }
                (path, refined)
            })
            .collect();
        let (seen, failed_sources) =
            self.write_documents(&mut col, parsed, embedder.as_ref(), &mut report, progress)?;

        if req.remove_missing {
            let vanished: Vec<String> = col
                .manifest
                .docs
                .iter()
                .filter(|(id, entry)| {
                    !seen.contains(*id)
                        && !failed_sources.contains(&entry.source)
                        && roots.iter().any(|r| is_under(&entry.source, r))
                })
                .map(|(id, _)| id.clone())
                .collect();
            if !vanished.is_empty() {
                undo_on_error(&mut col, |col| {
                    for id in &vanished {
                        col.delete_document(id)?;
                    }
                    col.commit()
                })?;
            }
            report.removed = vanished.len();
        }
        drop(col);
        self.record_failures(&req.collection, &files_read, &report.failures)?;
        Ok(report)
    }

    /// Ingests documents made in memory (evaluation sets whose licence
    /// forbids storing a converted copy), as `ingest` does files.
    pub fn ingest_documents(
        &self,
        collection: &str,
        source: &str,
        docs: Vec<Document>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<IngestReport, EngineError> {
        let collection = self.collection_for_change(collection, true)?;
        let embedder = self.embedder()?;
        let mut col = write_current(&collection)?;
        col.check_embedder(embedder.fingerprint())?;
        let mut report = IngestReport {
            files: 1,
            ..IngestReport::default()
        };
        let refined = Refined {
            documents: docs,
            facts: Vec::new(),
        };
        self.write_documents(
            &mut col,
            vec![(source.to_string(), Ok(refined))],
            embedder.as_ref(),
            &mut report,
            progress,
        )?;
        Ok(report)
    }

    /// Chunks, embeds and writes parsed documents (by source path) whose
    /// content changed, committing batch by batch. Returns the document ids
    /// seen and the sources that failed.
    fn write_documents(
        &self,
        col: &mut Collection,
        parsed: Vec<(String, Result<Refined, DocError>)>,
        embedder: &dyn Embedder,
        report: &mut IngestReport,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(HashSet<String>, HashSet<String>), EngineError> {
        let chunker = self.config().chunking.chunker();
        let mut seen: HashSet<String> = HashSet::new();
        let mut failed_sources: HashSet<String> = HashSet::new();
        let mut pending: Vec<(Document, Vec<Chunk>)> = Vec::new();
        // A file's facts are kept with its first document written (all of
        // a file's documents share its content hash, so they are written,
        // or skipped, together).
        let mut facts: HashMap<String, Vec<Fact>> = HashMap::new();
        for (path, result) in parsed {
            let (docs, mut file_facts) = match result {
                Ok(refined) => (refined.documents, refined.facts),
                Err(e) => {
                    failed_sources.insert(path.clone());
                    report.failures.push(IngestFailure {
                        path: path.clone(),
                        error: strip_path(&e.to_string(), Path::new(&path)),
                    });
                    continue;
                }
            };
            for doc in docs {
                if !seen.insert(doc.id.clone()) {
                    report.failures.push(IngestFailure {
                        path: path.clone(),
                        error: format!("duplicate document id `{}`; later copy skipped", doc.id),
                    });
                    continue;
                }
                if col.is_busy_elsewhere(&doc.id) {
                    // Another node is writing it now; its result stands.
                    report.unchanged += 1;
                    continue;
                }
                let known = match col.manifest.docs.get(&doc.id) {
                    Some(e) if e.content_hash == doc.content_hash && e.source == doc.source => {
                        report.unchanged += 1;
                        continue;
                    }
                    known => known.is_some(),
                };
                let started = Instant::now();
                let chunks = chunk_document(&doc, &chunker);
                report.timings.chunk_s += started.elapsed().as_secs_f64();
                if chunks.is_empty() {
                    failed_sources.insert(doc.source.clone());
                    report.failures.push(IngestFailure {
                        path: path.clone(),
                        error: format!("document `{}` has no text to index", doc.id),
                    });
                    continue;
                }
                if known {
                    report.updated += 1;
                } else {
                    report.added += 1;
                }
                if !file_facts.is_empty() {
                    facts.insert(doc.id.clone(), std::mem::take(&mut file_facts));
                }
                pending.push((doc, chunks));
            }
        }
        let total_chunks = pending.iter().map(|(_, c)| c.len()).sum();
        progress(Progress::Planned {
            files: report.files,
            chunks: total_chunks,
        });

        // Batches of whole documents, closed once they reach
        // `commit_chunks` chunks.
        let mut batches: Vec<Vec<(Document, Vec<Chunk>)>> = Vec::new();
        let mut current = Vec::new();
        let mut current_chunks = 0;
        for item in pending {
            current_chunks += item.1.len();
            current.push(item);
            if current_chunks >= self.config().data.commit_chunks {
                batches.push(std::mem::take(&mut current));
                current_chunks = 0;
            }
        }
        if !current.is_empty() {
            batches.push(current);
        }
        // A pipeline: one thread embeds batch n + 1 while this one writes
        // and commits batch n. The channel holds one batch, so at most two
        // batches of vectors wait in memory, and each batch's texts are
        // made only when it is embedded. If writing fails, the receiver is
        // dropped and the embedding thread stops at its next send.
        std::thread::scope(|scope| {
            let (sender, receiver) = std::sync::mpsc::sync_channel(1);
            let batches = &batches;
            let embedding = scope.spawn(move || {
                for batch in batches {
                    let texts: Vec<String> = batch
                        .iter()
                        .flat_map(|(_, chunks)| chunks.iter().map(Chunk::indexed_text))
                        .collect();
                    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                    let started = Instant::now();
                    let vectors = embedder.embed_passages(&refs);
                    let seconds = started.elapsed().as_secs_f64();
                    let failed = vectors.is_err();
                    if sender.send((vectors, seconds)).is_err() || failed {
                        return;
                    }
                }
            });
            let mut write = || -> Result<(), EngineError> {
                for batch in batches {
                    // A closed channel means the embedding thread panicked:
                    // its join below reports it.
                    let Ok((vectors, seconds)) = receiver.recv() else {
                        return Ok(());
                    };
                    report.timings.embed_s += seconds;
                    let chunks = self.write_batch(col, batch, vectors?, &mut facts, report)?;
                    progress(Progress::Indexed { chunks });
                }
                Ok(())
            };
            let written = write();
            drop(receiver);
            match embedding.join() {
                Ok(()) => written,
                Err(panic) => Err(EngineError::Model(seogo_models::ModelError::Embedding(
                    seogo_docs::panic_reason(&*panic),
                ))),
            }
        })?;
        Ok((seen, failed_sources))
    }

    /// Writes one batch of documents with their vectors (in chunk order)
    /// and commits it; on failure the batch is undone. Returns its chunks.
    fn write_batch(
        &self,
        col: &mut Collection,
        batch: &[(Document, Vec<Chunk>)],
        vectors: Vec<Vec<f32>>,
        facts: &mut HashMap<String, Vec<Fact>>,
        report: &mut IngestReport,
    ) -> Result<usize, EngineError> {
        col.ensure_free_space(self.config().data.min_free_mb)?;
        let batch_chunks: usize = batch.iter().map(|(_, c)| c.len()).sum();
        let mut vectors = vectors.into_iter();
        let started = Instant::now();
        undo_on_error(col, |col| {
            col.begin_write(batch.iter().map(|(doc, _)| doc.id.as_str()))?;
            for (doc, chunks) in batch {
                let doc_vectors: Vec<Vec<f32>> = vectors.by_ref().take(chunks.len()).collect();
                let doc_facts = facts.remove(&doc.id).unwrap_or_default();
                report.facts += doc_facts.len();
                let entry = DocEntry {
                    content_hash: doc.content_hash.clone(),
                    source: doc.source.clone(),
                    title: doc.title.clone(),
                    chunks: chunks.len() as u32,
                    facts: doc_facts,
                    acl: Some(doc.acl.groups.clone()),
                    domain: Some(doc.domain),
                };
                col.replace_document(&doc.id, chunks, &doc_vectors, entry)?;
            }
            report.timings.index_s += started.elapsed().as_secs_f64();
            let started = Instant::now();
            col.commit()?;
            report.timings.commit_s += started.elapsed().as_secs_f64();
            Ok(())
        })?;
        report.chunks_written += batch_chunks;
        Ok(batch_chunks)
    }

    /// Deletes a document from a collection (both indexes and the manifest).
    /// `doc_id` may be the id or the path it was ingested from.
    pub fn delete_document(&self, collection: &str, doc_id: &str) -> Result<bool, EngineError> {
        let collection = self.collection_for_change(collection, false)?;
        let mut col = write_current(&collection)?;
        let id = if col.manifest.docs.contains_key(doc_id) {
            doc_id.to_string()
        } else {
            std::fs::canonicalize(doc_id)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| doc_id.to_string())
        };
        undo_on_error(&mut col, |col| {
            let known = col.delete_document(&id)?;
            col.commit()?;
            Ok(known)
        })
    }
}

/// Runs one write on `col`; if it fails part-way (a full disk, a dead
/// vector server), the documents it touched are undone as after a crash,
/// so the collection never serves them half-written.
fn undo_on_error<T>(
    col: &mut Collection,
    write: impl FnOnce(&mut Collection) -> Result<T, EngineError>,
) -> Result<T, EngineError> {
    write(col).inspect_err(|_| {
        if let Err(undo) = col.abandon_write() {
            tracing::error!(
                collection = %col.name,
                "undoing a failed write failed too ({undo}); the next start repairs it"
            );
        }
    })
}

/// One file read, parsed and refined by the connector (if any), with the
/// parser's warnings. The bytes are read once and shared with both.
pub fn read_refined(
    file: &Path,
    opts: &ParseOptions,
    connector: Option<&dyn Connector>,
) -> (String, Result<Refined, DocError>, Vec<String>) {
    let path = file.display().to_string();
    let read = || -> Result<(Refined, Vec<String>), DocError> {
        let bytes = read_source(file, &opts.limits)?;
        let parsed = inspect_bytes(file, &path, bytes.clone(), opts)?;
        let warnings = parsed.warnings.clone();
        let refined = match connector {
            Some(connector) => connector.refine(SourceFile {
                path: file,
                doc_id: &path,
                bytes: &bytes,
                parsed,
            })?,
            None => Refined::unchanged(parsed),
        };
        Ok((refined, warnings))
    };
    match read() {
        Ok((refined, warnings)) => (path, Ok(refined), warnings),
        Err(e) => (path, Err(e), Vec::new()),
    }
}

/// What besides a file's bytes decides its chunks: the connector with its
/// options, the domain, the ACL and the chunk sizes. It is folded into
/// every document's stored hash, so changing any of them in `seogo.toml`
/// re-reads the files they apply to — above all an ACL change, which must
/// never leave chunks readable by the groups it removed.
fn reading_fingerprint(req: &IngestRequest, chunking: &ChunkingConfig) -> String {
    let connector = req
        .connector
        .as_ref()
        .map(|c| format!("{c:?}"))
        .unwrap_or_default();
    format!(
        "connector={connector}\ndomain={:?}\nacl={:?}\nchunking={}/{}",
        req.domain,
        Acl::from_groups(&req.acl).groups,
        chunking.max_tokens,
        chunking.overlap_tokens
    )
}

/// Whether `source` is `root` or inside it.
fn is_under(source: &str, root: &Path) -> bool {
    let source = Path::new(source);
    source == root || source.starts_with(root)
}

/// The parse error already names the file; the report shows the path apart.
fn strip_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}

/// Collects regular files under `path`, skipping hidden entries and not
/// following symlinked folders (no loops).
fn walk(path: &Path, files: &mut Vec<PathBuf>, failures: &mut Vec<IngestFailure>) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            failures.push(IngestFailure {
                path: path.display().to_string(),
                error: format!("cannot read: {e}"),
            });
            return;
        }
    };
    if meta.is_file() {
        files.push(path.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => {
            failures.push(IngestFailure {
                path: path.display().to_string(),
                error: format!("cannot list folder: {e}"),
            });
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    children.sort();
    for child in children {
        let hidden = child
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        let symlinked_dir = std::fs::symlink_metadata(&child)
            .is_ok_and(|m| m.file_type().is_symlink())
            && child.is_dir();
        if !hidden && !symlinked_dir {
            walk(&child, files, failures);
        }
    }
}
