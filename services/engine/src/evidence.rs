//! Evidence windows: the model reads the sentences that bear on the
//! question, not whole pages. Each retrieved chunk is cut into units — a
//! sentence, a table row read with its column names, a list item — and
//! every unit is scored by how much of the question's content it carries
//! (each term weighted by its rarity in the collection: a unit that states
//! the question's rare words scores high, one that shares only 점검 does
//! not). A unit is shown with its window: the neighbouring sentences or
//! rows, a list item's lead-in. The best windows, within a token budget,
//! become the sources; the best one is also the extractive floor's answer
//! when the model declines.
//!
//! A term counts fully in the unit itself or in its document's title and
//! header (what the whole document is about: the P-201A SOP's every
//! sentence is about P-201A), partly in its window's neighbours; the
//! share the chunk's headings name adds a smaller part (so "P-201A 펌프의
//! 진동 판정 기준" finds the table of section 3.3 "진동 측정").

use std::collections::{BTreeSet, HashMap, HashSet};

use seogo_docs::Chunk;
use seogo_index::{ContentTerms, LexicalIndex};

use crate::EngineError;

/// Credit for a question term found in a unit's neighbours rather than in
/// the unit.
const NEIGHBOUR_CREDIT: f32 = 0.6;
/// Weight of the question's share the chunk's headings name, beside the
/// share its window states: a unit under a heading about the question's
/// subject (3.3 진동 측정) outranks one that names the same words
/// elsewhere (7. 개정 이력).
const HEADING_WEIGHT: f32 = 0.3;
/// Windows below this share of the best window's score are not shown: the
/// budget is a ceiling, not a target, and a small model is distracted by
/// what does not bear on the question.
const MIN_RELATIVE_SCORE: f32 = 0.5;
/// Tables of at most this many rows are shown whole with any of their
/// rows.
const SMALL_TABLE_ROWS: usize = 8;
/// Tokens a source's label costs in the prompt (number, title, section).
const LABEL_TOKENS: usize = 16;

/// Words of a question that ask rather than name, as the analyzers give
/// them (MeCab-ko morphemes, lowercased Latin words).
const ASKING_WORDS: &[&str] = &[
    "얼마", "무엇", "뭐", "언제", "어디", "누구", "누가", "어떻", "어떤", "어느", "무슨", "몇",
    "왜", "것", "수", "등", "때", "있", "없", "되", "하", "what", "when", "where", "who", "whom",
    "whose", "which", "how", "why", "does", "do", "did", "is", "are", "was", "were", "be", "been",
    "the", "an", "of", "in", "on", "for", "to", "and", "or", "with", "by", "from", "at", "as",
    "it", "its", "this", "that", "there", "can", "could", "should", "would", "will", "about", "me",
    "my", "you", "your", "i", "we", "our", "they", "their", "any", "if",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sentence,
    Row,
    Item,
}

/// One unit of evidence in a chunk.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    kind: Kind,
    /// As written in the chunk: what a quote shows.
    pub(crate) verbatim: String,
    /// As the model reads it: a table row as "column: value; …".
    pub(crate) shown: String,
    /// The paragraph, table or list it belongs to.
    block: usize,
    /// A list item's lead-in sentence (an index into the units).
    lead_in: Option<usize>,
    /// A table row's header and rule lines, verbatim.
    table_head: Option<String>,
}

fn is_row(line: &str) -> bool {
    line.trim_start().starts_with('|')
}

fn is_rule(line: &str) -> bool {
    is_row(line)
        && line
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'))
}

fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

/// A table row as a record that names its columns ("판정: 위험; RMS 진동
/// 속도: 4.5 mm/s 초과"): small models misread which cell belongs to
/// which column in pipe tables.
pub(crate) fn record(header: &[String], row: &str) -> String {
    header
        .iter()
        .zip(cells(row))
        .filter(|(_, v)| !v.is_empty())
        .map(|(h, v)| if h.is_empty() { v } else { format!("{h}: {v}") })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Bullets of lists, Markdown's and those of Korean official documents
/// (□ ○ - · ※ in that order of depth, ㅇ and o for ○ in typed text).
const BULLETS: [&str; 15] = [
    "- ", "* ", "• ", "· ", "□ ", "■ ", "○ ", "◦ ", "ㅇ ", "o ", "▶ ", "► ", "※ ", "▪ ", "➢ ",
];

/// Whether `line` is a list item: a bullet, `1.`, `1)`, `①`, `가.`.
fn is_item(line: &str) -> bool {
    let line = line.trim_start();
    if BULLETS.iter().any(|m| line.starts_with(m)) {
        return true;
    }
    let mut chars = line.chars();
    match chars.next() {
        Some('①'..='⑳') => true,
        Some(c) if c.is_ascii_digit() || ('가'..='하').contains(&c) => {
            let rest: String = chars.skip_while(char::is_ascii_digit).take(2).collect();
            rest.starts_with(". ") || rest.starts_with(") ")
        }
        _ => false,
    }
}

/// How a line reads without Markdown's marks (`> `, `**`).
fn plain(text: &str) -> String {
    text.trim_start_matches('>').trim().replace("**", "")
}

/// The units of `text`, in order.
pub(crate) fn units(text: &str) -> Vec<Unit> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<Unit> = Vec::new();
    let mut block = 0;
    // The last sentence of prose, a lead-in for a list that follows it.
    let mut last_sentence: Option<usize> = None;
    let mut in_list = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if line.is_empty() {
            block += 1;
            in_list = false;
            i += 1;
            continue;
        }
        if is_row(line) && lines.get(i + 1).is_some_and(|l| is_rule(l)) {
            block += 1;
            // "다음 표에 따라 판정한다." introduces the table that follows.
            let lead_in = out
                .len()
                .checked_sub(1)
                .filter(|&j| out[j].kind != Kind::Row);
            let header = cells(line);
            let head = format!("{line}\n{}", lines[i + 1].trim());
            i += 2;
            while i < lines.len() && is_row(lines[i]) {
                let row = lines[i].trim();
                out.push(Unit {
                    kind: Kind::Row,
                    verbatim: row.to_string(),
                    shown: record(&header, row),
                    block,
                    lead_in,
                    table_head: Some(head.clone()),
                });
                i += 1;
            }
            block += 1;
            last_sentence = None;
            in_list = false;
            continue;
        }
        if is_item(line) {
            if !in_list {
                block += 1;
                in_list = true;
            }
            out.push(Unit {
                kind: Kind::Item,
                verbatim: line.to_string(),
                shown: plain(line),
                block,
                lead_in: last_sentence,
                table_head: None,
            });
            i += 1;
            continue;
        }
        if in_list {
            block += 1;
            in_list = false;
        }
        // A line a page wrapped continues on the next one (unless the next
        // starts as this one did: a listing of records, one per line).
        let mut piece = line.to_string();
        while wrapped(&piece)
            && lines.get(i + 1).is_some_and(|next| {
                is_prose(next)
                    && !next.trim().is_empty()
                    && first_word(next) != first_word(lines[i])
            })
        {
            i += 1;
            piece.push('\n');
            piece.push_str(lines[i].trim());
        }
        for sentence in sentences(&piece) {
            last_sentence = Some(out.len());
            out.push(Unit {
                kind: Kind::Sentence,
                verbatim: sentence.to_string(),
                shown: plain(&sentence.replace('\n', " ")),
                block,
                lead_in: None,
                table_head: None,
            });
        }
        i += 1;
    }
    out
}

/// Lines shorter than this are titles or fragments, not wrapped prose.
const WRAPPED_LINE_CHARS: usize = 30;

/// Whether `line` looks cut by a page's width: long, and not ending a
/// sentence.
fn wrapped(text: &str) -> bool {
    let last = text.rsplit('\n').next().unwrap_or(text);
    last.chars().count() >= WRAPPED_LINE_CHARS
        && !last.trim_end().ends_with(['.', '!', '?', '。', ':', '다'])
}

fn first_word(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or("")
}

fn is_prose(line: &str) -> bool {
    !is_row(line) && !is_item(line)
}

/// Sentences of a (possibly multi-line) piece: ends at `. ! ? 。`
/// followed by whitespace; a line break alone does not end one.
fn sentences(piece: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = piece.as_bytes();
    for (i, c) in piece.char_indices() {
        let end = i + c.len_utf8();
        if matches!(c, '.' | '!' | '?' | '。') && bytes.get(end).is_none_or(u8::is_ascii_whitespace)
        {
            let s = piece[start..end].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = end;
        }
    }
    let tail = piece[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

/// A table row of `text`: the table it is in, its first cell (what the
/// row is about: 정기 점검, 2024년) and its whole text.
#[derive(Debug, Clone)]
pub(crate) struct KeyedRow {
    pub(crate) table: usize,
    pub(crate) key: String,
    pub(crate) text: String,
}

/// The rows of `text`'s tables, each with its key cell.
pub(crate) fn keyed_rows(text: &str) -> Vec<KeyedRow> {
    units(text)
        .into_iter()
        .filter(|u| u.kind == Kind::Row)
        .map(|u| KeyedRow {
            table: u.block,
            key: cells(&u.verbatim).into_iter().next().unwrap_or_default(),
            text: u.verbatim,
        })
        .collect()
}

/// The units shown with unit `u`: its neighbours in the same paragraph
/// or table, a list item's lead-in.
fn window(units: &[Unit], u: usize) -> Vec<usize> {
    let unit = &units[u];
    let same = |j: usize| units[j].block == unit.block;
    let mut members = vec![u];
    let table: Vec<usize> = (0..units.len()).filter(|&j| same(j)).collect();
    match unit.kind {
        // A small table is read whole (its rows are the cases of one
        // rule: 양호 / 주의 / 위험), a large one around the row.
        Kind::Row if table.len() <= SMALL_TABLE_ROWS => members = table,
        Kind::Item => {}
        Kind::Sentence | Kind::Row => {
            if u > 0 && same(u - 1) {
                members.push(u - 1);
            }
            if u + 1 < units.len() && same(u + 1) {
                members.push(u + 1);
            }
        }
    }
    members.extend(unit.lead_in);
    members.sort_unstable();
    members.dedup();
    members
}

/// The question as windows are scored against it: its content terms, each
/// with its weight (rarity in the collection).
#[derive(Debug, Clone)]
pub struct QuestionTerms {
    weights: HashMap<String, f32>,
    total: f32,
}

impl QuestionTerms {
    /// Identifiers (a part number, an article) name exactly what is asked
    /// about: they weigh half again as much as their rarity says. Words
    /// that ask rather than name (얼마, 무엇, what, the) and single Latin
    /// letters (the `p` of P-201A) are left out: no document states them,
    /// so their rarity would outweigh what the question is about.
    pub(crate) fn new(terms: &ContentTerms, idf: &HashMap<String, f32>) -> Self {
        let weight = |t: &String| idf.get(t).copied().unwrap_or(1.0).max(0.05);
        let names = |t: &&String| {
            let letter = t.chars().count() == 1 && t.chars().all(|c| c.is_ascii_alphabetic());
            !(letter || ASKING_WORDS.contains(&t.as_str()))
        };
        let mut weights: HashMap<String, f32> = terms
            .words
            .iter()
            .filter(names)
            .map(|t| (t.clone(), weight(t)))
            .collect();
        for id in &terms.identifiers {
            weights.insert(id.clone(), weight(id) * 1.5);
        }
        let total = weights.values().sum();
        Self { weights, total }
    }

    /// `question`'s terms as `lexical` analyses them, weighted by their
    /// rarity there.
    pub fn of(lexical: &LexicalIndex, question: &str) -> Self {
        let terms = lexical.content_terms(question);
        // Without the statistics (a cluster that stopped answering) every
        // term weighs the same: the search itself reports the failure.
        let weights = lexical.term_weights(&terms).unwrap_or_else(|e| {
            tracing::warn!("term statistics unavailable, terms weigh alike: {e}");
            terms
                .words
                .iter()
                .chain(&terms.identifiers)
                .map(|t| (t.clone(), 1.0))
                .collect()
        });
        Self::new(&terms, &weights)
    }

    /// The question terms `terms` holds, as a share of the question's weight.
    pub(crate) fn coverage(&self, terms: &ContentTerms) -> f32 {
        self.weighted(|t| if terms.contains(t) { 1.0 } else { 0.0 })
    }

    /// Σ weight × credit(term) / Σ weight.
    fn weighted(&self, credit: impl Fn(&str) -> f32) -> f32 {
        if self.total <= 0.0 {
            return 0.0;
        }
        self.weights.iter().map(|(t, w)| w * credit(t)).sum::<f32>() / self.total
    }
}

/// A chunk cut into scored units.
#[derive(Debug, Clone)]
pub struct ScoredChunk {
    pub(crate) chunk: Chunk,
    pub(crate) units: Vec<Unit>,
    /// Each unit's score (see the module's doc), 0–1.
    pub(crate) scores: Vec<f32>,
    /// The terms of its document's title and header: what every unit of
    /// it is about.
    document: ContentTerms,
}

impl ScoredChunk {
    /// Cuts `chunk` into units and scores each against `question`;
    /// `analyze` gives a text's content terms (the collection's analysis).
    pub fn new(
        chunk: Chunk,
        question: &QuestionTerms,
        analyze: &dyn Fn(&str) -> ContentTerms,
    ) -> Self {
        let units = units(&chunk.text);
        let own: Vec<ContentTerms> = units.iter().map(|u| analyze(&u.shown)).collect();
        let document = analyze(&format!("{}\n{}", chunk.title, chunk.header));
        let about = question.coverage(&analyze(&chunk.heading_path.join("\n")));
        let scores = (0..units.len())
            .map(|u| {
                let mut neighbours = ContentTerms::default();
                for j in window(&units, u) {
                    if j != u {
                        neighbours.extend(&own[j]);
                    }
                }
                let stated = question.weighted(|t| {
                    if own[u].contains(t) || document.contains(t) {
                        1.0
                    } else if neighbours.contains(t) {
                        NEIGHBOUR_CREDIT
                    } else {
                        0.0
                    }
                });
                (stated + HEADING_WEIGHT * about) / (1.0 + HEADING_WEIGHT)
            })
            .collect();
        Self {
            chunk,
            units,
            scores,
            document,
        }
    }

    /// The chunk's best unit score: the second-stage ranker's score.
    pub fn best(&self) -> f32 {
        self.scores.iter().copied().fold(0.0, f32::max)
    }
}

/// A chunk given to the model: the windows chosen from it.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) chunk: Chunk,
    /// The windows as the model reads them, in document order (gaps shown
    /// as "…").
    pub(crate) text: String,
    /// Its best unit, verbatim: the snippet shown before the answer.
    pub(crate) quote: String,
}

/// The best window, verbatim: the extractive floor's answer.
#[derive(Debug, Clone)]
pub struct Extract {
    /// Index into the sources.
    pub(crate) source: usize,
    /// The sentence(s), list item with its lead-in, or table row(s) with
    /// their header, as written in the chunk.
    pub text: String,
    /// Its units, each verbatim (the best one first): the citation's
    /// quotes, each found as it stands in the document.
    pub(crate) quotes: Vec<String>,
    pub score: f32,
    /// Share of the question's weight the extract itself states, with its
    /// document's title and header (not its headings, nor neighbours left
    /// out of it).
    pub coverage: f32,
}

/// What the model is given.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub(crate) sources: Vec<Source>,
    pub best: Option<Extract>,
    /// The question's weighted terms the windows were scored against.
    pub(crate) question: QuestionTerms,
    /// Every chunk retrieved, shown or not: what the documents know.
    pub(crate) retrieved: Vec<Chunk>,
}

/// Picks the best windows of `chunks` (already scored) within `budget`
/// tokens (counted by `count_tokens`, the generator's tokenizer) and
/// `max_sources` chunks; with `whole_chunks`, whole chunks in the order
/// given instead (`answer.evidence = "chunks"`).
pub(crate) fn select(
    chunks: &[ScoredChunk],
    question: &QuestionTerms,
    analyze: &dyn Fn(&str) -> ContentTerms,
    budget: usize,
    max_sources: usize,
    whole_chunks: bool,
    count_tokens: &mut dyn FnMut(&str) -> Result<usize, EngineError>,
) -> Result<Evidence, EngineError> {
    // Every unit, best first; ties go to the better-ranked chunk, then to
    // the earlier unit.
    let mut ranked: Vec<(usize, usize, f32)> = chunks
        .iter()
        .enumerate()
        .flat_map(|(c, sc)| sc.scores.iter().enumerate().map(move |(u, &s)| (c, u, s)))
        .filter(|&(_, _, s)| s > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
    let Some(&(_, _, top)) = ranked.first() else {
        return Ok(Evidence {
            sources: Vec::new(),
            best: None,
            question: question.clone(),
            retrieved: chunks.iter().map(|c| c.chunk.clone()).collect(),
        });
    };
    let best_unit = ranked[0];
    if whole_chunks {
        // Whole chunks in retrieval order, each entered at its best unit.
        ranked = (0..chunks.len())
            .filter_map(|c| {
                let sc = &chunks[c];
                let u =
                    (0..sc.units.len()).max_by(|&a, &b| sc.scores[a].total_cmp(&sc.scores[b]))?;
                Some((c, u, top))
            })
            .collect();
    }
    // Chosen units per chunk, and the order chunks were first chosen in.
    let mut chosen: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); chunks.len()];
    let mut order: Vec<(usize, usize, f32)> = Vec::new();
    let mut shown: HashSet<&str> = HashSet::new();
    let mut used = 0;
    for &(c, u, score) in &ranked {
        if score < top * MIN_RELATIVE_SCORE {
            break;
        }
        let new_chunk = chosen[c].is_empty();
        if new_chunk && order.len() >= max_sources {
            continue;
        }
        let members = if whole_chunks {
            (0..chunks[c].units.len()).collect()
        } else {
            window(&chunks[c].units, u)
        };
        // Overlapping chunks repeat a sentence: it is shown once.
        let members: Vec<usize> = members
            .into_iter()
            .filter(|&j| {
                !chosen[c].contains(&j) && !shown.contains(chunks[c].units[j].shown.as_str())
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut tokens = if new_chunk { LABEL_TOKENS } else { 0 };
        for &j in &members {
            tokens += count_tokens(&chunks[c].units[j].shown)?;
        }
        if used + tokens > budget && !order.is_empty() {
            continue;
        }
        used += tokens;
        if new_chunk {
            order.push((c, u, score));
        }
        shown.extend(members.iter().map(|&j| chunks[c].units[j].shown.as_str()));
        chosen[c].extend(members);
    }
    let sources: Vec<Source> = order
        .iter()
        .map(|&(c, u, _)| Source {
            chunk: chunks[c].chunk.clone(),
            text: shown_text(&chunks[c].units, &chosen[c]),
            quote: chunks[c].units[u].verbatim.clone(),
        })
        .collect();
    let (c, u, score) = best_unit;
    let best = order.iter().position(|&(o, _, _)| o == c).map(|source| {
        let sc = &chunks[c];
        let (text, quotes, stated) = extract(sc, u, question, analyze);
        Extract {
            source,
            text,
            quotes,
            score,
            coverage: question.coverage(&stated),
        }
    });
    Ok(Evidence {
        sources,
        best,
        question: question.clone(),
        retrieved: chunks.iter().map(|c| c.chunk.clone()).collect(),
    })
}

/// The chosen units as the model reads them: runs of consecutive units
/// one per line, a "…" line between runs.
fn shown_text(units: &[Unit], chosen: &BTreeSet<usize>) -> String {
    let mut out = String::new();
    let mut previous: Option<usize> = None;
    for &j in chosen {
        if let Some(p) = previous {
            out.push_str(if j == p + 1 { "\n" } else { "\n…\n" });
        }
        out.push_str(&units[j].shown);
        previous = Some(j);
    }
    out
}

/// The extract for unit `u` of `sc` (its text, its units' verbatim
/// quotes, the content terms it states): the unit with those of its
/// window's members that carry a question term (a neighbour that only
/// sits beside it is left out); a list item with its lead-in; table rows
/// under their header lines, so the extract reads as a table.
fn extract(
    sc: &ScoredChunk,
    u: usize,
    question: &QuestionTerms,
    analyze: &dyn Fn(&str) -> ContentTerms,
) -> (String, Vec<String>, ContentTerms) {
    let units = &sc.units;
    let mut stated = sc.document.clone();
    let members: Vec<usize> = window(units, u)
        .into_iter()
        .filter(|&j| {
            let terms = analyze(&units[j].shown);
            let keep = j == u || units[u].lead_in == Some(j) || question.coverage(&terms) > 0.0;
            if keep {
                stated.extend(&terms);
            }
            keep
        })
        .collect();
    let lead = units[u].lead_in.filter(|j| members.contains(j));
    let lines: Vec<&str> = members
        .iter()
        .filter(|&&j| Some(j) != lead)
        .map(|&j| units[j].verbatim.as_str())
        .collect();
    let body = match &units[u].table_head {
        Some(head) => format!("{head}\n{}", lines.join("\n")),
        None if units[u].kind == Kind::Item => lines.join("\n"),
        None => lines.join(" "),
    };
    let text = match lead {
        Some(j) => format!("{}\n{body}", units[j].verbatim),
        None => body,
    };
    let mut quotes = vec![units[u].verbatim.clone()];
    quotes.extend(
        members
            .iter()
            .filter(|&&j| j != u)
            .map(|&j| units[j].verbatim.clone()),
    );
    (text, quotes, stated)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOP: &str = "1. 휴대용 진동계의 센서를 베어링 하우징에 부착한다.\n3. 6개 지점 중 가장 큰 값을 기준으로 다음 표에 따라 판정한다.\n\n| 판정 | RMS 진동 속도 | 조치 |\n| --- | --- | --- |\n| 양호 | 2.8 mm/s 이하 | 정상 운전 유지 |\n| 위험 | 4.5 mm/s 초과 | 운전 정지 |\n\n> **주의**: 진동 허용 한계는 **4.5 mm/s RMS**이다. 이전 측정값 대비 급격히 증가한 경우에는 보고한다.";

    #[test]
    fn a_chunk_is_cut_into_sentences_rows_and_items() {
        let cut = units(SOP);
        let kinds: Vec<Kind> = cut.iter().map(|u| u.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::Item,
                Kind::Item,
                Kind::Row,
                Kind::Row,
                Kind::Sentence,
                Kind::Sentence
            ]
        );
        assert_eq!(
            cut[2].shown,
            "판정: 양호; RMS 진동 속도: 2.8 mm/s 이하; 조치: 정상 운전 유지"
        );
        assert_eq!(cut[3].verbatim, "| 위험 | 4.5 mm/s 초과 | 운전 정지 |");
        assert_eq!(cut[4].shown, "주의: 진동 허용 한계는 4.5 mm/s RMS이다.");
        // A small table is one window, with the sentence that leads into
        // it; a sentence's neighbour is in its paragraph.
        assert_eq!(window(&cut, 2), vec![1, 2, 3]);
        assert_eq!(window(&cut, 4), vec![4, 5]);
        let lead = units("점검 항목은 다음과 같다.\n- 온도\n- 진동");
        assert_eq!(window(&lead, 2), vec![0, 2]);
        assert!(is_item("1. 점검") && is_item("① 첫째") && is_item("가. 항목"));
        assert!(!is_item("4.5 mm/s 이하") && !is_item("가격은 3,000원"));
    }

    #[test]
    fn a_sentence_a_page_wrapped_is_one_unit_but_a_title_line_is_its_own() {
        let text = "재난안전 상황관리 강화\n24시간 상황관리를 위해 시군구 상시 재난안전상황실 운영을 연초 대비\n2.2배로 확대하였다. 다음 해에도 이어진다.";
        let cut = units(text);
        let shown: Vec<&str> = cut.iter().map(|u| u.shown.as_str()).collect();
        assert_eq!(
            shown,
            [
                "재난안전 상황관리 강화",
                "24시간 상황관리를 위해 시군구 상시 재난안전상황실 운영을 연초 대비 2.2배로 확대하였다.",
                "다음 해에도 이어진다."
            ]
        );
        // The quote keeps the line break: it is the chunk's own text.
        assert!(text.contains(&cut[1].verbatim), "{:?}", cut[1].verbatim);
        assert_eq!(cut[0].block, cut[1].block);
        assert!(is_item("□ 추진 배경") && is_item("○ 시군구 상황실"));
        // Records one per line are not a wrapped sentence.
        let facts = "Net sales (us-gaap:Revenues), FY2023: 383,285 million USD\nNet sales (us-gaap:Revenues), FY2022: 394,328 million USD";
        assert_eq!(units(facts).len(), 2);
    }

    /// Content terms by whitespace words, for tests without the dictionary.
    fn words(text: &str) -> ContentTerms {
        ContentTerms {
            words: text
                .split(|c: char| !c.is_alphanumeric() && c != '.')
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect(),
            identifiers: Default::default(),
        }
    }

    fn question(text: &str) -> QuestionTerms {
        let terms = words(text);
        let idf = terms.words.iter().map(|w| (w.clone(), 1.0)).collect();
        QuestionTerms::new(&terms, &idf)
    }

    fn chunk(text: &str, heading: &str) -> Chunk {
        Chunk {
            id: format!("{heading}#0"),
            doc_id: heading.into(),
            title: "냉각수 펌프 SOP".into(),
            heading_path: vec![heading.into()],
            text: text.into(),
            ..Chunk::default()
        }
    }

    #[test]
    fn the_windows_that_state_the_question_are_chosen_within_the_budget() {
        let q = question("진동 허용 한계는 얼마");
        let chunks = vec![
            ScoredChunk::new(
                chunk(
                    "정기 점검 주기는 500시간이다. 담당은 설비보전팀이다.",
                    "3.1 점검 주기",
                ),
                &q,
                &words,
            ),
            ScoredChunk::new(chunk(SOP, "3.3 진동 측정"), &q, &words),
        ];
        assert!(chunks[1].best() > chunks[0].best());
        let mut count = |t: &str| Ok(t.chars().count());
        let evidence = select(&chunks, &q, &words, 200, 4, false, &mut count).expect("select");
        assert_eq!(evidence.sources.len(), 1, "{evidence:?}");
        assert!(evidence.sources[0]
            .text
            .contains("진동 허용 한계는 4.5 mm/s RMS이다."));
        let best = evidence.best.expect("an extract");
        assert_eq!(
            best.text,
            "> **주의**: 진동 허용 한계는 **4.5 mm/s RMS**이다."
        );
        assert!(best.coverage > 0.7, "{best:?}");

        // A budget below the best window still gives it; nothing else fits.
        let evidence = select(&chunks, &q, &words, 10, 4, false, &mut count).expect("select");
        assert_eq!(evidence.sources.len(), 1);
        // No question term anywhere: no evidence at all.
        let none = question("수소 사업");
        let chunks = vec![ScoredChunk::new(chunk(SOP, "3.3 진동 측정"), &none, &words)];
        let evidence = select(&chunks, &none, &words, 200, 4, false, &mut count).expect("select");
        assert!(evidence.sources.is_empty() && evidence.best.is_none());
    }

    #[test]
    fn a_row_is_extracted_under_its_header() {
        let q = question("위험 판정 진동 속도");
        let chunks = vec![ScoredChunk::new(chunk(SOP, "3.3 진동 측정"), &q, &words)];
        let mut count = |t: &str| Ok(t.chars().count());
        let evidence = select(&chunks, &q, &words, 400, 4, false, &mut count).expect("select");
        let best = evidence.best.expect("an extract");
        assert!(
            best.text.starts_with("3. 6개 지점 중 가장 큰 값을 기준으로 다음 표에 따라 판정한다.\n| 판정 | RMS 진동 속도 | 조치 |\n| --- | --- | --- |\n"),
            "{}",
            best.text
        );
        // Each quote is one unit as the chunk has it.
        assert!(
            best.quotes.iter().all(|q| SOP.contains(q.as_str())),
            "{:?}",
            best.quotes
        );
        assert!(
            best.text.contains("| 위험 | 4.5 mm/s 초과 | 운전 정지 |"),
            "{}",
            best.text
        );
    }
}
