//! The operator's synonym file: query expansion they can edit without a
//! rebuild (영업이익 ↔ operating profit, 매출액 ↔ revenue).
//!
//! One rule per line, `#` starts a comment:
//!
//! ```text
//! 영업이익, operating profit, operating income   # equivalent: each expands to the others
//! 불량 => 결함, defect                            # one way: a query for 불량 also finds 결함
//! ```
//!
//! Terms are matched in the normalised query (NFKC, lowercase): Hangul as
//! a substring (it carries particles: 영업이익은), Latin/digits on word
//! boundaries (so `profit` does not fire inside `nonprofit`).

use std::path::Path;

use crate::normalize::normalize;
use crate::AnalysisError;

/// Parsed synonym rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synonyms {
    /// (terms that trigger, terms added).
    rules: Vec<(Vec<String>, Vec<String>)>,
}

impl Synonyms {
    /// Reads the rules in `path`.
    pub fn load(path: &Path) -> Result<Self, AnalysisError> {
        let text = std::fs::read_to_string(path).map_err(|e| AnalysisError::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses rules; `origin` names the source in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, AnalysisError> {
        let mut rules = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |reason: &str| AnalysisError::BadRule {
                path: origin.to_string(),
                line: i + 1,
                reason: reason.to_string(),
            };
            let terms = |s: &str| -> Vec<String> {
                s.split(',')
                    .map(|t| normalize(t.trim()))
                    .filter(|t| !t.is_empty())
                    .collect()
            };
            if let Some((from, to)) = line.split_once("=>") {
                let (from, to) = (terms(from), terms(to));
                if from.is_empty() || to.is_empty() {
                    return Err(bad("`=>` needs terms on both sides"));
                }
                rules.push((from, to));
            } else {
                let group = terms(line);
                if group.len() < 2 {
                    return Err(bad(
                        "a synonym group needs at least two terms, separated by commas",
                    ));
                }
                rules.push((group.clone(), group));
            }
        }
        Ok(Self { rules })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Merges another file's rules into these (global + per-domain files).
    pub fn extend(&mut self, other: &Synonyms) {
        self.rules.extend(other.rules.iter().cloned());
    }

    /// Terms to add to a query: those of every rule a term of which occurs
    /// in `query`, except the ones already in it.
    pub fn expand(&self, query: &str) -> Vec<String> {
        let query = normalize(query);
        let mut out: Vec<String> = Vec::new();
        for (triggers, added) in &self.rules {
            if triggers.iter().any(|t| occurs(&query, t)) {
                for a in added {
                    if !occurs(&query, a) && !out.contains(a) {
                        out.push(a.clone());
                    }
                }
            }
        }
        out
    }
}

/// Whether `term` occurs in `text`; a Latin/digit edge must be a word edge.
fn occurs(text: &str, term: &str) -> bool {
    let word_char = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    text.match_indices(term).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + term.len()..].chars().next();
        let first = term.chars().next();
        let last = term.chars().next_back();
        let glued_before = word_char(first) && word_char(before);
        let glued_after = word_char(last) && word_char(after);
        !glued_before && !glued_after
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str =
        "# finance\n영업이익, Operating Profit, operating income\n불량 => 결함, defect\n";

    #[test]
    fn groups_expand_both_ways_and_one_way_rules_one_way() {
        let s = Synonyms::parse(RULES, "test").expect("valid");
        assert_eq!(
            s.expand("삼성전자의 영업이익은?"),
            vec!["operating profit", "operating income"]
        );
        assert_eq!(
            s.expand("OPERATING PROFIT of Samsung"),
            vec!["영업이익", "operating income"]
        );
        assert_eq!(s.expand("불량 원인"), vec!["결함", "defect"]);
        assert!(s.expand("결함 원인").is_empty());
    }

    #[test]
    fn latin_terms_match_whole_words_only() {
        let s = Synonyms::parse("profit, 이익", "test").expect("valid");
        assert!(s.expand("nonprofit status").is_empty());
        assert_eq!(s.expand("net profit."), vec!["이익"]);
    }

    #[test]
    fn bad_lines_are_named() {
        let err = Synonyms::parse("a, b\n\nlonely\n", "syn.txt").expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "syn.txt: line 3: a synonym group needs at least two terms, separated by commas"
        );
        assert!(Synonyms::parse("=> x", "s").is_err());
    }
}
