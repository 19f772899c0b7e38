//! What answering reads from the lexical side: the content terms of a
//! question or a passage as this index's own analysis finds them, and how
//! rare each is in the collection. Evidence windows are scored with them,
//! so a sentence matches a question exactly when the index would have
//! matched it (삼성전자의 and 삼성전자는 alike), and a word every page
//! repeats weighs little.

use std::collections::{HashMap, HashSet};

use seogo_analyzer::normalize::Normalized;

use super::{sparse, LexicalIndex, Storage};
use crate::IndexError;

/// A text's content terms: words (MeCab-ko content morphemes, or bigrams
/// for a collection without them) and identifiers (canonical codes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentTerms {
    pub words: HashSet<String>,
    pub identifiers: HashSet<String>,
}

impl ContentTerms {
    /// Whether `term` is among the words or the identifiers.
    pub fn contains(&self, term: &str) -> bool {
        self.words.contains(term) || self.identifiers.contains(term)
    }

    /// Adds `other`'s terms.
    pub fn extend(&mut self, other: &ContentTerms) {
        self.words.extend(other.words.iter().cloned());
        self.identifiers.extend(other.identifiers.iter().cloned());
    }
}

impl LexicalIndex {
    /// The content terms of `text` (a question or a passage).
    pub fn content_terms(&self, text: &str) -> ContentTerms {
        let words = match self.analyzers.morph_terms(text) {
            Some(morphemes) => morphemes,
            None => self.analyzers.query_text_terms(text).unwrap_or_default(),
        };
        let identifiers = self
            .resources
            .identifiers
            .extractor
            .extract(&Normalized::new(text).text)
            .into_iter()
            .filter_map(|id| id.terms.into_iter().next())
            .collect();
        ContentTerms {
            words: words.into_iter().collect(),
            identifiers,
        }
    }

    /// BM25's inverse document frequency of each of `terms` in this index
    /// (words in the field they were analysed for, identifiers in the
    /// identifier field): a term no chunk has weighs most.
    pub fn term_weights(&self, terms: &ContentTerms) -> Result<HashMap<String, f32>, IndexError> {
        let has_morph = self.analyzers.morph.is_some();
        match &self.storage {
            Storage::Local(index) => {
                let word_field = if has_morph {
                    index.fields.morph
                } else {
                    index.fields.text
                };
                let mut weights = HashMap::new();
                for w in &terms.words {
                    weights.insert(w.clone(), index.idf(word_field, w));
                }
                for id in &terms.identifiers {
                    weights.insert(id.clone(), index.idf(index.fields.ids, id));
                }
                Ok(weights)
            }
            Storage::Cluster(store) => {
                let mut named: Vec<(String, u32)> = Vec::new();
                for w in &terms.words {
                    named.push((w.clone(), sparse::word_dimension(has_morph, w)));
                }
                for id in &terms.identifiers {
                    named.push((id.clone(), sparse::identifier_dimension(id)));
                }
                let dimensions: Vec<u32> = named.iter().map(|(_, d)| *d).collect();
                let idf = store.idf(&dimensions)?;
                Ok(named.into_iter().map(|(t, _)| t).zip(idf).collect())
            }
        }
    }
}
