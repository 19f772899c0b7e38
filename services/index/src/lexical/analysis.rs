//! How the lexical side analyses text: which analyzer a collection was
//! built with, and the resources every collection shares (the MeCab-ko
//! dictionary, identifier rules per domain, the operator's synonym files).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use seogo_analyzer::identifiers::{Identifier, IdentifierExtractor, IdentifierKind};
use seogo_analyzer::mecab::Dictionary;
use seogo_analyzer::synonyms::Synonyms;
use serde::{Deserialize, Serialize};

use crate::IndexError;

/// The analyzer a collection's lexical index is built with. Fixed when the
/// collection is created: changing it means re-ingesting.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AnalyzerKind {
    /// Words split at non-alphanumerics: the baseline, for comparison.
    Whitespace,
    /// Hangul character bigrams (+ unigrams at index time).
    Bigram,
    /// MeCab-ko content morphemes.
    Morph,
    /// Bigrams and morphemes in two fields, both scored (the default:
    /// best on the Korean evaluation sets, docs/BENCHMARKS.md).
    #[default]
    Combined,
}

impl AnalyzerKind {
    pub const ALL: [AnalyzerKind; 4] = [
        AnalyzerKind::Whitespace,
        AnalyzerKind::Bigram,
        AnalyzerKind::Morph,
        AnalyzerKind::Combined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnalyzerKind::Whitespace => "whitespace",
            AnalyzerKind::Bigram => "bigram",
            AnalyzerKind::Morph => "morph",
            AnalyzerKind::Combined => "combined",
        }
    }

    /// Whether it needs the MeCab-ko dictionary.
    pub fn uses_morphemes(self) -> bool {
        matches!(self, AnalyzerKind::Morph | AnalyzerKind::Combined)
    }

    /// Whether it fills the character-level `text` field.
    pub fn uses_text_field(self) -> bool {
        !matches!(self, AnalyzerKind::Morph)
    }
}

impl std::str::FromStr for AnalyzerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("unknown analyzer `{s}` (whitespace, bigram, morph or combined)")
            })
    }
}

impl std::fmt::Display for AnalyzerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifier handling of one domain: which kinds are extracted, and which
/// of them, when a query names one, a result must contain.
#[derive(Debug, Clone)]
pub struct IdentifierRules {
    pub extractor: IdentifierExtractor,
    pub required: Vec<IdentifierKind>,
}

impl IdentifierRules {
    /// The term a result must contain when a query names `id`, if any.
    ///
    /// A statute reference requires only its article (제3조 for
    /// 제3조 제2항): statutes number paragraphs ①②, so the finer reference
    /// is often not written out in the text; it boosts instead. A bare
    /// 제2항/제2호 names no article and requires nothing.
    pub fn required_term<'i>(&self, id: &'i Identifier) -> Option<&'i str> {
        if !self.required.contains(&id.kind) {
            return None;
        }
        if id.kind == IdentifierKind::StatuteArticle {
            return id
                .terms
                .iter()
                .rev()
                .find(|t| t.contains('조'))
                .map(String::as_str);
        }
        id.terms.first().map(String::as_str)
    }
}

impl Default for IdentifierRules {
    /// Every kind extracted; codes that name one thing (parts, alarms,
    /// statute articles, ISINs, business numbers) required, and the kinds
    /// that prose paraphrases (dates, amounts, standards, document numbers)
    /// only boosting.
    fn default() -> Self {
        Self {
            extractor: IdentifierExtractor::all(),
            required: vec![
                IdentifierKind::PartNumber,
                IdentifierKind::AlarmCode,
                IdentifierKind::StatuteArticle,
                IdentifierKind::Isin,
                IdentifierKind::BusinessNumber,
            ],
        }
    }
}

/// How much each query part counts in the BM25 score.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LexicalWeights {
    /// Bigram (or whitespace) terms.
    pub text: f32,
    /// Morpheme terms.
    pub morph: f32,
    /// Terms added by synonym rules.
    pub synonym: f32,
    /// An identifier of the query found exactly.
    pub identifier: f32,
}

impl Default for LexicalWeights {
    fn default() -> Self {
        Self {
            text: 1.0,
            morph: 1.0,
            synonym: 0.5,
            identifier: 2.0,
        }
    }
}

/// A synonym file, re-read when it changes on disk, so an operator's edit
/// applies to the next query without a restart.
#[derive(Debug)]
pub struct SynonymSource {
    path: PathBuf,
    loaded: RwLock<(Option<SystemTime>, Arc<Synonyms>)>,
}

impl SynonymSource {
    /// Loads `path` now: a broken file is an error at startup.
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let modified = modified(path);
        let synonyms = Synonyms::load(path).map_err(|e| IndexError::Analysis(e.to_string()))?;
        Ok(Self {
            path: path.to_path_buf(),
            loaded: RwLock::new((modified, Arc::new(synonyms))),
        })
    }

    /// The rules as the file says now. A file broken by a later edit keeps
    /// the last good rules (and says so in the log) rather than failing
    /// searches.
    pub fn current(&self) -> Arc<Synonyms> {
        let now = modified(&self.path);
        {
            let loaded = self
                .loaded
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if loaded.0 == now {
                return loaded.1.clone();
            }
        }
        let mut loaded = self
            .loaded
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match Synonyms::load(&self.path) {
            Ok(s) => *loaded = (now, Arc::new(s)),
            Err(e) => {
                tracing::warn!("{e}; keeping the previous synonym rules");
                loaded.0 = now;
            }
        }
        loaded.1.clone()
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// What every collection's lexical index shares.
#[derive(Debug, Default)]
pub struct LexicalResources {
    /// Loaded when a morpheme analyzer is in use.
    pub dictionary: Option<Arc<Dictionary>>,
    pub identifiers: IdentifierRules,
    /// Overrides by document domain (`general`, `finance`, …).
    pub domain_identifiers: BTreeMap<String, IdentifierRules>,
    pub synonyms: Vec<Arc<SynonymSource>>,
    pub domain_synonyms: BTreeMap<String, Vec<Arc<SynonymSource>>>,
    pub weights: LexicalWeights,
}

impl LexicalResources {
    /// The identifier rules for documents (or a query) of `domain`.
    pub fn identifier_rules(&self, domain: Option<&str>) -> &IdentifierRules {
        domain
            .and_then(|d| self.domain_identifiers.get(d))
            .unwrap_or(&self.identifiers)
    }

    /// The global rules plus those of `domain`.
    pub fn synonyms_for(&self, domain: Option<&str>) -> Synonyms {
        let mut all = Synonyms::default();
        let domain_sources = domain.and_then(|d| self.domain_synonyms.get(d));
        for source in self
            .synonyms
            .iter()
            .chain(domain_sources.into_iter().flatten())
        {
            all.extend(&source.current());
        }
        all
    }
}
