//! Checking an answer against its sources, sentence by sentence: which
//! `[n]` markers hold (the source contains the sentence's terms and every
//! number it states), which sentences no source supports, and the verbatim
//! quote each citation shows.

use std::collections::HashSet;

use seogo_analyzer::bigram::{BigramAnalyzer, Side};
use seogo_docs::Chunk;
use serde::{Deserialize, Serialize};

use super::Citation;

/// Share of a sentence's terms a source must contain to support it.
const MIN_SUPPORT: f32 = 0.5;

/// Terms used to compare claims with sources: the query analyzer's Hangul
/// bigrams and whole Latin/number tokens.
pub fn terms(text: &str) -> HashSet<String> {
    BigramAnalyzer::new(Side::Query)
        .terms(text)
        .into_iter()
        .collect()
}

/// Share of `claim`'s terms that occur in `source`.
pub(crate) fn support(claim: &HashSet<String>, source: &HashSet<String>) -> f32 {
    if claim.is_empty() {
        return 0.0;
    }
    claim.intersection(source).count() as f32 / claim.len() as f32
}

/// Splits an answer into sentences, keeping trailing `[n]` markers with the
/// sentence they follow.
pub(crate) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        current.push(c);
        let end = c == '\n'
            || (matches!(c, '.' | '!' | '?' | '。')
                && chars
                    .get(i + 1)
                    .is_none_or(|n| n.is_whitespace() || *n == '['));
        if end {
            // Pull following markers like " [1][2]" into this sentence.
            let mut j = i + 1;
            while j < chars.len() && (chars[j] == ' ' || chars[j] == '[') {
                if chars[j] == '[' {
                    let close = chars[j..].iter().position(|&c| c == ']');
                    match close {
                        Some(k)
                            if chars[j + 1..j + k]
                                .iter()
                                .all(|c| c.is_ascii_digit() || *c == ',' || *c == ' ') =>
                        {
                            current.extend(&chars[j..=j + k]);
                            j += k + 1;
                        }
                        _ => break,
                    }
                } else {
                    current.push(' ');
                    j += 1;
                }
            }
            i = j;
            if !current.trim().is_empty() {
                out.push(current.trim().to_string());
            }
            current.clear();
            continue;
        }
        i += 1;
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// The `[n]`/`[n, m]` numbers in `sentence`, and the sentence without them.
pub(crate) fn markers(sentence: &str) -> (Vec<usize>, String) {
    let mut numbers = Vec::new();
    let mut clean = String::new();
    let mut rest = sentence;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']') else {
            break;
        };
        let inner = &rest[open + 1..open + close];
        let parsed: Option<Vec<usize>> = inner.split(',').map(|p| p.trim().parse().ok()).collect();
        clean.push_str(&rest[..open]);
        match parsed {
            Some(ns) if !ns.is_empty() => numbers.extend(ns),
            _ => clean.push_str(&rest[open..=open + close]),
        }
        rest = &rest[open + close + 1..];
    }
    clean.push_str(rest);
    (numbers, tidy(&clean))
}

/// Collapses runs of spaces and removes spaces left before punctuation when
/// markers are cut out ("500시간 [1]." → "500시간.").
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if (c == ' ' && out.ends_with(' '))
            || (matches!(c, '.' | ',' | '!' | '?') && out.ends_with(' '))
        {
            if c != ' ' {
                out.pop();
                out.push(c);
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// How one sentence of the model's answer fared.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SentenceSupport {
    /// The sentence without its markers.
    pub text: String,
    /// The sources that support it (their `[n]`); empty when none does.
    pub sources: Vec<usize>,
    pub supported: bool,
}

/// The model's answer checked sentence by sentence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checked {
    /// Every sentence with the markers it keeps (unsupported ones bare).
    pub(crate) sentences: Vec<SentenceSupport>,
    pub(crate) citations: Vec<Citation>,
}

impl Checked {
    pub(crate) fn any_supported(&self) -> bool {
        self.sentences.iter().any(|s| s.supported)
    }

    pub(crate) fn all_supported(&self) -> bool {
        self.sentences.iter().all(|s| s.supported)
    }

    /// The answer text: each kept sentence followed by its markers;
    /// unsupported sentences left out when `drop_unsupported`.
    pub(crate) fn text(&self, drop_unsupported: bool) -> String {
        let mut out = String::new();
        for s in &self.sentences {
            if drop_unsupported && !s.supported {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&s.text);
            for n in &s.sources {
                out.push_str(&format!(" [{n}]"));
            }
        }
        out
    }
}

/// The numbers written in `text` as `verify` reads a sentence: `[n]`
/// markers are not numbers.
#[cfg(test)]
pub(crate) fn numbers(text: &str) -> Vec<String> {
    let (_, clean) = markers(text);
    numbers_in(&clean)
}

/// The numbers written in `text`, normalised: thousands separators
/// dropped, so "6,000" and "6000" are the same number.
pub(super) fn numbers_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut number = String::new();
        while i < chars.len() {
            let c = chars[i];
            let joins = matches!(c, ',' | '.')
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                && !number.is_empty();
            if c.is_ascii_digit() {
                number.push(c);
            } else if joins {
                if c == '.' {
                    number.push('.');
                }
            } else {
                break;
            }
            i += 1;
        }
        // A date written 2024.03.12 is three numbers, as 2024년 3월 12일 is.
        let parts: Vec<&str> = if number.matches('.').count() > 1 {
            number.split('.').collect()
        } else {
            vec![number.as_str()]
        };
        out.extend(parts.into_iter().map(without_leading_zeros));
    }
    out
}

fn without_leading_zeros(number: &str) -> String {
    let trimmed = number.trim_start_matches('0');
    if trimmed.is_empty() || trimmed.starts_with('.') {
        format!("0{trimmed}")
    } else {
        trimmed.to_string()
    }
}

/// Checks every sentence against the sources (`known`: the other chunks
/// retrieved, whose words the documents know). A marker survives only if
/// its source supports the sentence; an unmarked sentence gets the source
/// that supports it best, if any does; a sentence no source supports is
/// flagged.
///
/// Words of the question a sentence restates ("한빛정밀 창원공장 펌프의 점검
/// 주기는 …"), when some source speaks of them, are not claims: support is
/// measured on the words it adds, so an answer that names its subject the
/// way the question did is not failed for a subject its source states
/// elsewhere. A sentence that adds nothing
/// is unsupported, and numbers are always checked, the question's included
/// (a false premise with a figure cannot pass by being repeated).
pub(crate) fn verify(text: &str, sources: &[Chunk], known: &[Chunk], question: &str) -> Checked {
    let source_terms: Vec<HashSet<String>> = sources.iter().map(|s| terms(&s.text)).collect();
    let mentioned: HashSet<String> = sources
        .iter()
        .chain(known)
        .flat_map(|s| terms(&s.indexed_text()))
        .collect();
    // The question's words no retrieved chunk speaks of (title and
    // headings included), by their stems: "화성 기지의 산소 발생기" in a
    // question the documents never mention stays a claim, so an answer
    // cannot pin another subject's figures on it by repeating the
    // question. The chunks retrieved count, not only the windows shown:
    // "fiscal year" is known to a filing whose facts chunk says "FY".
    let question_heads = word_heads(question);
    let unknown: HashSet<String> = question_heads
        .iter()
        .filter(|h| !mentioned.contains(*h))
        .cloned()
        .collect();
    let asked: HashSet<String> = terms(question).difference(&unknown).cloned().collect();
    let source_numbers: Vec<HashSet<String>> = sources
        .iter()
        .map(|s| numbers_in(&s.text).into_iter().collect())
        .collect();
    let mut checked = Vec::new();
    let mut cited: Vec<(usize, String)> = Vec::new();
    for sentence in sentences(text) {
        let (numbers, clean) = markers(&sentence);
        if clean.is_empty() {
            continue;
        }
        let sentence_terms = terms(&clean);
        let claim: HashSet<String> = sentence_terms
            .difference(&asked)
            .filter(|t| !ENDINGS.contains(&t.as_str()))
            .cloned()
            .collect();
        let claim_numbers = numbers_in(&clean);
        let about_the_unknown = restates_the_unknown(&sentence_terms, &question_heads, &unknown);
        // Source n (1-based) supports the sentence: enough of its terms,
        // and every number it states (a wrong figure with the right words
        // is the most harmful unsupported claim).
        let ok = |n: usize| {
            !about_the_unknown
                && n >= 1
                && n <= sources.len()
                && support(&claim, &source_terms[n - 1]) >= MIN_SUPPORT
                && claim_numbers
                    .iter()
                    .all(|x| source_numbers[n - 1].contains(x))
                && figures_from_the_named_row(&clean, &claim_numbers, &sources[n - 1].text)
        };
        let mut kept: Vec<usize> = numbers.into_iter().filter(|&n| ok(n)).collect();
        kept.dedup();
        if kept.is_empty() {
            let best = (1..=sources.len())
                .filter(|&n| ok(n))
                .map(|n| (n, support(&claim, &source_terms[n - 1])))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            kept.extend(best.map(|(n, _)| n));
        }
        for &n in &kept {
            cited.push((n, clean.clone()));
        }
        checked.push(SentenceSupport {
            supported: !kept.is_empty(),
            text: clean,
            sources: kept,
        });
    }
    let mut citations: Vec<Citation> = Vec::new();
    for (n, claim) in cited {
        match citations.iter_mut().find(|c| c.n == n) {
            // Another claim resting on the same source: show its evidence
            // too, when it is another sentence.
            Some(c) => {
                let quote = best_quote(&claim, &sources[n - 1].text);
                if quote != c.quote && !c.more_quotes.contains(&quote) {
                    c.more_quotes.push(quote);
                }
            }
            None => citations.push(citation(n, &sources[n - 1], &claim)),
        }
    }
    citations.sort_by_key(|c| c.n);
    Checked {
        sentences: checked,
        citations,
    }
}

/// A key cell compared with a sentence: no spaces, nothing in brackets
/// ("정밀 점검(분해)" → "정밀점검").
fn compact_key(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' | '（' => depth += 1,
            ')' | ']' | '）' => depth = depth.saturating_sub(1),
            c if depth == 0 && !c.is_whitespace() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

/// Whether a sentence's figures come from the table row it names. A
/// sentence that names a row by its key cell ("정기 점검 주기는 …") while
/// every figure it states sits in another row of that table ("정밀 점검 |
/// 6,000시간") pins one row's value on another: a small model's commonest
/// misreading of a table, which term overlap cannot see (the rows share
/// their words).
pub(crate) fn figures_from_the_named_row(sentence: &str, numbers: &[String], source: &str) -> bool {
    if numbers.is_empty() {
        return true;
    }
    let said = compact_key(sentence);
    let rows = crate::evidence::keyed_rows(source);
    let holds_all = |row: &crate::evidence::KeyedRow| {
        let found: HashSet<String> = numbers_in(&row.text).into_iter().collect();
        numbers.iter().all(|x| found.contains(x))
    };
    for table in rows
        .iter()
        .map(|r| r.table)
        .collect::<std::collections::BTreeSet<_>>()
    {
        let of_table: Vec<&crate::evidence::KeyedRow> =
            rows.iter().filter(|r| r.table == table).collect();
        let named: Vec<&&crate::evidence::KeyedRow> = of_table
            .iter()
            .filter(|r| {
                let key = compact_key(&r.key);
                key.chars().count() >= 2 && said.contains(&key)
            })
            .collect();
        let supplying: Vec<&&crate::evidence::KeyedRow> =
            of_table.iter().filter(|r| holds_all(r)).collect();
        if !named.is_empty()
            && !supplying.is_empty()
            && !supplying
                .iter()
                .any(|s| named.iter().any(|n| n.text == s.text))
        {
            return false;
        }
    }
    true
}

/// Share of the question's words a sentence restates that, when no source
/// mentions them, makes it a claim about something the documents do not
/// know (two such words at least: one may be the asker's synonym).
const MAX_UNKNOWN_SHARE: f32 = 0.3;

/// The leading term of each word of `text`: a Hangul word's first bigram,
/// its stem before any particle ("기지의" → 기지), so particles do not
/// count as words a source must mention.
pub(crate) fn word_heads(text: &str) -> HashSet<String> {
    let analyzer = BigramAnalyzer::new(Side::Query);
    text.split_whitespace()
        .filter_map(|word| analyzer.terms(word).into_iter().next())
        .collect()
}

/// Bigrams of sentence endings (the polite ~습니다/~입니다 the prompt asks
/// for, the plain ~이다/~한다 of documents): grammar, not claims, so a
/// short answer in another register than its source is not failed for it.
const ENDINGS: [&str; 22] = [
    "입니", "니다", "습니", "합니", "됩니", "있습", "없습", "이다", "한다", "된다", "있다", "없다",
    "이며", "이고", "에요", "이에", "예요", "어요", "아요", "해요", "세요", "니까",
];

/// Share of the asker's words an answer must take up, in its sentences or
/// the sources it cites: an answer about something else — a small model
/// repeating the previous turn's answer, say — is no answer to this one.
const MIN_QUESTION_COVERAGE: f32 = 0.5;

/// Question words that ask rather than name (they need not appear).
const ASKING_WORDS: [&str; 24] = [
    "얼마", "무엇", "언제", "어디", "누가", "누구", "어떻", "어떤", "어느", "무슨", "그럼", "그러",
    "what", "when", "where", "who", "which", "how", "why", "does", "do", "is", "are", "the",
];

/// Whether `answer`, with the sources it cites, takes up enough of the
/// words of `question` (see [`MIN_QUESTION_COVERAGE`]).
pub(crate) fn addresses(question: &str, answer: &str, cited: &[&Chunk]) -> bool {
    let heads: Vec<String> = word_heads(question)
        .into_iter()
        .filter(|h| !ASKING_WORDS.contains(&h.as_str()) && h.chars().count() > 1)
        .collect();
    if heads.len() < 2 {
        return true;
    }
    let mut covered = terms(answer);
    for chunk in cited {
        covered.extend(terms(&chunk.indexed_text()));
    }
    let taken = heads.iter().filter(|h| covered.contains(*h)).count();
    taken as f32 >= MIN_QUESTION_COVERAGE * heads.len() as f32
}

/// Whether a sentence restates enough of the question's words that no
/// source mentions (`unknown`) to be about a subject outside the documents:
/// the pump's interval, answered for "화성 기지의 산소 발생기".
fn restates_the_unknown(
    sentence: &HashSet<String>,
    question_heads: &HashSet<String>,
    unknown: &HashSet<String>,
) -> bool {
    let restated: Vec<&String> = question_heads
        .iter()
        .filter(|h| sentence.contains(*h))
        .collect();
    let strangers = restated.iter().filter(|h| unknown.contains(**h)).count();
    strangers >= 2 && strangers as f32 >= MAX_UNKNOWN_SHARE * restated.len() as f32
}

/// Source `n` as cited for `claim`, with the sentence that bears it out.
pub(crate) fn citation(n: usize, chunk: &Chunk, claim: &str) -> Citation {
    Citation {
        n,
        doc_id: chunk.doc_id.clone(),
        chunk_id: chunk.id.clone(),
        title: chunk.title.clone(),
        section: chunk.section_label(),
        page: chunk.page,
        locator: chunk.locator.clone(),
        quote: best_quote(claim, &chunk.text),
        more_quotes: Vec::new(),
    }
}

/// The sentence of `source` that shares the most terms with `claim`, verbatim.
pub(crate) fn best_quote(claim: &str, source: &str) -> String {
    let claim_terms = terms(claim);
    let best = seogo_docs::chunk::split_sentences(source)
        .into_iter()
        .max_by(|a, b| {
            support(&claim_terms, &terms(a))
                .partial_cmp(&support(&claim_terms, &terms(b)))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.len().cmp(&a.len()))
        })
        .unwrap_or(source);
    best.chars().take(400).collect()
}
