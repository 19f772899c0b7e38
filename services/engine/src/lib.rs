//! Seogo's engine: ingest (documents → chunks → both indexes), retrieval
//! (lexical + dense, fused, ACL-filtered), grounded answering and
//! evaluation. It glues connectors, indexes and models, and never parses a
//! file format or talks HTTP itself.

pub mod answer;
mod collection;
pub mod config;
mod error;
pub mod eval;
pub mod ingest;
pub mod retrieve;

pub use collection::{validate_name, ChunkCounts, Collection, DocEntry, Inventory, Manifest};
pub use config::EngineConfig;
pub use error::EngineError;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use seogo_models::{BertEmbedder, Embedder, Generator, QwenGguf};

/// A shared handle on a collection: searches read, ingest writes.
pub type SharedCollection = Arc<RwLock<Collection>>;

/// The engine: configuration, lazily loaded models and open collections.
/// Models load on first use, so a BM25 search never pays for them.
#[derive(Debug)]
pub struct Engine {
    config: EngineConfig,
    embedder: Mutex<Option<Arc<dyn Embedder>>>,
    generator: Mutex<Option<Arc<dyn Generator>>>,
    collections: Mutex<HashMap<String, SharedCollection>>,
}

/// The collection used when none is named.
pub const DEFAULT_COLLECTION: &str = "default";

impl Engine {
    pub fn new(config: EngineConfig) -> Self {
        Self {
            config,
            embedder: Mutex::new(None),
            generator: Mutex::new(None),
            collections: Mutex::new(HashMap::new()),
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
        let e: Arc<dyn Embedder> =
            Arc::new(BertEmbedder::load(&dir, self.config.models.embed_batch)?);
        *slot = Some(e.clone());
        Ok(e)
    }

    /// The generator, loading it on first use.
    pub fn generator(&self) -> Result<Arc<dyn Generator>, EngineError> {
        let mut slot = lock(&self.generator);
        if let Some(g) = slot.as_ref() {
            return Ok(g.clone());
        }
        let path = self.config.models.generator_file();
        if !path.exists() {
            return Err(seogo_models::ModelError::NotInstalled { path }.into());
        }
        let g: Arc<dyn Generator> = Arc::new(QwenGguf::load(&path)?);
        *slot = Some(g.clone());
        Ok(g)
    }

    /// Whether the models are loaded (for readiness probes).
    pub fn models_loaded(&self) -> bool {
        lock(&self.embedder).is_some()
    }

    /// An open collection; `create` makes it (for the configured embedder)
    /// when missing.
    pub fn collection(&self, name: &str, create: bool) -> Result<SharedCollection, EngineError> {
        validate_name(name)?;
        if let Some(c) = lock(&self.collections).get(name) {
            return Ok(c.clone());
        }
        let dir = Collection::dir_of(&self.config.data.dir, name);
        let fingerprint = if create && !dir.join("collection.json").exists() {
            Some(self.embedder()?.fingerprint().clone())
        } else {
            None
        };
        let collection = Arc::new(RwLock::new(Collection::open(
            name,
            &dir,
            fingerprint.as_ref(),
        )?));
        lock(&self.collections).insert(name.to_string(), collection.clone());
        Ok(collection)
    }

    /// Names of the collections in the data directory.
    pub fn collection_names(&self) -> Result<Vec<String>, EngineError> {
        let dir = self.config.data.dir.join("collections");
        let mut names = Vec::new();
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                for e in entries.flatten() {
                    if e.path().join("collection.json").exists() {
                        names.push(e.file_name().to_string_lossy().into_owned());
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

/// Locks a mutex, recovering from poisoning: the guarded values here (model
/// handles, the collection map) stay valid even if a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Read access to a collection, recovering from poisoning.
pub(crate) fn read(c: &SharedCollection) -> std::sync::RwLockReadGuard<'_, Collection> {
    c.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Write access to a collection, recovering from poisoning.
pub(crate) fn write(c: &SharedCollection) -> std::sync::RwLockWriteGuard<'_, Collection> {
    c.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}
