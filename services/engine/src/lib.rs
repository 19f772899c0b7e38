//! Seogo's engine: ingest (documents → chunks → both indexes), retrieval
//! (lexical + dense, fused, ACL-filtered) and grounded answering. It glues
//! connectors, indexes and models, and never parses a file format or talks
//! HTTP itself. Evaluation and benchmarks (seogo-eval) and the server
//! (seogo-server) are built over its public API.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

pub mod answer;
pub mod backup;
mod collection;
pub mod config;
pub mod connectors;
pub mod documents;
mod error;
pub mod evidence;
pub mod facts;
pub mod failures;
pub mod ingest;
pub mod migrate;
mod query_cache;
pub mod reindex;
pub mod retrieve;
pub mod status;
pub mod sync;

pub use collection::{
    tree_bytes, validate_name, ChunkCounts, Collection, DocEntry, Inventory, Manifest,
};
pub use config::{EngineConfig, GeneratorConfig, VectorsConfig};
pub use error::EngineError;
pub use seogo_index::{AnalyzerKind, IndexError};
/// Re-exported so that the server classifies model failures without
/// depending on the model runtime itself.
pub use seogo_models::ModelError;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use seogo_index::{IdentifierRules, LexicalResources, SynonymSource};
use seogo_models::{BertEmbedder, Embedder, Generator, OpenAiGenerator, QwenGguf};

/// A shared handle on a collection: searches read, ingest writes.
pub type SharedCollection = Arc<RwLock<Collection>>;

/// The engine: configuration, lazily loaded models and open collections.
/// Models load on first use, so a BM25 search never pays for them.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    embedder: Mutex<Option<Arc<dyn Embedder>>>,
    generator: Mutex<Option<Arc<dyn Generator>>>,
    lexical: Mutex<Option<Arc<LexicalResources>>>,
    collections: Mutex<HashMap<String, SharedCollection>>,
    /// Collections a reindex is rebuilding: changes to them are refused
    /// until it swaps the new copy in.
    reindexing: Mutex<HashSet<String>>,
    query_vectors: Mutex<query_cache::QueryVectors>,
}

/// The collection used when none is named.
pub const DEFAULT_COLLECTION: &str = "default";

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        Self {
            config,
            embedder: Mutex::new(None),
            generator: Mutex::new(None),
            lexical: Mutex::new(None),
            collections: Mutex::new(HashMap::new()),
            reindexing: Mutex::new(HashSet::new()),
            query_vectors: Mutex::new(query_cache::QueryVectors::default()),
        }
    }

    /// An engine with models supplied by the caller (another runtime, tests).
    pub fn with_models(
        config: EngineConfig,
        embedder: Arc<dyn Embedder>,
        generator: Option<Arc<dyn Generator>>,
    ) -> Self {
        let engine = Self::new(config);
        *lock(&engine.embedder) = Some(embedder);
        *lock(&engine.generator) = generator;
        engine
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The embedder, loading it on first use.
    pub fn embedder(&self) -> Result<Arc<dyn Embedder>, EngineError> {
        let mut slot = lock(&self.embedder);
        if let Some(e) = slot.as_ref() {
            return Ok(e.clone());
        }
        let dir = self.config.models.embedder_dir();
        if !dir.join("config.json").exists() {
            return Err(seogo_models::ModelError::NotInstalled { path: dir }.into());
        }
        let e: Arc<dyn Embedder> = Arc::new(BertEmbedder::load(
            &dir,
            self.config.models.embed_batch,
            &seogo_models::device(&self.config.models.device)?,
            self.config.models.embed_precision,
        )?);
        *slot = Some(e.clone());
        Ok(e)
    }

    /// The vector of `query`, from the recent-queries cache when it was
    /// asked before.
    pub fn query_vector(&self, query: &str) -> Result<Arc<Vec<f32>>, EngineError> {
        if let Some(vector) = lock(&self.query_vectors).get(query) {
            return Ok(vector);
        }
        let vector = Arc::new(self.embedder()?.embed_query(query)?);
        lock(&self.query_vectors).insert(query, vector.clone());
        Ok(vector)
    }

    /// The generator, loading it on first use.
    pub fn generator(&self) -> Result<Arc<dyn Generator>, EngineError> {
        let mut slot = lock(&self.generator);
        if let Some(g) = slot.as_ref() {
            return Ok(g.clone());
        }
        let g: Arc<dyn Generator> = match &self.config.generator {
            GeneratorConfig::Local => self.local_generator()?,
            GeneratorConfig::OpenAi(served) => Arc::new(OpenAiGenerator::new(served)?),
        };
        *slot = Some(g.clone());
        Ok(g)
    }

    /// The local GGUF generator (`models.generator`), loaded anew whatever
    /// `[generator]` says (benchmarks compare it with a served one).
    pub fn local_generator(&self) -> Result<Arc<dyn Generator>, EngineError> {
        let path = self.config.models.generator_file();
        if !path.exists() {
            return Err(seogo_models::ModelError::NotInstalled { path }.into());
        }
        let device = seogo_models::device(&self.config.models.device)?;
        Ok(Arc::new(QwenGguf::load(&path, &device)?))
    }

    /// The lexical resources (dictionary, identifier rules, synonyms),
    /// loaded on first use. The dictionary is loaded when it is installed
    /// or the configured analyzer needs it.
    pub fn lexical_resources(&self) -> Result<Arc<LexicalResources>, EngineError> {
        let mut slot = lock(&self.lexical);
        if let Some(r) = slot.as_ref() {
            return Ok(r.clone());
        }
        let cfg = &self.config.lexical;
        let dir = cfg
            .dictionary
            .clone()
            .unwrap_or_else(|| self.config.models.dictionary_dir());
        let dictionary = if cfg.analyzer.uses_morphemes() || dir.join("sys.dic").exists() {
            if !dir.join("sys.dic").exists() {
                return Err(seogo_models::ModelError::NotInstalled { path: dir }.into());
            }
            let d = seogo_analyzer::mecab::Dictionary::open(&dir)
                .map_err(|e| EngineError::Config(e.to_string()))?;
            Some(Arc::new(d))
        } else {
            None
        };
        let synonyms =
            |path: &Option<std::path::PathBuf>| -> Result<Vec<Arc<SynonymSource>>, EngineError> {
                path.iter()
                    .map(|p| Ok(Arc::new(SynonymSource::open(p)?)))
                    .collect()
            };
        let mut resources = LexicalResources {
            dictionary,
            identifiers: identifier_rules(&cfg.identifiers)?,
            synonyms: synonyms(&cfg.synonyms)?,
            weights: cfg.weights,
            ..LexicalResources::default()
        };
        for (domain, d) in &cfg.domains {
            if let Some(ids) = &d.identifiers {
                resources
                    .domain_identifiers
                    .insert(domain.clone(), identifier_rules(ids)?);
            }
            resources
                .domain_synonyms
                .insert(domain.clone(), synonyms(&d.synonyms)?);
        }
        let r = Arc::new(resources);
        *slot = Some(r.clone());
        Ok(r)
    }

    /// Whether the models are loaded (for readiness probes).
    pub fn models_loaded(&self) -> bool {
        lock(&self.embedder).is_some()
    }

    /// Closes the open handle on collection `name`, so the next
    /// [`collection`](Self::collection) opens it from disk again: what
    /// `seogo bench search` measures as the open time.
    pub fn forget_collection(&self, name: &str) {
        lock(&self.collections).remove(name);
    }

    /// Empties the query-vector cache, so the next query is embedded
    /// again: a benchmark's query latency must include the embedding.
    pub fn clear_query_vectors(&self) {
        lock(&self.query_vectors).clear();
    }

    /// An open collection; `create` makes it (for the configured embedder)
    /// when missing.
    pub fn collection(&self, name: &str, create: bool) -> Result<SharedCollection, EngineError> {
        let analyzer = create.then_some(self.config.lexical.analyzer);
        self.open_collection(name, analyzer)
    }

    /// Runs `read_with` on collection `name` under its read lock. The
    /// handle is fetched again when a reindex swap or a delete retired it
    /// between the fetch and the lock; by then it has left the open
    /// collections, so the next fetch finds the new one or none.
    pub fn read_current<T>(
        &self,
        name: &str,
        read_with: impl FnOnce(&Collection) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        loop {
            let collection = self.collection(name, false)?;
            let col = read(&collection);
            if !col.retired {
                return read_with(&col);
            }
        }
    }

    /// [`read_current`](Self::read_current) for what reads the manifest
    /// (document listings, counts, facts): on a cluster the manifest is
    /// read again first when it is over a second old, since other nodes
    /// write to it. Searches never need it and do not pay for it.
    pub(crate) fn read_fresh<T>(
        &self,
        name: &str,
        read_with: impl FnOnce(&Collection) -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let collection = self.collection(name, false)?;
        let stale = |col: &Collection| !col.retired && col.manifest_is_stale();
        // Checked under the read lock first: a fresh or embedded
        // collection never takes the write lock here.
        if stale(&read(&collection)) {
            let mut col = write(&collection);
            if stale(&col) {
                col.refresh()?;
            }
        }
        self.read_current(name, read_with)
    }

    /// Collection `name` for a change. Refused while a reindex rebuilds it:
    /// a writer queued on its lock for the whole rebuild would hold back
    /// every search queued behind it.
    pub(crate) fn collection_for_change(
        &self,
        name: &str,
        create: bool,
    ) -> Result<SharedCollection, EngineError> {
        self.ensure_not_reindexing(name)?;
        self.collection(name, create)
    }

    pub(crate) fn ensure_not_reindexing(&self, name: &str) -> Result<(), EngineError> {
        if lock(&self.reindexing).contains(name) {
            return Err(EngineError::Busy(format!(
                "collection `{name}` is being reindexed; retry when that finishes"
            )));
        }
        Ok(())
    }

    /// An open collection; with `create_with`, makes it (for the configured
    /// embedder and that analyzer) when missing.
    pub fn open_collection(
        &self,
        name: &str,
        create_with: Option<AnalyzerKind>,
    ) -> Result<SharedCollection, EngineError> {
        validate_name(name)?;
        if let Some(c) = lock(&self.collections).get(name) {
            return Ok(c.clone());
        }
        let dir = Collection::dir_of(&self.config.data.dir, name);
        let fingerprint = match create_with {
            Some(_) => Some(self.embedder()?.fingerprint().clone()),
            None => None,
        };
        let resources = self.lexical_resources()?;
        // Opening holds the open collections: two requests must not open
        // the same directory twice (two vector stores on one folder), and
        // none may open one that a delete or a reindex swap is moving.
        let mut open = lock(&self.collections);
        if let Some(c) = open.get(name) {
            return Ok(c.clone());
        }
        reindex::recover_swap(&dir)?;
        let creation = match (fingerprint, create_with) {
            (Some(fingerprint), Some(analyzer)) if !dir.join("collection.json").exists() => {
                Some((fingerprint, analyzer))
            }
            _ => None,
        };
        let collection = Arc::new(RwLock::new(Collection::open(
            name,
            &dir,
            creation.as_ref().map(|(e, a)| (e, *a)),
            resources,
            &self.config.vectors,
        )?));
        open.insert(name.to_string(), collection.clone());
        Ok(collection)
    }

    /// Takes collection `name` out of service and runs `move_files` (which
    /// renames or removes its directory) with no request able to reopen it
    /// half-way. The swap waits for the requests in flight, marks the old
    /// handle retired (a holder fetches the collection again and finds the
    /// new one, or none) and closes its vector store while its directory
    /// still exists: Qdrant's store flushes as it drops, and a drop after
    /// the removal would fail inside whichever request held the last
    /// handle.
    pub(crate) fn retire_collection<T>(
        &self,
        name: &str,
        move_files: impl FnOnce() -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let handle = lock(&self.collections).get(name).cloned();
        let old = handle.as_ref().map(|handle| {
            let mut old = write(handle);
            old.retired = true;
            drop(std::mem::replace(
                &mut old.vectors,
                Arc::new(seogo_index::ClosedVectorStore),
            ));
            old
        });
        let mut open = lock(&self.collections);
        open.remove(name);
        let moved = move_files();
        drop(open);
        drop(old);
        moved
    }

    /// Every collection's size and embedder (for the API and metrics).
    pub fn collection_summaries(&self) -> Result<Vec<CollectionSummary>, EngineError> {
        let mut out = Vec::new();
        for name in self.collection_names()? {
            let summary = self.read_fresh(&name, |col| {
                let counts = col.counts()?;
                Ok(CollectionSummary {
                    name: name.clone(),
                    documents: counts.documents,
                    chunks: counts.lexical_chunks,
                    embedder: col.embedder.clone(),
                    analyzer: col.lexical.analyzer(),
                    domains: col.domain_counts(),
                    disk_bytes: col.disk_bytes(),
                })
            });
            match summary {
                // Deleted since it was listed: not a collection any more.
                Err(EngineError::NoSuchCollection(_)) => {}
                summary => out.push(summary?),
            }
        }
        Ok(out)
    }

    /// Names of the collections in the data directory (or on the Qdrant
    /// cluster).
    pub fn collection_names(&self) -> Result<Vec<String>, EngineError> {
        if let VectorsConfig::Qdrant(remote) = &self.config.vectors {
            return Ok(seogo_index::ClusterStore::list(remote)?);
        }
        let dir = self.config.data.dir.join("collections");
        let mut names = Vec::new();
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    // A reindex's shadow (`NAME.reindexing`) is no collection.
                    if validate_name(&name).is_ok() && e.path().join("collection.json").exists() {
                        names.push(name);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(EngineError::io(dir, e)),
        }
        names.sort();
        Ok(names)
    }
}

/// A collection as the API lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CollectionSummary {
    pub name: String,
    pub documents: u64,
    pub chunks: u64,
    pub embedder: seogo_models::EmbedderFingerprint,
    /// How its BM25 index splits Korean text (fixed at creation).
    pub analyzer: seogo_index::AnalyzerKind,
    /// Documents per domain connector (`unrecorded` for documents indexed
    /// before the domain was kept in the manifest).
    pub domains: std::collections::BTreeMap<String, u64>,
    /// Bytes on this node's disk (none on a cluster).
    pub disk_bytes: Option<u64>,
}

/// Identifier rules from their configuration (kind names checked).
fn identifier_rules(cfg: &config::IdentifierConfig) -> Result<IdentifierRules, EngineError> {
    let parse = |names: &[String]| -> Result<Vec<seogo_analyzer::identifiers::IdentifierKind>, EngineError> {
        names
            .iter()
            .map(|n| {
                n.parse()
                    .map_err(|e: String| EngineError::Config(format!("lexical.identifiers: {e}")))
            })
            .collect()
    };
    let kinds = parse(&cfg.kinds)?;
    Ok(IdentifierRules {
        extractor: seogo_analyzer::identifiers::IdentifierExtractor::new(&kinds),
        required: parse(&cfg.required)?,
    })
}

/// Seconds since the epoch, now: how sync states, failures, keys and the
/// API stamp times.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Locks a mutex, recovering from poisoning: the guarded values here (model
/// handles, the collection map) stay valid even if a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Read access to a collection, recovering from poisoning.
pub fn read(c: &SharedCollection) -> std::sync::RwLockReadGuard<'_, Collection> {
    c.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Write access to a collection, recovering from poisoning.
pub fn write(c: &SharedCollection) -> std::sync::RwLockWriteGuard<'_, Collection> {
    c.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Write access for a change, refused when a reindex replaced the
/// collection after it was fetched (its files are gone). On a cluster the
/// manifest is read again first: other nodes may have written since.
pub(crate) fn write_current(
    c: &SharedCollection,
) -> Result<std::sync::RwLockWriteGuard<'_, Collection>, EngineError> {
    let mut col = write(c);
    if col.retired {
        return Err(EngineError::Busy(format!(
            "collection `{}` was just replaced by a reindex or deleted; retry",
            col.name
        )));
    }
    col.refresh()?;
    Ok(col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DomainLexicalConfig, IdentifierConfig};
    use seogo_analyzer::identifiers::IdentifierKind;

    fn bigram_config() -> EngineConfig {
        let mut cfg = EngineConfig::default();
        cfg.models.dir = "/nonexistent".into();
        cfg.lexical.analyzer = AnalyzerKind::Bigram;
        cfg
    }

    #[test]
    fn identifier_rules_come_from_config_per_domain() {
        let mut cfg = bigram_config();
        cfg.lexical.domains.insert(
            "finance".into(),
            DomainLexicalConfig {
                identifiers: Some(IdentifierConfig {
                    kinds: vec!["isin".into(), "amount".into()],
                    required: vec!["isin".into()],
                }),
                synonyms: None,
            },
        );
        let resources = Engine::new(cfg).lexical_resources().expect("resources");
        let finance = resources.identifier_rules(Some("finance"));
        assert_eq!(
            finance.extractor.kinds(),
            [IdentifierKind::Isin, IdentifierKind::Amount]
        );
        assert_eq!(finance.required, [IdentifierKind::Isin]);
        let general = resources.identifier_rules(Some("general"));
        assert_eq!(general.extractor.kinds().len(), IdentifierKind::ALL.len());
        assert!(resources.dictionary.is_none());
    }

    #[test]
    fn bad_settings_are_named() {
        let mut cfg = bigram_config();
        cfg.lexical.identifiers.required = vec!["part_nmuber".into()];
        let err = Engine::new(cfg).lexical_resources().expect_err("bad kind");
        assert!(err.to_string().contains("part_nmuber"), "{err}");

        let mut cfg = bigram_config();
        cfg.lexical.synonyms = Some("/nonexistent/synonyms.txt".into());
        let err = Engine::new(cfg)
            .lexical_resources()
            .expect_err("missing file");
        assert!(
            err.to_string().contains("/nonexistent/synonyms.txt"),
            "{err}"
        );

        let mut cfg = bigram_config();
        cfg.lexical.analyzer = AnalyzerKind::Combined;
        let err = Engine::new(cfg)
            .lexical_resources()
            .expect_err("no dictionary");
        assert!(err.to_string().contains("mecab-ko-dic"), "{err}");
    }
}
