//! From the user's query text to a tantivy query.
//!
//! Syntax, kept to what people type: `"quoted words"` must appear as a
//! phrase; `word*` must match a term starting with `word` (for codes:
//! `PN-44*`); everything else is free text, scored by BM25 over the bigram
//! and morpheme fields. Identifiers found in the query (PN-4471-A, 제3조)
//! are matched exactly in the identifier field: required or boosting by
//! kind, as configured per domain. Synonym rules add terms at a lower weight.

use seogo_analyzer::normalize::normalize;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RegexQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use super::{inverted::Fields, Analyzers};
use crate::{IndexError, LexicalResources};

/// The parts of a query string.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// All words, phrases included (they score too).
    pub free: String,
    pub phrases: Vec<String>,
    /// Normalised prefixes, without the `*`.
    pub prefixes: Vec<String>,
}

/// Splits `query` into free text, `"phrases"` and `prefix*` terms. An
/// unclosed quote is taken as free text.
pub fn parse(query: &str) -> ParsedQuery {
    let mut parsed = ParsedQuery::default();
    let mut free = Vec::new();
    let mut rest = query;
    while let Some(open) = rest.find('"') {
        let Some(len) = rest[open + 1..].find('"') else {
            break;
        };
        free.push(rest[..open].to_string());
        let phrase = rest[open + 1..open + 1 + len].trim();
        if !phrase.is_empty() {
            parsed.phrases.push(phrase.to_string());
            free.push(phrase.to_string());
        }
        rest = &rest[open + len + 2..];
    }
    free.push(rest.replace('"', " "));
    let mut words = Vec::new();
    let joined = free.join(" ");
    for word in joined.split_whitespace() {
        match word.strip_suffix('*') {
            // A prefix of at least two characters: one would match half
            // the index.
            Some(prefix) if prefix.chars().count() >= 2 && !prefix.contains('*') => {
                parsed.prefixes.push(normalize(prefix));
                words.push(prefix);
            }
            _ => words.push(word),
        }
    }
    parsed.free = words.join(" ");
    parsed
}

fn term_query(field: tantivy::schema::Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(q: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    if (weight - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, weight))
    }
}

/// Builds the scoring part of the query (no ACL or metadata filters).
/// `None` when the query has nothing to search for.
pub(super) fn build(
    parsed: &ParsedQuery,
    domain: Option<&str>,
    fields: &Fields,
    analyzers: &Analyzers,
    resources: &LexicalResources,
) -> Result<Option<Box<dyn Query>>, IndexError> {
    let weights = resources.weights;
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut add_terms = |field, terms: Vec<String>, weight: f32| {
        let mut terms = terms;
        terms.sort();
        terms.dedup();
        for t in terms {
            should.push((Occur::Should, boosted(term_query(field, &t), weight)));
        }
    };
    if let Some(text_terms) = analyzers.query_text_terms(&parsed.free) {
        add_terms(fields.text, text_terms, weights.text);
    }
    if let Some(morph_terms) = analyzers.morph_terms(&parsed.free) {
        add_terms(fields.morph, morph_terms, weights.morph);
    }
    for added in resources.synonyms_for(domain).expand(&parsed.free) {
        if let Some(t) = analyzers.query_text_terms(&added) {
            add_terms(fields.text, t, weights.synonym);
        }
        if let Some(t) = analyzers.morph_terms(&added) {
            add_terms(fields.morph, t, weights.synonym);
        }
    }

    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let rules = resources.identifier_rules(domain);
    for id in rules.extractor.extract(&normalize(&parsed.free)) {
        if let Some(required) = rules.required_term(&id) {
            // Stated in the chunk (scores), or named by its document for
            // every chunk (passes, scoring nothing: a chunk that states
            // the identifier itself still ranks first).
            let named_by_document =
                ConstScoreQuery::new(term_query(fields.ids, &super::document_term(required)), 0.0);
            must.push((
                Occur::Must,
                Box::new(BooleanQuery::new(vec![
                    (
                        Occur::Should,
                        boosted(term_query(fields.ids, required), weights.identifier),
                    ),
                    (Occur::Should, Box::new(named_by_document)),
                ])),
            ));
        }
        // The most specific form always scores (제3조제2항 over 제3조).
        if let Some(specific) = id.terms.first() {
            should.push((
                Occur::Should,
                boosted(term_query(fields.ids, specific), weights.identifier),
            ));
        }
    }
    for phrase in &parsed.phrases {
        if let Some(q) = analyzers.phrase_query(fields, phrase) {
            must.push((Occur::Must, q));
        }
    }
    for prefix in &parsed.prefixes {
        let pattern = format!("{}.*", regex_syntax_escape(prefix));
        let field = if analyzers.kind.uses_text_field() {
            fields.text
        } else {
            fields.morph
        };
        must.push((
            Occur::Must,
            Box::new(RegexQuery::from_pattern(&pattern, field)?),
        ));
    }
    if should.is_empty() && must.is_empty() {
        return Ok(None);
    }
    if !should.is_empty() {
        // At least one scoring term must match unless something else is required.
        let occur = if must.is_empty() {
            Occur::Must
        } else {
            Occur::Should
        };
        must.push((occur, Box::new(BooleanQuery::new(should))));
    }
    Ok(Some(Box::new(BooleanQuery::new(must))))
}

/// Escapes regex metacharacters (tantivy's regex dialect is the `regex`
/// crate's).
fn regex_syntax_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A phrase over positioned terms; one term needs no phrase.
pub(super) fn positioned_phrase(
    field: tantivy::schema::Field,
    terms: Vec<(usize, String)>,
) -> Option<Box<dyn Query>> {
    let first = terms.first()?.0;
    if terms.len() == 1 {
        return Some(term_query(field, &terms[0].1));
    }
    Some(Box::new(PhraseQuery::new_with_offset(
        terms
            .into_iter()
            .map(|(p, t)| (p - first, Term::from_field_text(field, &t)))
            .collect(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_stars_are_parsed() {
        let p = parse(r#"점검 "영업 이익" PN-44* 주기 "unclosed"#);
        assert_eq!(p.phrases, vec!["영업 이익"]);
        assert_eq!(p.prefixes, vec!["pn-44"]);
        assert_eq!(p.free, "점검 영업 이익 PN-44 주기 unclosed");
        // A one-character prefix is just a word.
        assert!(parse("a* b").prefixes.is_empty());
    }

    #[test]
    fn escaping_keeps_codes_literal() {
        assert_eq!(regex_syntax_escape("pn-44.1"), r"pn\-44\.1");
    }
}
