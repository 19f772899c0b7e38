//! BM25 as a sparse vector, for collections on a Qdrant cluster.
//!
//! A chunk's vector holds one dimension per term of the three views the
//! tantivy index keeps (bigrams, morphemes, identifiers; the view is part
//! of the term's dimension), valued with BM25's term-frequency part:
//! `tf·(k1+1) / (tf + k1·(1 − b + b·len/avg_len))`, `len` the view's token
//! count in the chunk. Qdrant multiplies in the inverse document
//! frequency itself (`modifier: idf`, the same formula as tantivy's), so
//! a query vector carrying each term once, valued with its boost, scores
//! `Σ boost·idf·tf-part`: what the tantivy query scores. The average
//! lengths are measured on the first batch written to the collection and
//! kept with it from then on (a vector written with other averages would
//! score on another scale): chunks are cut to a size, so a first batch
//! measures them well, and Korean and English text differ threefold.

use std::collections::HashMap;
use std::sync::Arc;

use seogo_analyzer::bigram::Side;
use seogo_analyzer::normalize::normalize;
use seogo_types::Chunk;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    document_identifiers, document_term, filter_domain, identifier_terms, Analyzers,
    LexicalResources, ParsedQuery,
};
use crate::SearchFilter;

/// BM25's parameters (tantivy's).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// The three views a term can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum View {
    Text,
    Morph,
    Ids,
}

impl View {
    fn tag(self) -> u8 {
        match self {
            View::Text => b't',
            View::Morph => b'm',
            View::Ids => b'i',
        }
    }
}

/// The dimension of `term` in `view`: 32 bits of its SHA-256. Two terms
/// share one with probability 2⁻³² per pair (a few in a million-term
/// vocabulary, each merging two rare terms' counts).
fn dimension(view: View, term: &str) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update([view.tag()]);
    hasher.update(term.as_bytes());
    let digest = hasher.finalize();
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The dimension the evidence scorer's word `term` has (morphemes when the
/// analyzer has them, bigrams otherwise) or identifier `term`.
pub(crate) fn word_dimension(analyzers_have_morph: bool, term: &str) -> u32 {
    dimension(
        if analyzers_have_morph {
            View::Morph
        } else {
            View::Text
        },
        term,
    )
}

pub(crate) fn identifier_dimension(term: &str) -> u32 {
    dimension(View::Ids, term)
}

/// Average tokens per chunk in each view, fixed per collection.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AverageLengths {
    pub text: f32,
    pub morph: f32,
    pub ids: f32,
}

/// A sparse vector: dimensions ascending, one value each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVector {
    pub indices: Vec<u32>,
    pub values: Vec<f32>,
}

impl SparseVector {
    fn from_map(map: HashMap<u32, f32>) -> Self {
        let mut pairs: Vec<(u32, f32)> = map.into_iter().collect();
        pairs.sort_by_key(|(i, _)| *i);
        Self {
            indices: pairs.iter().map(|(i, _)| *i).collect(),
            values: pairs.iter().map(|(_, v)| *v).collect(),
        }
    }
}

/// Turns chunks into sparse vectors with a collection's analyzers.
#[derive(Debug, Clone)]
pub(crate) struct SparseEncoder {
    analyzers: Analyzers,
    resources: Arc<LexicalResources>,
}

/// A chunk's tokens in each view, repeats included.
struct ChunkTerms {
    text: Vec<String>,
    morph: Vec<String>,
    ids: Vec<String>,
}

/// BM25's term-frequency part for a term seen `tf` times in a view of
/// `len` tokens. The length goes through tantivy's one-byte field norm
/// (exact to 40 tokens, then in ever wider steps), as the local index
/// stores it, so both score a chunk alike.
fn tf_part(tf: f32, len: usize, avg: f32) -> f32 {
    use tantivy::fieldnorm::FieldNormReader;
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    let len = FieldNormReader::id_to_fieldnorm(FieldNormReader::fieldnorm_to_id(len)) as f32;
    tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / avg.max(1.0)))
}

/// What a first batch's average lengths are blended with, weighted as
/// this many chunks: the means of the two Korean dev corpora (ko-autorag,
/// KorQuAD) under the default chunker, so a first batch of a few chunks
/// does not fix the collection's scale on its own.
const PRIOR_CHUNKS: f32 = 50.0;
const PRIOR: AverageLengths = AverageLengths {
    text: 647.0,
    morph: 172.0,
    ids: 1.5,
};

/// Adds one view's terms (with repeats) to `out`, BM25-weighted.
fn add_view(out: &mut HashMap<u32, f32>, view: View, terms: &[String], avg: f32) {
    let mut counts: HashMap<&str, f32> = HashMap::new();
    for t in terms {
        *counts.entry(t.as_str()).or_insert(0.0) += 1.0;
    }
    let len = terms.len();
    for (term, tf) in counts {
        *out.entry(dimension(view, term)).or_insert(0.0) += tf_part(tf, len, avg);
    }
}

impl SparseEncoder {
    pub(crate) fn new(analyzers: Analyzers, resources: Arc<LexicalResources>) -> Self {
        Self {
            analyzers,
            resources,
        }
    }

    fn terms(&self, chunk: &Chunk) -> ChunkTerms {
        let text = chunk.indexed_text();
        let text_terms = match self.analyzers.text_tokens(&text, Side::Index) {
            Some(tokens) if self.analyzers.kind.uses_text_field() => {
                tokens.into_iter().map(|t| t.text).collect()
            }
            _ => Vec::new(),
        };
        let morph = match self.analyzers.morph.as_ref() {
            Some(m) => m.analyze(&text).into_iter().map(|t| t.text).collect(),
            None => Vec::new(),
        };
        let mut ids = identifier_terms(&self.resources, chunk, &text);
        ids.extend(
            document_identifiers(&self.resources, chunk)
                .iter()
                .map(|t| document_term(t)),
        );
        ChunkTerms {
            text: text_terms,
            morph,
            ids,
        }
    }

    /// What the chunk's `"phrases"` are matched against.
    pub(crate) fn phrase_stream(&self, chunk: &Chunk) -> String {
        phrase_stream(&self.analyzers, &chunk.indexed_text())
    }

    /// The average tokens per chunk of `chunks` in each view, blended
    /// with [`PRIOR`] (worth [`PRIOR_CHUNKS`] chunks).
    pub(crate) fn measure(&self, chunks: &[Chunk]) -> AverageLengths {
        let mut sum = AverageLengths {
            text: PRIOR.text * PRIOR_CHUNKS,
            morph: PRIOR.morph * PRIOR_CHUNKS,
            ids: PRIOR.ids * PRIOR_CHUNKS,
        };
        for chunk in chunks {
            let terms = self.terms(chunk);
            sum.text += terms.text.len() as f32;
            sum.morph += terms.morph.len() as f32;
            sum.ids += terms.ids.len() as f32;
        }
        let n = chunks.len() as f32 + PRIOR_CHUNKS;
        AverageLengths {
            text: sum.text / n,
            morph: sum.morph / n,
            ids: sum.ids / n,
        }
    }

    /// The chunk's vector under `lengths`, and the identifier terms (its
    /// own and its document's, `doc:`-prefixed) that filters on required
    /// identifiers read from the payload.
    pub(crate) fn document(
        &self,
        chunk: &Chunk,
        lengths: &AverageLengths,
    ) -> (SparseVector, Vec<String>) {
        let terms = self.terms(chunk);
        let mut out = HashMap::new();
        add_view(&mut out, View::Text, &terms.text, lengths.text);
        add_view(&mut out, View::Morph, &terms.morph, lengths.morph);
        add_view(&mut out, View::Ids, &terms.ids, lengths.ids);
        let mut ids = terms.ids;
        ids.sort();
        ids.dedup();
        (SparseVector::from_map(out), ids)
    }
}

/// What `"phrases"` are matched against on a cluster: the text's
/// query-side tokens (bigrams, or morphemes for a morpheme-only analyzer)
/// in order, space-separated, for Qdrant's phrase index (whitespace
/// tokenizer). A phrase matches where its tokens follow one another in
/// the text, so it matches as written (spacing included), where tantivy's
/// positioned phrase also tolerates the index's unigram positions.
pub(crate) fn phrase_stream(analyzers: &Analyzers, text: &str) -> String {
    let tokens = match analyzers.text_tokens(text, Side::Query) {
        Some(tokens) => tokens,
        None => match analyzers.morph.as_ref() {
            Some(m) => m.analyze(text),
            None => Vec::new(),
        },
    };
    let mut out = String::with_capacity(text.len() * 2);
    for t in tokens {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

/// A query for the cluster's lexical side.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseQuery {
    pub vector: SparseVector,
    /// Each must be among a result's identifier terms, itself or
    /// `doc:`-prefixed.
    pub required: Vec<String>,
    /// Each must occur in the result's phrase stream ([`phrase_stream`]).
    pub phrases: Vec<String>,
    /// Each must start a word of the result's text (normalised).
    pub prefixes: Vec<String>,
}

/// The sparse query for `parsed`, or `None` when it has nothing to search
/// for. Mirrors `query::build` term for term: every analysed term once,
/// valued with its view's boost (boosts of one term from two clauses add,
/// as the clauses' scores do in tantivy).
pub(crate) fn query(
    parsed: &ParsedQuery,
    filter: &SearchFilter,
    analyzers: &Analyzers,
    resources: &LexicalResources,
) -> Option<SparseQuery> {
    let domain = filter_domain(filter);
    let weights = resources.weights;
    let mut out: HashMap<u32, f32> = HashMap::new();
    let mut add_terms = |view: View, mut terms: Vec<String>, weight: f32| {
        terms.sort();
        terms.dedup();
        for t in terms {
            *out.entry(dimension(view, &t)).or_insert(0.0) += weight;
        }
    };
    if let Some(text_terms) = analyzers.query_text_terms(&parsed.free) {
        add_terms(View::Text, text_terms, weights.text);
    }
    if let Some(morph_terms) = analyzers.morph_terms(&parsed.free) {
        add_terms(View::Morph, morph_terms, weights.morph);
    }
    for added in resources.synonyms_for(domain).expand(&parsed.free) {
        if let Some(t) = analyzers.query_text_terms(&added) {
            add_terms(View::Text, t, weights.synonym);
        }
        if let Some(t) = analyzers.morph_terms(&added) {
            add_terms(View::Morph, t, weights.synonym);
        }
    }
    let mut required = Vec::new();
    let rules = resources.identifier_rules(domain);
    for id in rules.extractor.extract(&normalize(&parsed.free)) {
        if let Some(term) = rules.required_term(&id) {
            add_terms(View::Ids, vec![term.to_string()], weights.identifier);
            // Named by the chunk's document only: passes and scores
            // (almost) nothing, as in tantivy.
            add_terms(View::Ids, vec![document_term(term)], 1e-4);
            required.push(term.to_string());
        }
        if let Some(specific) = id.terms.first() {
            add_terms(View::Ids, vec![specific.clone()], weights.identifier);
        }
    }
    let phrases: Vec<String> = parsed
        .phrases
        .iter()
        .map(|p| phrase_stream(analyzers, p))
        .filter(|p| !p.is_empty())
        .collect();
    if out.is_empty() {
        return None;
    }
    Some(SparseQuery {
        vector: SparseVector::from_map(out),
        required,
        phrases,
        prefixes: parsed.prefixes.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_frequency_saturates_and_long_chunks_weigh_less() {
        let once = tf_part(1.0, 40, 40.0);
        let twice = tf_part(2.0, 40, 40.0);
        assert!(twice > once && twice < 2.0 * once, "{once} {twice}");
        assert!(tf_part(1.0, 400, 40.0) < once);
        // At the average length one occurrence is worth exactly 1.
        assert!((once - 1.0).abs() < 1e-6);
        // Long views are measured in tantivy's steps: 700 and 701 tokens
        // share one.
        assert_eq!(tf_part(1.0, 700, 600.0), tf_part(1.0, 701, 600.0));
    }

    #[test]
    fn views_keep_a_term_apart() {
        assert_ne!(
            dimension(View::Text, "펌프"),
            dimension(View::Morph, "펌프")
        );
        assert_eq!(
            dimension(View::Ids, "pn-4471-a"),
            identifier_dimension("pn-4471-a")
        );
    }

    #[test]
    fn vectors_are_sorted_and_summed() {
        let mut map = HashMap::new();
        map.insert(9, 1.0);
        map.insert(3, 0.5);
        let v = SparseVector::from_map(map);
        assert_eq!(v.indices, vec![3, 9]);
        assert_eq!(v.values, vec![0.5, 1.0]);
    }
}
