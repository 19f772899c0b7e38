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

/// A query's terms as the snippet needs them, worked out once per search
/// rather than once per result.
#[derive(Debug, Clone)]
pub struct SnippetTerms {
    text: HashSet<String>,
    morph: HashSet<String>,
    identifiers: HashSet<String>,
}

impl LexicalIndex {
    /// The terms of `query` that [`snippet_for`](Self::snippet_for) marks.
    pub fn snippet_terms(&self, query: &str) -> SnippetTerms {
        let parsed = parse_query(query);
        SnippetTerms {
            text: self
                .analyzers
                .query_text_terms(&parsed.free)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            morph: self
                .analyzers
                .morph
                .as_ref()
                .map(|m| m.terms(&parsed.free).into_iter().collect())
                .unwrap_or_default(),
            identifiers: self
                .resources
                .identifiers
                .extractor
                .extract(&Normalized::new(&parsed.free).text)
                .into_iter()
                .flat_map(|id| id.terms)
                .collect(),
        }
    }

    /// The best passage of at most `max_chars` characters of `text` for
    /// `query`, with the matching terms highlighted.
    pub fn snippet(&self, query: &str, text: &str, max_chars: usize) -> Snippet {
        self.snippet_for(&self.snippet_terms(query), text, max_chars)
    }

    /// [`snippet`](Self::snippet) with the query's terms already worked out.
    ///
    /// The morphological analyzer is the slow part (MeCab reads a 600-
    /// character chunk in about half a millisecond, ten results per
    /// search), so it reads only the words (runs between whitespace) of the
    /// passage's window, plus a margin, that contain one of the query's
    /// morphemes as written. A morpheme MeCab never writes out as it
    /// appears (the stem 돕 of 도와) is not highlighted, and a word is read
    /// without its neighbours, which in rare cases segments it otherwise.
    /// Reading whole windows took 5 ms of a 23 ms search at 10k chunks.
    pub fn snippet_for(&self, terms: &SnippetTerms, text: &str, max_chars: usize) -> Snippet {
        let mut spans = Vec::new();
        // A code that did not match (PN-4471-B for PN-4471-A) is not
        // highlighted piecemeal through the parts they share.
        let mut other_codes = Vec::new();
        for t in self
            .analyzers
            .text_tokens(text, Side::Index)
            .unwrap_or_default()
        {
            if terms.text.contains(&t.text) {
                spans.push((t.offset_from, t.offset_to));
            } else if t.text.contains(['-', '_', '.', '/']) {
                other_codes.push((t.offset_from, t.offset_to));
            }
        }
        if !terms.identifiers.is_empty() {
            let extractor = &self.resources.identifiers.extractor;
            let norm = Normalized::new(text);
            for id in extractor.extract(&norm.text) {
                if id.terms.iter().any(|t| terms.identifiers.contains(t)) {
                    spans.push(norm.original_span(id.start, id.end));
                }
            }
        }
        spans.retain(|&(a, b)| !other_codes.iter().any(|&(c, d)| c <= a && b <= d));
        if let (Some(morph), false) = (&self.analyzers.morph, terms.morph.is_empty()) {
            let (from, to) = match byte_window(text, &spans, max_chars) {
                Some(window) => window,
                None => (0, text.len()),
            };
            for (start, end) in words_containing(text, from, to, &terms.morph) {
                for t in morph.analyze(&text[start..end]) {
                    if terms.morph.contains(&t.text) {
                        spans.push((start + t.offset_from, start + t.offset_to));
                    }
                }
            }
            spans.retain(|&(a, b)| !other_codes.iter().any(|&(c, d)| c <= a && b <= d));
        }
        passage(text, spans, max_chars)
    }
}

/// The byte range of `text` the passage over `spans` will show, widened by
/// a quarter window on each side (so terms the morphological analyzer adds
/// may shift it a little), or `None` without spans.
fn byte_window(text: &str, spans: &[(usize, usize)], max_chars: usize) -> Option<(usize, usize)> {
    if spans.is_empty() {
        return None;
    }
    let chosen = passage_range(text, spans.to_vec(), max_chars);
    let margin = max_chars / 4;
    let mut indices = text.char_indices().map(|(i, _)| i);
    let from = indices.nth(chosen.0.saturating_sub(margin)).unwrap_or(0);
    let to = text
        .char_indices()
        .map(|(i, _)| i)
        .nth(chosen.1 + margin)
        .unwrap_or(text.len());
    Some((from, to))
}

/// The byte ranges of the whitespace-delimited words of `text[from..to]`
/// that contain one of `terms` (normalised as the analyzers normalise),
/// merged and in order.
fn words_containing(
    text: &str,
    from: usize,
    to: usize,
    terms: &HashSet<String>,
) -> Vec<(usize, usize)> {
    let window = &text[from..to];
    let norm = Normalized::new(window);
    let mut words: Vec<(usize, usize)> = Vec::new();
    for term in terms.iter().filter(|t| !t.is_empty()) {
        for (at, _) in norm.text.match_indices(term.as_str()) {
            let (start, end) = norm.original_span(at, at + term.len());
            let start = window[..start]
                .trim_end_matches(|c: char| !c.is_whitespace())
                .len();
            let end = window[end..]
                .find(char::is_whitespace)
                .map_or(window.len(), |i| end + i);
            words.push((from + start, from + end));
        }
    }
    merge(words)
}

/// `ranges` sorted, with overlapping and touching ones joined.
fn merge(mut ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// Merges `spans` (byte ranges of `text`) and returns them in characters.
fn char_spans(text: &str, spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let merged = merge(spans);
    // Byte offsets are sorted: one walk over the text converts them all.
    let mut bytes: Vec<usize> = merged.iter().flat_map(|&(s, e)| [s, e]).collect();
    bytes.sort_unstable();
    let mut chars_before = std::collections::HashMap::with_capacity(bytes.len());
    let mut walk = text.char_indices().map(|(i, _)| i).enumerate().peekable();
    for byte in bytes {
        while walk.peek().is_some_and(|&(_, i)| i < byte) {
            walk.next();
        }
        let count = walk.peek().map_or(text.chars().count(), |&(n, _)| n);
        chars_before.insert(byte, count);
    }
    merged
        .iter()
        .map(|(s, e)| (chars_before[s], chars_before[e]))
        .collect()
}

/// `[start, end)` in characters of the window of at most `max_chars` of a
/// `len`-character text that covers the most highlighted characters.
fn window(spans: &[(usize, usize)], len: usize, max_chars: usize) -> (usize, usize) {
    let max_chars = max_chars.max(1);
    let (mut start, mut best) = (0, 0);
    for &(s, _) in spans {
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
    let end = (start + max_chars).min(len);
    let start = if end - start < max_chars {
        end.saturating_sub(max_chars)
    } else {
        start
    };
    (start, end)
}

/// The character range [`passage`] would show.
fn passage_range(text: &str, spans: Vec<(usize, usize)>, max_chars: usize) -> (usize, usize) {
    window(&char_spans(text, spans), text.chars().count(), max_chars)
}

/// Merges `spans` (byte ranges of `text`) and cuts the window of at most
/// `max_chars` characters that covers the most highlighted characters.
fn passage(text: &str, spans: Vec<(usize, usize)>, max_chars: usize) -> Snippet {
    let spans = char_spans(text, spans);
    let chars: Vec<char> = text.chars().collect();
    let (start, end) = window(&spans, chars.len(), max_chars);
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
