//! Hangul as character bigrams (Elasticsearch's `cjk` approach).
//!
//! Bigrams match across any particle or ending (삼성전자의 / 삼성전자는 share
//! 삼성, 성전, 전자) with no dictionary. Latin/digit runs joined by `-_./`
//! (PN-4471-A, E-1023, 2024-0123) are kept whole so identifiers stay exact,
//! and also split into their parts.
//!
//! Index side: Hangul unigrams + bigrams (so a one-syllable query still
//! matches). Query side: bigrams only (a lone syllable as itself), which keeps
//! queries precise.

use tantivy_tokenizer_api::{Token, Tokenizer};

use crate::normalize::{char_class, CharClass, Normalized};
use crate::VecTokenStream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Index,
    Query,
}

/// The bigram analyzer, as a tantivy [`Tokenizer`].
#[derive(Debug, Clone)]
pub struct BigramAnalyzer {
    side: Side,
}

impl BigramAnalyzer {
    pub fn new(side: Side) -> Self {
        Self { side }
    }

    /// Tokens of `text`, offsets into the original text.
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        analyze(text, self.side)
    }

    /// The terms for `text`, in order (handy outside tantivy, e.g. tests).
    pub fn terms(&self, text: &str) -> Vec<String> {
        analyze(text, self.side)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }
}

/// Normalises and tokenises; offsets point into the original text.
fn analyze(text: &str, side: Side) -> Vec<Token> {
    let norm = Normalized::new(text);
    let normalized = norm.text.as_str();
    let chars: Vec<(usize, char)> = normalized.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match char_class(chars[i].1) {
            CharClass::Hangul | CharClass::OtherCjk => {
                let start = i;
                while i < chars.len()
                    && matches!(
                        char_class(chars[i].1),
                        CharClass::Hangul | CharClass::OtherCjk
                    )
                {
                    i += 1;
                }
                emit_cjk_run(normalized, &chars, start, i, side, &mut out);
            }
            CharClass::Alnum => {
                let start = i;
                // Alnum (joiner alnum)*: a joiner only counts between alnums.
                while i < chars.len() {
                    match char_class(chars[i].1) {
                        CharClass::Alnum => i += 1,
                        CharClass::Joiner
                            if i + 1 < chars.len()
                                && char_class(chars[i + 1].1) == CharClass::Alnum =>
                        {
                            i += 1
                        }
                        _ => break,
                    }
                }
                emit_alnum_run(normalized, &chars, start, i, &mut out);
            }
            _ => i += 1,
        }
    }
    // Position = non-space characters before the token: a unigram and the
    // bigram starting at the same syllable share it, and a phrase matches
    // whether or not the document put a space between its words.
    let mut visible_before = Vec::with_capacity(chars.len());
    let mut visible = 0;
    for &(_, c) in &chars {
        visible_before.push(visible);
        if !c.is_whitespace() {
            visible += 1;
        }
    }
    for token in &mut out {
        let char_index = chars.partition_point(|&(offset, _)| offset < token.offset_from);
        token.position = visible_before.get(char_index).copied().unwrap_or(visible);
        (token.offset_from, token.offset_to) =
            norm.original_span(token.offset_from, token.offset_to);
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

impl Tokenizer for BigramAnalyzer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        VecTokenStream::new(analyze(text, self.side))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(text: &str) -> Vec<String> {
        BigramAnalyzer::new(Side::Index).terms(text)
    }
    fn query(text: &str) -> Vec<String> {
        BigramAnalyzer::new(Side::Query).terms(text)
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
    fn pinned_cuts_of_real_sentences() {
        assert_eq!(
            query("삼성전자의 2024년 영업이익은 6조원이다").join(" "),
            "삼성 성전 전자 자의 2024 년 영업 업이 이익 익은 6 조원 원이 이다"
        );
        assert_eq!(
            query("설비 PN-4471-A의 점검 주기").join(" "),
            "설비 pn-4471-a pn 4471 a 의 점검 주기"
        );
        assert_eq!(
            query("제3조(정의) 이 법에서").join(" "),
            "제 3 조 정의 이 법에 에서"
        );
        assert_eq!(query("ＡＢＣ １２３ 공정").join(" "), "abc 123 공정");
    }

    #[test]
    fn positions_count_syllables_so_phrases_ignore_spacing() {
        let positions = |side, text| {
            analyze(text, side)
                .into_iter()
                .map(|t| (t.text, t.position))
                .collect::<Vec<_>>()
        };
        let doc = positions(Side::Index, "영업이익");
        assert_eq!(
            doc[..3],
            [("영".into(), 0), ("영업".into(), 0), ("업".into(), 1)]
        );
        // "영업 이익" in a query puts 이익 where "영업이익" has it.
        assert_eq!(
            positions(Side::Query, "영업 이익"),
            vec![("영업".into(), 0), ("이익".into(), 2)]
        );
        assert!(doc.contains(&("이익".into(), 2)));
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
        let tokens = analyze("ＰＮ－４４７１ 점검", Side::Query);
        assert_eq!(tokens[0].text, "pn-4471");
        assert_eq!(
            (tokens[0].offset_from, tokens[0].offset_to),
            (0, "ＰＮ－４４７１".len())
        );
        // A trailing joiner is not part of the identifier.
        assert_eq!(query("v1.2."), vec!["v1.2", "v1", "2"]);
    }
}
