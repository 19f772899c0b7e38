//! The spine's Korean-aware analyzer for tantivy.
//!
//! Korean glues particles and endings to words (삼성전자의, 삼성전자는), so
//! whitespace tokens almost never match; Hangul runs are cut into character
//! bigrams instead (Elasticsearch's `cjk` approach), which match across any
//! ending. Latin/digit runs joined by `-_./` (PN-4471-A, E-1023, 2024-0123)
//! are kept whole so identifiers stay exact, and also split into their parts.
//! Text is NFKC-normalised first (full-width → half-width) and lowercased.
//!
//! Index side: Hangul unigrams + bigrams (so a one-syllable query still
//! matches). Query side: bigrams only (a lone syllable as itself), which keeps
//! queries precise. The Korean issue refines this with morphology.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

/// Registered in the lexical index under this name for the text field.
pub const INDEX_ANALYZER: &str = "seogo_ko_index";
/// Used to analyse query text.
pub const QUERY_ANALYZER: &str = "seogo_ko_query";

/// Which side of the index the analyzer serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Index,
    Query,
}

/// The analyzer, as a tantivy [`Tokenizer`].
#[derive(Debug, Clone)]
pub struct KoreanAnalyzer {
    side: Side,
}

impl KoreanAnalyzer {
    pub fn new(side: Side) -> Self {
        Self { side }
    }

    /// The terms for `text`, in order (handy outside tantivy, e.g. tests).
    pub fn terms(&self, text: &str) -> Vec<String> {
        analyze(text, self.side)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Hangul,
    /// Han and kana: treated like Hangul (bigrams).
    OtherCjk,
    Alnum,
    Joiner,
    Other,
}

fn class(c: char) -> Class {
    match c {
        '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' => {
            Class::Hangul
        }
        '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' => {
            Class::OtherCjk
        }
        '-' | '_' | '.' | '/' => Class::Joiner,
        c if c.is_alphanumeric() => Class::Alnum,
        _ => Class::Other,
    }
}

/// Normalises and tokenises; positions count emitted terms so phrase queries
/// over bigrams stay meaningful.
fn analyze(text: &str, side: Side) -> Vec<Token> {
    let normalized: String = text.nfkc().flat_map(char::to_lowercase).collect();
    let chars: Vec<(usize, char)> = normalized.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match class(chars[i].1) {
            Class::Hangul | Class::OtherCjk => {
                let start = i;
                while i < chars.len()
                    && matches!(class(chars[i].1), Class::Hangul | Class::OtherCjk)
                {
                    i += 1;
                }
                emit_cjk_run(&normalized, &chars, start, i, side, &mut out);
            }
            Class::Alnum => {
                let start = i;
                // Alnum (joiner alnum)*: a joiner only counts between alnums.
                while i < chars.len() {
                    match class(chars[i].1) {
                        Class::Alnum => i += 1,
                        Class::Joiner
                            if i + 1 < chars.len() && class(chars[i + 1].1) == Class::Alnum =>
                        {
                            i += 1
                        }
                        _ => break,
                    }
                }
                emit_alnum_run(&normalized, &chars, start, i, &mut out);
            }
            _ => i += 1,
        }
    }
    for (pos, token) in out.iter_mut().enumerate() {
        token.position = pos;
    }
    out
}

fn byte_span(
    normalized: &str,
    chars: &[(usize, char)],
    start: usize,
    end: usize,
) -> (usize, usize) {
    let from = chars[start].0;
    let to = chars.get(end).map_or(normalized.len(), |c| c.0);
    (from, to)
}

fn push(out: &mut Vec<Token>, normalized: &str, from: usize, to: usize) {
    out.push(Token {
        offset_from: from,
        offset_to: to,
        position: 0,
        text: normalized[from..to].to_string(),
        position_length: 1,
    });
}

fn emit_cjk_run(
    normalized: &str,
    chars: &[(usize, char)],
    start: usize,
    end: usize,
    side: Side,
    out: &mut Vec<Token>,
) {
    let len = end - start;
    if len == 1 {
        let (f, t) = byte_span(normalized, chars, start, end);
        push(out, normalized, f, t);
        return;
    }
    for k in start..end {
        if side == Side::Index {
            let (f, t) = byte_span(normalized, chars, k, k + 1);
            push(out, normalized, f, t);
        }
        if k + 1 < end {
            let (f, t) = byte_span(normalized, chars, k, k + 2);
            push(out, normalized, f, t);
        }
    }
}

fn emit_alnum_run(
    normalized: &str,
    chars: &[(usize, char)],
    start: usize,
    end: usize,
    out: &mut Vec<Token>,
) {
    let (from, to) = byte_span(normalized, chars, start, end);
    push(out, normalized, from, to);
    let whole = &normalized[from..to];
    if whole.contains(['-', '_', '.', '/']) {
        let mut offset = from;
        for part in whole.split(['-', '_', '.', '/']) {
            if !part.is_empty() {
                push(out, normalized, offset, offset + part.len());
            }
            offset += part.len() + 1;
        }
    }
}

/// The token stream tantivy pulls from.
pub struct KoreanTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for KoreanAnalyzer {
    type TokenStream<'a> = KoreanTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        KoreanTokenStream {
            tokens: analyze(text, self.side),
            index: 0,
        }
    }
}

impl TokenStream for KoreanTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self
            .index
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1))]
    }

    fn token_mut(&mut self) -> &mut Token {
        let i = self
            .index
            .saturating_sub(1)
            .min(self.tokens.len().saturating_sub(1));
        &mut self.tokens[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(text: &str) -> Vec<String> {
        KoreanAnalyzer::new(Side::Index).terms(text)
    }
    fn query(text: &str) -> Vec<String> {
        KoreanAnalyzer::new(Side::Query).terms(text)
    }

    #[test]
    fn particles_do_not_hide_the_noun() {
        let doc = index("삼성전자의 영업이익은");
        for term in query("삼성전자는") {
            if term != "자는" {
                assert!(doc.contains(&term), "{term} missing from {doc:?}");
            }
        }
        assert_eq!(query("삼성"), vec!["삼성"]);
        assert_eq!(query("가"), vec!["가"]);
    }

    #[test]
    fn identifiers_stay_whole_and_distinct() {
        let terms = index("부품 PN-4471-A 교체, 알람 E-1023");
        assert!(terms.contains(&"pn-4471-a".to_string()));
        assert!(terms.contains(&"4471".to_string()));
        assert!(terms.contains(&"e-1023".to_string()));
        assert!(!terms.contains(&"pn-4471-b".to_string()));
        assert!(query("E-10234").contains(&"e-10234".to_string()));
        assert!(!index("E-10234").contains(&"e-1023".to_string()));
    }

    #[test]
    fn full_width_and_case_are_normalised() {
        assert_eq!(query("ＰＮ－４４７１"), query("pn-4471"));
        assert_eq!(query("ISO 9001"), vec!["iso", "9001"]);
        // A trailing joiner is not part of the identifier.
        assert_eq!(query("v1.2."), vec!["v1.2", "v1", "2"]);
    }
}
