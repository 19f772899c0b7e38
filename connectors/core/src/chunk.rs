//! The generic structure-aware chunker: a chunk never crosses a section (so
//! its heading path and page stay true), paragraphs are kept whole when they
//! fit, and long ones are cut at sentence ends, with a small overlap so a fact
//! split across a boundary is still found.

use seogo_types::{Chunk, Document, Section};

/// Chunk sizes in (approximate) model tokens.
#[derive(Debug, Clone, Copy)]
pub struct ChunkerConfig {
    /// A chunk grows up to this many tokens (the embedder reads 512).
    pub max_tokens: usize,
    /// Tokens of the previous chunk's tail repeated at the start of the next.
    pub overlap_tokens: usize,
}

impl Default for ChunkerConfig {
    fn default() -> Self {
        // About the embedder's 512-token input (the estimate runs low on
        // Korean, so the embedder may read only a long chunk's first 512;
        // BM25 indexes all of it).
        // Page-sized chunks measured best for BM25 on Korean (0.918 vs 0.898
        // at 350, docs/BENCHMARKS.md).
        Self {
            max_tokens: 560,
            overlap_tokens: 40,
        }
    }
}

/// Approximate SentencePiece token count without a tokenizer: a Hangul
/// syllable is ~0.8 tokens in multilingual-e5's vocabulary, a Latin word ~1.3.
/// Only chunk sizes depend on it, so an estimate is enough.
pub fn approx_tokens(text: &str) -> usize {
    let mut tokens = 0.0f32;
    for word in text.split_whitespace() {
        let hangul = word.chars().filter(|c| is_hangul(*c)).count();
        let other = word.chars().count() - hangul;
        tokens +=
            hangul as f32 * 0.8 + (other as f32 / 4.0).max(if hangul == 0 { 1.3 } else { 0.0 });
    }
    tokens.ceil() as usize
}

fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')
}

/// Longest document header carried by each chunk, in bytes (a cover
/// table, not a first chapter).
const MAX_HEADER_BYTES: usize = 600;

/// The document's header (see [`Chunk::header`]): the first section's
/// text when it sits under no heading but the title and a later section
/// sits under a deeper one — the cover table of an SOP, a form's title
/// block. A document without headings has no header: its first page is
/// body, not a description of the whole.
fn document_header(doc: &Document) -> String {
    let Some(first) = doc.sections.first() else {
        return String::new();
    };
    let under_title = |s: &Section| match s.heading_path.as_slice() {
        [] => true,
        [only] => *only == doc.title,
        _ => false,
    };
    if !under_title(first) || doc.sections.iter().all(under_title) {
        return String::new();
    }
    let text = first.text.trim();
    let mut end = text.len().min(MAX_HEADER_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Cuts every section of `doc` into chunks numbered in document order.
pub fn chunk_document(doc: &Document, cfg: &ChunkerConfig) -> Vec<Chunk> {
    let header = document_header(doc);
    let mut chunks = Vec::new();
    for section in &doc.sections {
        for text in chunk_text(&section.text, cfg) {
            let ordinal = chunks.len() as u32;
            chunks.push(Chunk {
                id: Chunk::make_id(&doc.id, ordinal),
                doc_id: doc.id.clone(),
                ordinal,
                title: doc.title.clone(),
                source: doc.source.clone(),
                heading_path: section.heading_path.clone(),
                page: section.page,
                locator: section.locator.clone(),
                text,
                header: header.clone(),
                domain: doc.domain,
                acl: doc.acl.groups.clone(),
                metadata: doc.metadata.clone(),
            });
        }
    }
    chunks
}

/// Packs paragraphs (or, for long ones, sentences) greedily up to
/// `max_tokens`.
pub fn chunk_text(text: &str, cfg: &ChunkerConfig) -> Vec<String> {
    let units = split_units(text, cfg.max_tokens);
    let mut chunks = Vec::new();
    let mut current: Vec<(&str, usize)> = Vec::new();
    let mut current_tokens = 0;
    for (unit, tokens) in units {
        if current_tokens + tokens > cfg.max_tokens && !current.is_empty() {
            chunks.push(join_units(&current));
            // Carry the tail units that fit in the overlap budget.
            let mut carried = Vec::new();
            let mut carried_tokens = 0;
            for &(u, t) in current.iter().rev() {
                if carried_tokens + t > cfg.overlap_tokens {
                    break;
                }
                carried.push((u, t));
                carried_tokens += t;
            }
            carried.reverse();
            current = carried;
            current_tokens = carried_tokens;
        }
        current.push((unit, tokens));
        current_tokens += tokens;
    }
    if !current.is_empty() {
        chunks.push(join_units(&current));
    }
    chunks
}

fn join_units(units: &[(&str, usize)]) -> String {
    let mut out = String::new();
    for (unit, _) in units {
        if !out.is_empty() {
            out.push(if unit.starts_with('\n') { ' ' } else { '\n' });
        }
        out.push_str(unit.trim());
    }
    out
}

/// Paragraphs that fit, else their sentences, else fixed word windows.
fn split_units(text: &str, max_tokens: usize) -> Vec<(&str, usize)> {
    let mut units = Vec::new();
    for para in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        let tokens = approx_tokens(para);
        if tokens <= max_tokens {
            units.push((para, tokens));
            continue;
        }
        for sentence in split_sentences(para) {
            let tokens = approx_tokens(sentence);
            if tokens <= max_tokens {
                units.push((sentence, tokens));
            } else {
                units.extend(split_words(sentence, max_tokens));
            }
        }
    }
    units
}

/// Sentence ends: `. ! ?` (and Korean `다.`, covered by `.`) followed by
/// whitespace, or a line break. A dot inside a number (4.5) is not an end.
pub fn split_sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        let boundary = match c {
            '\n' => true,
            '.' | '!' | '?' | '。' => bytes.get(end).is_none_or(|b| b.is_ascii_whitespace()),
            _ => false,
        };
        if boundary {
            let s = text[start..end].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = end;
        }
    }
    let tail = text[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

fn split_words(text: &str, max_tokens: usize) -> Vec<(&str, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut tokens = 0;
    let mut last_end = 0;
    for (i, word) in word_spans(text, max_tokens) {
        let t = approx_tokens(word);
        if let Some(s) = start {
            if tokens + t > max_tokens {
                out.push((&text[s..last_end], tokens));
                start = None;
                tokens = 0;
            }
        }
        start.get_or_insert(i);
        tokens += t;
        last_end = i + word.len();
    }
    if let Some(s) = start {
        out.push((&text[s..last_end], tokens));
    }
    out
}

/// Whitespace-separated words with their byte offsets; a word longer than
/// `max_chars` characters (a URL, a run of unspaced text) is cut into pieces.
fn word_spans(text: &str, max_chars: usize) -> impl Iterator<Item = (usize, &str)> {
    text.split_whitespace().flat_map(move |w| {
        let base = w.as_ptr() as usize - text.as_ptr() as usize;
        let mut cuts: Vec<usize> = w
            .char_indices()
            .map(|(i, _)| i)
            .step_by(max_chars.max(1))
            .collect();
        cuts.push(w.len());
        cuts.windows(2)
            .map(|p| (base + p[0], &w[p[0]..p[1]]))
            .collect::<Vec<_>>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use seogo_types::{Acl, Domain};

    fn doc(sections: Vec<Section>) -> Document {
        Document {
            id: "d".into(),
            title: "T".into(),
            source: "d.md".into(),
            content_hash: String::new(),
            domain: Domain::General,
            acl: Acl::public(),
            metadata: Default::default(),
            sections,
        }
    }

    #[test]
    fn a_cover_table_under_the_title_is_every_chunks_header() {
        let cover = "| 대상 설비 | 냉각수 순환 펌프 (설비번호 P-201A, P-201B) |";
        let d = doc(vec![
            Section::new(vec!["T".into()], None, cover.into()),
            Section::new(
                vec!["T".into(), "3.3 진동 측정".into()],
                None,
                "진동 허용 한계는 4.5 mm/s RMS이다.".into(),
            ),
        ]);
        let chunks = chunk_document(&d, &ChunkerConfig::default());
        assert_eq!(chunks.len(), 2);
        assert!(chunks.iter().all(|c| c.header == cover), "{chunks:?}");

        // No heading below the title: the first section is body, not a header.
        let flat = doc(vec![
            Section::new(vec![], Some(1), "첫 쪽 P-201A".into()),
            Section::new(vec![], Some(2), "둘째 쪽".into()),
        ]);
        assert!(chunk_document(&flat, &ChunkerConfig::default())
            .iter()
            .all(|c| c.header.is_empty()));
        // A first section under a heading of its own is not a header either.
        let chapters = doc(vec![
            Section::new(vec!["T".into(), "1. 목적".into()], None, "P-201A".into()),
            Section::new(vec!["T".into(), "2. 범위".into()], None, "본문".into()),
        ]);
        assert!(chunk_document(&chapters, &ChunkerConfig::default())
            .iter()
            .all(|c| c.header.is_empty()));
    }

    #[test]
    fn chunks_stay_within_sections_and_budget() {
        let long: String = (0..400)
            .map(|i| format!("문장 {i}번은 점검 절차를 설명한다. "))
            .collect();
        let d = doc(vec![
            Section::new(vec!["A".into()], Some(1), "짧은 문단".into()),
            Section::new(vec!["B".into()], Some(2), long),
        ]);
        let cfg = ChunkerConfig::default();
        let chunks = chunk_document(&d, &cfg);
        assert_eq!(chunks[0].text, "짧은 문단");
        assert!(chunks.len() > 3);
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.ordinal as usize, i);
            assert_eq!(c.id, format!("d#{i}"));
            assert!(approx_tokens(&c.text) <= cfg.max_tokens + cfg.overlap_tokens);
        }
        assert!(chunks[1..]
            .iter()
            .all(|c| c.heading_path == vec!["B"] && c.page == Some(2)));
        // Overlap: the next chunk repeats the previous one's last sentences.
        let prev_last = chunks[1].text.lines().last().expect("line");
        let next_first = chunks[2].text.lines().next().expect("line");
        assert!(chunks[2].text.contains(prev_last));
        assert!(chunks[1].text.lines().any(|l| l == next_first));
        assert!(
            approx_tokens(&chunks[2].text[..chunks[2].text.find(prev_last).expect("overlap")])
                <= cfg.overlap_tokens
        );
    }

    #[test]
    fn a_single_huge_word_run_is_still_cut() {
        let cfg = ChunkerConfig {
            max_tokens: 350,
            overlap_tokens: 40,
        };
        let text = "가".repeat(5000);
        let parts = chunk_text(&text, &cfg);
        assert!(parts.len() >= 10, "an unspaced run is cut by characters");
        assert_eq!(parts.concat().chars().count(), 5000);
        let words = "word ".repeat(2000);
        let parts = chunk_text(&words, &cfg);
        assert!(parts.len() >= 5);
    }
}
