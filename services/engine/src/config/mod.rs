//! The engine's configuration. The CLI layers it: these defaults →
//! `seogo.toml` → `SEOGO__SECTION__KEY` environment → flags.

use std::collections::BTreeMap;
use std::path::PathBuf;

use seogo_index::{AnalyzerKind, FusionMethod, LexicalWeights};
use seogo_models::EmbedPrecision;
use serde::{Deserialize, Serialize};

mod reference;
mod validate;
pub use reference::{reference, undocumented};
pub use validate::{ConfigError, Problems};

/// Everything the engine needs to know, by section. The file holds the
/// server's `[server]` section too, which the server crate owns: the CLI
/// reads both (its `SiteConfig` flattens this one), and it is the CLI that
/// refuses an unknown top-level key, since only it knows every section.
/// Each section refuses unknown keys itself.
#[derive(Debug, Clone, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(default)]
pub struct EngineConfig {
    pub data: DataConfig,
    /// Per-file parsing limits: what a hostile file may cost.
    pub parse: seogo_docs::Limits,
    pub models: ModelsConfig,
    /// Which model writes answers.
    pub generator: GeneratorConfig,
    /// Where dense vectors live.
    pub vectors: VectorsConfig,
    pub chunking: ChunkingConfig,
    pub retrieval: RetrievalConfig,
    pub lexical: LexicalConfig,
    pub answer: AnswerConfig,
    /// Named sources for `seogo sync NAME` (`[[sources]]` tables).
    pub sources: Vec<SourceConfig>,
}

/// One `[[sources]]` entry: a folder kept in sync with a collection,
/// read through a domain connector — or, with `fetch`, an API (EDGAR,
/// OpenDART, the law information service) mirrored into that folder first.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// The name `seogo sync NAME` takes; unique among the sources.
    pub name: String,
    /// The folder (walked recursively; hidden entries skipped) or file;
    /// with `fetch`, the folder the API is mirrored into.
    pub path: PathBuf,
    /// Globs a file's path under `path` must match (all files when empty),
    /// e.g. `["**/*.hwp", "**/*.pdf"]`.
    #[serde(default)]
    pub include: Vec<String>,
    /// Globs that leave a file out, e.g. `["**/~$*", "**/임시/**"]`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `manufacturing`, `finance` or `public`; none reads files generically.
    #[serde(default)]
    pub connector: Option<String>,
    /// Options for the connector (see its crate's docs).
    #[serde(default)]
    pub options: serde_json::Value,
    /// The documents' domain; defaults to the connector's, else general.
    #[serde(default)]
    pub domain: Option<seogo_docs::Domain>,
    /// Groups allowed to read its documents; empty = public (a connector
    /// may narrow it per document, e.g. by security classification).
    #[serde(default)]
    pub acl: Vec<String>,
    /// The collection its documents go to.
    #[serde(default = "default_collection")]
    pub collection: String,
    /// `[sources.fetch]`: the API to mirror into `path` before each sync
    /// (`kind = "edgar" | "dart" | "law"`; see seogo-fetch).
    #[serde(default)]
    pub fetch: Option<seogo_fetch::FetchConfig>,
    /// Sync it this often (minutes) while `seogo serve` runs, counted from
    /// the end of the last sync; none: only `seogo sync` or the API's
    /// "sync now".
    #[serde(default)]
    #[schemars(example = "an_hour")]
    pub every_minutes: Option<u64>,
}

/// `every_minutes`' example in the reference.
fn an_hour() -> u64 {
    60
}

fn default_collection() -> String {
    crate::DEFAULT_COLLECTION.into()
}

/// `[generator]`: the local GGUF run in-process by candle (the default,
/// `models.generator`), or a served model behind an OpenAI-compatible API
/// (`kind = "openai"`: vLLM/SGLang on the GPU node, or `llama-server`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum GeneratorConfig {
    #[default]
    Local,
    #[serde(rename = "openai")]
    OpenAi(Box<seogo_models::OpenAiConfig>),
}

/// `[vectors]`: the embedded Qdrant in each collection's directory (the
/// default), or a Qdrant server or cluster (`backend = "qdrant"`, with
/// `url`, shards, replication; see [`seogo_index::QdrantConfig`]). The
/// BM25 index and the manifest stay in the data directory either way.
/// Both take `hnsw_ef`, the HNSW candidates a search examines: recall
/// against latency (256 by default; measured in
/// docs/BENCHMARKS.md, "Query latency at scale").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum VectorsConfig {
    Embedded {
        /// HNSW candidates examined per search (recall against latency).
        #[serde(default = "default_hnsw_ef")]
        hnsw_ef: usize,
    },
    Qdrant(Box<seogo_index::QdrantConfig>),
}

impl Default for VectorsConfig {
    fn default() -> Self {
        Self::Embedded {
            hnsw_ef: default_hnsw_ef(),
        }
    }
}

fn default_hnsw_ef() -> usize {
    seogo_index::DEFAULT_HNSW_EF
}

/// Where indexes and manifests live.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// The data directory: collections, keys, sync state, audit log.
    pub dir: PathBuf,
    /// Chunks an ingest embeds and commits together: bounds its memory and
    /// the work a crash can undo; each commit costs a few fsyncs.
    pub commit_chunks: usize,
    /// Free space (MB) the data directory's disk must keep: an ingest
    /// stops, with a clear error and nothing changed, before writing a
    /// batch below it. Index merges and HNSW builds need headroom, and
    /// memory-mapped writes into a full disk kill the process (SIGBUS)
    /// rather than fail.
    pub min_free_mb: u64,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("data"),
            commit_chunks: 64,
            min_free_mb: 256,
        }
    }
}

/// Where the models are. `dir` holds the default pack; a site with its own
/// mirror points `embedder`/`generator` at Hugging Face-format folders or a
/// GGUF file instead.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsConfig {
    /// Where `seogo models install` puts the model pack.
    pub dir: PathBuf,
    /// HF-format BERT folder (config.json, model.safetensors, tokenizer.json).
    pub embedder: Option<PathBuf>,
    /// GGUF file of the local generator.
    pub generator: Option<PathBuf>,
    /// CPU threads for candle; 0 = all cores.
    pub threads: usize,
    /// Where the local models run: `cpu`, `cuda` or `cuda:N` (a build
    /// with the `cuda` feature).
    pub device: String,
    /// Passages per embedding batch.
    pub embed_batch: usize,
    /// The CPU embedder's matrix products, for passages and queries alike:
    /// `int8` (the default, faster) or `f32`.
    pub embed_precision: EmbedPrecision,
}

impl Default for ModelsConfig {
    fn default() -> Self {
        Self {
            dir: PathBuf::from("models"),
            embedder: None,
            generator: None,
            threads: 0,
            device: "cpu".into(),
            embed_batch: 8,
            embed_precision: EmbedPrecision::default(),
        }
    }
}

/// A configuration as JSON with secrets (`*api_key*`, `*secret*`,
/// `*password*`, `*token*`, except the `*_env` names of variables) masked:
/// for `seogo config`, support tickets and backups.
pub fn masked_json(config: &impl Serialize) -> serde_json::Value {
    let mut value = serde_json::to_value(config).unwrap_or_default();
    mask_secrets(&mut value);
    value
}

fn mask_secrets(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                let secret = ["api_key", "secret", "password", "token"]
                    .iter()
                    .any(|s| key.contains(s))
                    && !key.ends_with("_env");
                if secret && !inner.is_null() {
                    *inner = "***".into();
                } else {
                    mask_secrets(inner);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}

impl ModelsConfig {
    pub fn embedder_dir(&self) -> PathBuf {
        self.embedder
            .clone()
            .unwrap_or_else(|| self.dir.join(seogo_models::pack::install::EMBEDDER_DIR))
    }

    /// The MeCab-ko dictionary folder of the pack.
    pub fn dictionary_dir(&self) -> PathBuf {
        self.dir.join(seogo_models::pack::install::DICTIONARY_DIR)
    }

    pub fn generator_file(&self) -> PathBuf {
        self.generator
            .clone()
            .unwrap_or_else(|| self.dir.join(seogo_models::pack::install::GENERATOR_FILE))
    }
}

/// Chunk sizes, in approximate model tokens.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ChunkingConfig {
    /// A chunk's size at most.
    pub max_tokens: usize,
    /// Tokens a chunk repeats from the one before it (below max_tokens).
    pub overlap_tokens: usize,
}

impl ChunkingConfig {
    /// The chunker these settings describe.
    pub fn chunker(&self) -> seogo_docs::ChunkerConfig {
        seogo_docs::ChunkerConfig {
            max_tokens: self.max_tokens,
            overlap_tokens: self.overlap_tokens,
        }
    }
}

impl Default for ChunkingConfig {
    fn default() -> Self {
        let d = seogo_docs::ChunkerConfig::default();
        Self {
            max_tokens: d.max_tokens,
            overlap_tokens: d.overlap_tokens,
        }
    }
}

/// Candidate depths, fusion and the relevance floor.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RetrievalConfig {
    /// Lexical candidates fetched before fusion.
    pub lexical_k: usize,
    /// Dense candidates fetched before fusion.
    pub dense_k: usize,
    /// How the lexical and dense rankings are combined.
    pub fusion: FusionMethod,
    /// The lexical ranking's weight in the fusion.
    pub lexical_weight: f32,
    /// The dense ranking's weight in the fusion.
    pub dense_weight: f32,
    /// The second-stage ranker (search mode `rerank`): the weight of a
    /// candidate's best evidence-window score against its fused score.
    pub rerank_weight: f32,
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        // Checked by `seogo eval tune` (docs/BENCHMARKS.md), folds within
        // ko-autorag, KorQuAD and mtrag-un and each set left out in turn:
        // RRF k 60 with a dense weight of 0.1 is above both single engines
        // on all three sets, and fusions fitted to two sets fell below
        // BM25 on the third. The ranker's weight (mode `rerank`) is the
        // one with the best mean over the three sets at this fusion (0.4);
        // no weight raised all three, so `ask` does not use it.
        Self {
            lexical_k: 50,
            dense_k: 50,
            fusion: FusionMethod::Rrf { k: 60.0 },
            lexical_weight: 1.0,
            dense_weight: 0.1,
            rerank_weight: 0.4,
        }
    }
}

/// Lexical analysis: the analyzer new collections are built with, the
/// MeCab-ko dictionary, identifier rules and synonym files (per domain
/// where a domain needs its own).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LexicalConfig {
    /// The analyzer new collections are built with (fixed per collection).
    pub analyzer: AnalyzerKind,
    /// MeCab-ko dictionary folder; default `<models.dir>/mecab-ko-dic`.
    pub dictionary: Option<PathBuf>,
    /// How much each query part counts in the BM25 score.
    pub weights: LexicalWeights,
    /// Synonym rules applied to every query (re-read when edited).
    pub synonyms: Option<PathBuf>,
    /// Identifier kinds extracted, and those a result must contain.
    pub identifiers: IdentifierConfig,
    /// Per document domain (`general`, `manufacturing`, `finance`, `public`).
    pub domains: BTreeMap<String, DomainLexicalConfig>,
}

/// Which identifier kinds are extracted (`part_number`, `alarm_code`,
/// `standard`, `statute_article`, `document_number`, `isin`,
/// `business_number`, `date`, `amount`) and which, named in a query, a
/// result must contain; the others boost.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IdentifierConfig {
    /// Kinds extracted from documents and queries.
    pub kinds: Vec<String>,
    /// Kinds a result must contain when the query names one (the others boost).
    pub required: Vec<String>,
}

impl Default for IdentifierConfig {
    fn default() -> Self {
        let rules = seogo_index::IdentifierRules::default();
        Self {
            kinds: rules
                .extractor
                .kinds()
                .iter()
                .map(|k| k.to_string())
                .collect(),
            required: rules.required.iter().map(|k| k.to_string()).collect(),
        }
    }
}

/// A domain's own identifier rules and extra synonyms.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DomainLexicalConfig {
    /// The domain's identifier rules instead of `lexical.identifiers`.
    pub identifiers: Option<IdentifierConfig>,
    /// Synonym rules added for queries in this domain.
    pub synonyms: Option<PathBuf>,
}

/// Grounded answering.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AnswerConfig {
    /// Chunks the evidence windows are taken from, at most (each becomes
    /// a numbered source).
    pub max_sources: usize,
    /// Tokens of evidence windows in the prompt, at most; none = the
    /// generator kind's default (320 for the local model, whose prefill
    /// is the slow part on a CPU; 2,000 for a served one).
    #[serde(alias = "max_context_tokens")]
    pub evidence_tokens: Option<usize>,
    /// Tokens the model may write.
    pub max_tokens: usize,
    /// How candidates are retrieved for an answer: `hybrid`, or `rerank`
    /// (hybrid re-ordered by the second-stage ranker; it raised nDCG@10 on
    /// two of the three dev sets, not all, so it is not the default).
    pub retrieval: crate::retrieve::SearchMode,
    /// What the model reads: `windows` (the sentences, rows and items
    /// that state the question) or `chunks` (whole chunks in retrieval
    /// order, as before evidence windows; for comparison, or a served
    /// model with room to spare).
    pub evidence: EvidenceMode,
    /// Worked examples before the question (cited format): a small model
    /// shown how a partial answer is taken up and an unrelated source
    /// declined answers more of what its sources state; they sit in the
    /// generator's prefix cache, so they cost prefill once.
    pub examples: bool,
    /// What the model writes: `cited` (sentences ending in [n]) or
    /// `evidence_first` (a copied source sentence, then the answer).
    pub format: AnswerFormat,
    /// Below this best-window score (the share of the question's weight
    /// the best evidence window states, 0–1) the question is declined
    /// without asking the model.
    pub min_evidence: f32,
    /// Below this share of the question's weight stated by an answer's
    /// supported sentences and the sources they cite, the answer is about
    /// something else (the pump's interval for a question about another
    /// machine) and the question is declined. 0.55 was chosen by
    /// `seogo eval calibrate` (balanced accuracy, five folds over the
    /// pooled ko-autorag, mtrag-un and KorQuAD outcomes; 0.55 in four of
    /// five folds): refusal on unanswerable questions 0.60 → 0.80 for
    /// answerable ones 0.12 → 0.21 (docs/BENCHMARKS.md).
    pub min_coverage: f32,
    /// The extractive floor: when the model declines or none of its
    /// sentences holds, the best window is given verbatim (marked as an
    /// extract) if the window itself states at least this share of the
    /// question's weight. Above 1 turns the floor off.
    pub extract_min_coverage: f32,
    /// What to do with a sentence no source supports: drop it from the
    /// answer (`drop`) or refuse the whole answer (`refuse`, for sites
    /// that would rather have no answer than a partly checked one).
    pub unsupported: UnsupportedPolicy,
}

/// See [`AnswerConfig::unsupported`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum UnsupportedPolicy {
    #[default]
    Drop,
    Refuse,
}

/// See [`AnswerConfig::evidence`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceMode {
    #[default]
    Windows,
    Chunks,
}

/// See [`AnswerConfig::format`].
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AnswerFormat {
    #[default]
    Cited,
    EvidenceFirst,
}

impl AnswerConfig {
    /// The evidence budget for a generator of this kind.
    pub fn evidence_budget(&self, generator: &GeneratorConfig) -> usize {
        self.evidence_tokens.unwrap_or(match generator {
            GeneratorConfig::Local => 320,
            GeneratorConfig::OpenAi(_) => 2000,
        })
    }
}

impl Default for AnswerConfig {
    fn default() -> Self {
        Self {
            max_sources: 4,
            evidence_tokens: None,
            max_tokens: 256,
            retrieval: crate::retrieve::SearchMode::Hybrid,
            evidence: EvidenceMode::Windows,
            examples: true,
            format: AnswerFormat::Cited,
            min_evidence: 0.0,
            min_coverage: 0.55,
            extract_min_coverage: 0.7,
            unsupported: UnsupportedPolicy::Drop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_their_variable_names_kept() {
        let mut value = serde_json::json!({
            "generator": {"api_key": "sk-1", "api_key_env": "KEY", "model": "m"},
            "sources": [{"fetch": {"client_secret": "s"}}],
            "server": {"keys_file": null}
        });
        mask_secrets(&mut value);
        assert_eq!(value["generator"]["api_key"], "***");
        assert_eq!(value["generator"]["api_key_env"], "KEY");
        assert_eq!(value["generator"]["model"], "m");
        assert_eq!(value["sources"][0]["fetch"]["client_secret"], "***");
        assert!(value["server"]["keys_file"].is_null());
    }
}
