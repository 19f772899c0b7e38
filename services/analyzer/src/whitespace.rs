//! The baseline the Korean analyzers are measured against: words split at
//! anything not alphanumeric, normalised like the others. It misses
//! 삼성전자 in 삼성전자의, which is the point of measuring it.

use tantivy_tokenizer_api::{Token, Tokenizer};

use crate::normalize::Normalized;
use crate::VecTokenStream;

/// Whitespace/punctuation words, as a tantivy [`Tokenizer`].
#[derive(Debug, Clone, Default)]
pub struct WhitespaceAnalyzer;

impl WhitespaceAnalyzer {
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        let norm = Normalized::new(text);
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in norm.text.char_indices().chain([(norm.text.len(), ' ')]) {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    let (offset_from, offset_to) = norm.original_span(s, i);
                    out.push(Token {
                        offset_from,
                        offset_to,
                        position: out.len(),
                        text: norm.text[s..i].to_string(),
                        position_length: 1,
                    });
                    start = None;
                }
                _ => {}
            }
        }
        out
    }
}

impl Tokenizer for WhitespaceAnalyzer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        VecTokenStream::new(self.analyze(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_only() {
        let terms: Vec<String> = WhitespaceAnalyzer
            .analyze("삼성전자의 PN-4471 점검.")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(terms, ["삼성전자의", "pn", "4471", "점검"]);
    }
}
