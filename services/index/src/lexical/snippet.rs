//! Snippets: the passage of a result where the query's terms are, with
//! those terms marked, for search output and the widget.
//!
//! Terms are found the way the index found them (bigrams, morphemes,
//! identifiers), so what is highlighted is what matched, and offsets are
//! mapped back to the text as written (before normalisation).

use std::collections::HashSet;

use seogo_analyzer::bigram::Side;
use seogo_analyzer::normalize::Normalized;
use serde::{Deserialize, Serialize};

use super::{parse_query, LexicalIndex};

/// A passage with highlighted ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    pub text: String,
    /// `[start, end)` in characters (Unicode scalar values) of `text`.
    pub highlights: Vec<[usize; 2]>,
}

impl Snippet {
    /// The text with each highlight wrapped in `open`/`close`.
    pub fn marked(&self, open: &str, close: &str) -> String {
        let mut out = String::with_capacity(self.text.len() + 8 * self.highlights.len());
        let mut next = self.highlights.iter().peekable();
        let mut inside = false;
        for (i, c) in self.text.chars().enumerate() {
            if inside && next.peek().is_some_and(|h| h[1] == i) {
                out.push_str(close);
                inside = false;
                next.next();
            }
            if !inside && next.peek().is_some_and(|h| h[0] == i) {
                out.push_str(open);
                inside = true;
            }
            out.push(c);
        }
        if inside {
            out.push_str(close);
        }
        out
    }
}

impl LexicalIndex {
    /// The best passage of at most `max_chars` characters of `text` for
    /// `query`, with the matching terms highlighted.
    pub fn snippet(&self, query: &str, text: &str, max_chars: usize) -> Snippet {
        let parsed = parse_query(query);
        let mut spans = Vec::new();
        let text_terms: HashSet<String> = self
            .analyzers
            .query_text_terms(&parsed.free)
            .unwrap_or_default()
            .into_iter()
            .collect();
        // A code that did not match (PN-4471-B for PN-4471-A) is not
        // highlighted piecemeal through the parts they share.
        let mut other_codes = Vec::new();
        for t in self
            .analyzers
            .text_tokens(text, Side::Index)
            .unwrap_or_default()
        {
            if text_terms.contains(&t.text) {
                spans.push((t.offset_from, t.offset_to));
            } else if t.text.contains(['-', '_', '.', '/']) {
                other_codes.push((t.offset_from, t.offset_to));
            }
        }
        if let Some(morph) = &self.analyzers.morph {
            let morph_terms: HashSet<String> = morph.terms(&parsed.free).into_iter().collect();
            for t in morph.analyze(text) {
                if morph_terms.contains(&t.text) {
                    spans.push((t.offset_from, t.offset_to));
                }
            }
        }
        let extractor = &self.resources.identifiers.extractor;
        let query_ids: HashSet<String> = extractor
            .extract(&Normalized::new(&parsed.free).text)
            .into_iter()
            .flat_map(|id| id.terms)
            .collect();
        if !query_ids.is_empty() {
            let norm = Normalized::new(text);
            for id in extractor.extract(&norm.text) {
                if id.terms.iter().any(|t| query_ids.contains(t)) {
                    spans.push(norm.original_span(id.start, id.end));
                }
            }
        }
        spans.retain(|&(a, b)| !other_codes.iter().any(|&(c, d)| c <= a && b <= d));
        passage(text, spans, max_chars)
    }
}

/// Merges `spans` (byte ranges of `text`) and cuts the window of at most
/// `max_chars` characters that covers the most highlighted characters.
fn passage(text: &str, mut spans: Vec<(usize, usize)>, max_chars: usize) -> Snippet {
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    // Work in characters from here on.
    let char_of = |byte: usize| text.char_indices().take_while(|&(i, _)| i < byte).count();
    let chars: Vec<char> = text.chars().collect();
    let spans: Vec<(usize, usize)> = merged
        .iter()
        .map(|&(s, e)| (char_of(s), char_of(e)))
        .collect();
    let max_chars = max_chars.max(1);
    let (mut start, mut best) = (0, 0);
    for &(s, _) in &spans {
        // Start a little before the first term so it reads in context.
        let from = s.saturating_sub(max_chars / 8);
        let covered: usize = spans
            .iter()
            .filter(|&&(a, b)| a >= from && b <= from + max_chars)
            .map(|&(a, b)| b - a)
            .sum();
        if covered > best {
            (start, best) = (from, covered);
        }
    }
    let end = (start + max_chars).min(chars.len());
    let start = if end - start < max_chars {
        end.saturating_sub(max_chars)
    } else {
        start
    };
    let lead = if start > 0 { "…" } else { "" };
    let tail = if end < chars.len() { "…" } else { "" };
    let body: String = chars[start..end].iter().collect();
    let shift = start - lead.chars().count();
    Snippet {
        text: format!("{lead}{body}{tail}"),
        highlights: spans
            .into_iter()
            .filter(|&(a, b)| a >= start && b <= end)
            .map(|(a, b)| [a - shift, b - shift])
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_centres_on_the_terms_and_marks_them() {
        let text = format!(
            "{}삼성전자의 영업이익은 6조원이다.{}",
            "가".repeat(100),
            "나".repeat(100)
        );
        let at = text.find("영업").expect("present");
        let s = passage(&text, vec![(at, at + "영업이익".len())], 30);
        assert!(s.text.starts_with('…') && s.text.ends_with('…'));
        assert_eq!(s.text.chars().count(), 32);
        assert_eq!(s.marked("[", "]").matches("[영업이익]").count(), 1);
    }

    #[test]
    fn short_text_is_whole_and_overlaps_merge() {
        let s = passage("PN-4471-A 점검", vec![(0, 2), (0, 9), (10, 16)], 100);
        assert_eq!(s.text, "PN-4471-A 점검");
        assert_eq!(s.highlights, vec![[0, 9], [10, 12]]);
        assert_eq!(s.marked("<", ">"), "<PN-4471-A> <점검>");
    }
}
