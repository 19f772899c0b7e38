//! Korean by morphemes: the MeCab-ko [`Dictionary`] cuts text into
//! morphemes and only the content-bearing ones become terms, so
//! 삼성전자의 / 삼성전자는 both index 삼성전자 and the particles 의 / 는 never
//! match anything.
//!
//! Compounds and inflected forms are also split by the dictionary's
//! expression (삼성전자 → 삼성 + 전자, 점검하였다 → 점검 + 하): the whole
//! form is kept too, at the same position, so a query for either matches.

use std::sync::Arc;

use tantivy_tokenizer_api::{Token, Tokenizer};

use crate::mecab::Dictionary;
use crate::normalize::Normalized;
use crate::VecTokenStream;

/// The morpheme analyzer, as a tantivy [`Tokenizer`].
#[derive(Debug, Clone)]
pub struct MorphAnalyzer {
    dictionary: Arc<Dictionary>,
}

/// Part-of-speech tags (mecab-ko-dic / Sejong) whose morphemes carry
/// meaning: nouns, numerals, pronouns, verb/adjective stems, roots, foreign
/// words, Hanja, numbers, and words the dictionary does not know. Particles
/// (J*), endings (E*), affixes (X*), symbols (S* but SL/SH/SN) and adverbs
/// are dropped, as Lucene's Nori does by default.
fn is_content(pos: &str) -> bool {
    matches!(
        pos,
        "NNG" | "NNP" | "NNB" | "NNBC" | "NR" | "NP" | "VV" | "VA" | "XR" | "SL" | "SH" | "SN"
    ) || pos == "UNKNOWN"
}

impl MorphAnalyzer {
    pub fn new(dictionary: Arc<Dictionary>) -> Self {
        Self { dictionary }
    }

    /// The terms for `text`, in order (outside tantivy: tests, highlighting).
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.analyze(text).into_iter().map(|t| t.text).collect()
    }

    pub fn analyze(&self, text: &str) -> Vec<Token> {
        let norm = Normalized::new(text);
        let normalized = norm.text.as_str();
        let mut out = Vec::new();
        for (position, m) in self.dictionary.tokenize(normalized).into_iter().enumerate() {
            let surface = &normalized[m.start..m.end];
            let pos = m.pos();
            let mut push = |term: &str| {
                let repeated = out
                    .last()
                    .is_some_and(|t: &Token| t.position == position && t.text == term);
                if !term.is_empty() && !repeated {
                    let (offset_from, offset_to) = norm.original_span(m.start, m.end);
                    out.push(Token {
                        offset_from,
                        offset_to,
                        position,
                        text: term.to_string(),
                        position_length: 1,
                    });
                }
            };
            // Most morphemes are simple (particles, endings, plain nouns):
            // decide on the tag alone.
            if !pos.contains('+') && m.kind() != "Compound" {
                if is_content(pos) {
                    push(surface);
                }
                continue;
            }
            let parts = m.parts();
            if parts.is_empty() {
                if is_content(pos.split('+').next().unwrap_or("")) {
                    push(surface);
                }
                continue;
            }
            // A compound noun: the whole, then its parts.
            if m.kind() == "Compound" && is_content(pos) {
                push(surface);
            }
            for (part, part_pos) in parts {
                if is_content(part_pos) {
                    push(part);
                }
            }
        }
        out
    }
}

impl Tokenizer for MorphAnalyzer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        VecTokenStream::new(self.analyze(text))
    }
}
