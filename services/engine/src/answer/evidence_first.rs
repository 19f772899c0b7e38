//! The evidence-first answer format (`answer.format = "evidence_first"`):
//! the model first copies the source sentence its answer rests on
//! (`Evidence [n]: …`), then answers (`Answer: … [n]`). A claim holds when
//! the evidence of a source it cites is a verbatim copy from that source
//! and every number and code the claim states is in that evidence. Words
//! are not compared, so an English answer can rest on a Korean sentence.

use std::collections::HashSet;

use super::verify::{
    best_quote, citation, figures_from_the_named_row, markers, numbers_in, sentences, Checked,
};
use super::SentenceSupport;
use crate::evidence::Source;

/// Shortest copy taken as evidence, in characters: a few words could be
/// found anywhere.
const MIN_EVIDENCE_CHARS: usize = 8;

/// The model's output split into its evidence lines (source number, the
/// copied text) and its answer text.
pub(super) fn parse(text: &str) -> (Vec<(usize, String)>, String) {
    let mut evidence = Vec::new();
    let mut answer = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        let lower = trimmed.to_lowercase();
        if lower.starts_with("evidence") {
            let Some((label, copied)) = trimmed.split_once(':') else {
                continue;
            };
            let (numbers, _) = markers(label);
            let (more, copied) = markers(copied);
            let copied = copied
                .trim()
                .trim_matches(|c| matches!(c, '"' | '“' | '”' | '\'' | '「' | '」'))
                .trim()
                .to_string();
            for n in numbers.into_iter().chain(more) {
                evidence.push((n, copied.clone()));
            }
        } else if let Some(rest) = strip_label(trimmed, "answer") {
            answer.push(rest.trim().to_string());
        } else if !answer.is_empty() && !trimmed.is_empty() {
            answer.push(trimmed.to_string());
        }
    }
    (evidence, answer.join(" "))
}

fn strip_label<'t>(line: &'t str, label: &str) -> Option<&'t str> {
    let head = line.get(..label.len())?;
    if !head.eq_ignore_ascii_case(label) {
        return None;
    }
    line[label.len()..].trim_start().strip_prefix(':')
}

/// Text compared for copying: Markdown marks, table bars and spacing do
/// not count, nor does the final full stop.
fn comparable(text: &str) -> String {
    let cleaned = text.replace("**", "").replace('|', " ");
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    words.join(" ").trim_end_matches(['.', '。']).to_lowercase()
}

/// Codes a claim states (letters and digits joined by `-`, `_` or `.`):
/// they must agree with the evidence as numbers must.
fn codes(text: &str) -> HashSet<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | '[' | ']' | ';'))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| {
            w.chars().any(|c| c.is_ascii_digit())
                && w.chars().any(|c| c.is_ascii_alphabetic())
                && w.contains(['-', '_'])
        })
        .collect()
}

/// Checks the output against `sources`: the evidence that is a verbatim
/// copy of the source it names, then each answer sentence against the
/// evidence of the sources it cites (all verified evidence when it cites
/// none).
pub(super) fn verify(text: &str, sources: &[Source]) -> Checked {
    let (evidence, answer) = parse(text);
    let copied: Vec<(usize, String)> = evidence
        .into_iter()
        .filter(|(n, copy)| {
            let copy = comparable(copy);
            *n >= 1
                && *n <= sources.len()
                && copy.chars().count() >= MIN_EVIDENCE_CHARS
                && [&sources[n - 1].text, &sources[n - 1].chunk.text]
                    .iter()
                    .any(|source| comparable(source).contains(&copy))
        })
        .collect();
    let mut checked = Vec::new();
    let mut citations: Vec<super::Citation> = Vec::new();
    for sentence in sentences(&answer) {
        let (cited, clean) = markers(&sentence);
        if clean.is_empty() {
            continue;
        }
        let claim_numbers = numbers_in(&clean);
        let claim_codes = codes(&clean);
        let holds = |(n, copy): &(usize, String)| {
            let evidence_numbers: HashSet<String> = numbers_in(copy).into_iter().collect();
            let evidence_codes = codes(copy);
            (cited.is_empty() || cited.contains(n))
                && claim_numbers.iter().all(|x| evidence_numbers.contains(x))
                && claim_codes.iter().all(|c| evidence_codes.contains(c))
                && figures_from_the_named_row(&clean, &claim_numbers, &sources[n - 1].chunk.text)
        };
        let mut kept: Vec<usize> = Vec::new();
        for pair in copied.iter().filter(|p| holds(p)) {
            let n = pair.0;
            if !kept.contains(&n) {
                kept.push(n);
            }
            let chunk = &sources[n - 1].chunk;
            let quote = best_quote(&pair.1, &chunk.text);
            match citations.iter_mut().find(|c| c.n == n) {
                Some(c) if c.quote != quote && !c.more_quotes.contains(&quote) => {
                    c.more_quotes.push(quote)
                }
                Some(_) => {}
                None => {
                    let mut c = citation(n, chunk, &pair.1);
                    c.quote = quote;
                    citations.push(c);
                }
            }
        }
        checked.push(SentenceSupport {
            supported: !kept.is_empty(),
            text: clean,
            sources: kept,
        });
    }
    citations.sort_by_key(|c| c.n);
    Checked {
        sentences: checked,
        citations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seogo_docs::Chunk;

    fn source(text: &str, shown: &str) -> Source {
        Source {
            chunk: Chunk {
                id: "sop#3".into(),
                doc_id: "sop".into(),
                text: text.into(),
                ..Chunk::default()
            },
            text: shown.into(),
            quote: String::new(),
        }
    }

    #[test]
    fn evidence_and_answer_lines_are_read() {
        let (evidence, answer) = parse(
            "Evidence [1]: \"정기 점검은 누적 운전시간 500시간마다 한다.\"\nAnswer: The interval is 500 hours [1].",
        );
        assert_eq!(
            evidence,
            vec![(1, "정기 점검은 누적 운전시간 500시간마다 한다.".into())]
        );
        assert_eq!(answer, "The interval is 500 hours [1].");
        assert_eq!(parse("NO_ANSWER"), (vec![], String::new()));
    }

    #[test]
    fn a_claim_holds_on_a_verbatim_copy_whose_figures_agree() {
        let sources = [source(
            "| 위험 | 4.5 mm/s 초과 | 운전 정지 |\n정기 점검은 누적 운전시간 **500시간**마다 한다.",
            "판정: 위험; RMS 진동 속도: 4.5 mm/s 초과; 조치: 운전 정지",
        )];
        // English from Korean evidence, figures agree.
        let checked = verify(
            "Evidence [1]: 정기 점검은 누적 운전시간 500시간마다 한다.\nAnswer: Inspect every 500 operating hours [1].",
            &sources,
        );
        assert!(checked.all_supported(), "{checked:?}");
        assert_eq!(
            checked.citations[0].quote,
            "정기 점검은 누적 운전시간 **500시간**마다 한다."
        );
        // Evidence copied as the window showed a table row.
        let checked = verify(
            "Evidence [1]: 판정: 위험; RMS 진동 속도: 4.5 mm/s 초과\nAnswer: 4.5 mm/s를 넘으면 위험입니다 [1].",
            &sources,
        );
        assert!(checked.all_supported(), "{checked:?}");
        // A figure the evidence does not state.
        let checked = verify(
            "Evidence [1]: 정기 점검은 누적 운전시간 500시간마다 한다.\nAnswer: Inspect every 250 hours [1].",
            &sources,
        );
        assert!(!checked.any_supported(), "{checked:?}");
        // "Evidence" that is not in the source.
        let checked = verify(
            "Evidence [1]: 정기 점검은 매주 한다.\nAnswer: Inspect weekly [1].",
            &sources,
        );
        assert!(!checked.any_supported(), "{checked:?}");
        // A code must agree as a number must.
        assert_eq!(
            codes("PN-4471-A 씰, 4.5 mm/s"),
            HashSet::from(["pn-4471-a".to_string()])
        );
    }
}
