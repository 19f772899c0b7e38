//! Grounded answering: retrieve, cut the candidates into evidence windows
//! (the sentences, rows and list items that state the question's terms,
//! within a token budget), give those to the model as numbered sources,
//! then verify. Every claim must rest on a source: markers the model wrote
//! are checked against the source they name (terms and numbers), unmarked
//! sentences are attributed only where a source supports them, sentences
//! no source supports are dropped (or refuse the whole answer, by
//! configuration). When nothing the model wrote holds but the best window
//! clearly states the question's terms, that window is the answer,
//! verbatim and marked as an extract (the extractive floor); otherwise
//! "the documents do not say", with the closest sources shown.
//!
//! A follow-up question ("그럼 2023년은?") is first rewritten by the model
//! into a standalone question from the conversation, and that is what is
//! retrieved and answered.

mod evidence_first;
mod prompt;
mod rewrite;
mod verify;

use std::collections::HashMap;

use seogo_docs::Chunk;
use seogo_models::GenerationParams;
use seogo_types::ChatMessage;
pub use seogo_types::Citation;
use serde::{Deserialize, Serialize};

use crate::config::{AnswerFormat, EvidenceMode, UnsupportedPolicy};
use crate::evidence::{self, Evidence, Extract, QuestionTerms, ScoredChunk, Source};
use crate::retrieve::{Scope, SearchRequest, SearchResult};
use crate::{Engine, EngineError};
use prompt::{extract_label, language_of, refusal, Lang, NO_ANSWER};
pub use verify::terms;
pub use verify::SentenceSupport;
use verify::{addresses, verify};

/// A question as the CLI and the API express it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AskRequest {
    pub question: String,
    /// The conversation so far (user and assistant turns, oldest first);
    /// empty for a first question.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<ChatMessage>,
    #[serde(flatten)]
    pub scope: Scope,
}

/// The answer, its citations and whether it is grounded in them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub answer: String,
    pub citations: Vec<Citation>,
    /// False when the documents do not answer the question (a refusal).
    pub grounded: bool,
    /// The answer is a passage of the documents, verbatim (the extractive
    /// floor: the model declined or none of its sentences held, and the
    /// best evidence window states the question's terms), not the
    /// model's words; its text starts with "문서 발췌" / "From the
    /// document".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub extractive: bool,
    pub model: String,
    /// How each sentence the model wrote fared against the sources
    /// (unsupported ones are not in `answer`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sentences: Vec<SentenceSupport>,
    /// On a refusal, the passages that came closest, for the reader to
    /// check (numbered by rank, not cited).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closest: Vec<Citation>,
    /// The follow-up as the standalone question that was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standalone_question: Option<String>,
    /// Chunk ids of the sources the model was given (for the audit log).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retrieved: Vec<String>,
    /// Tokens the answer cost (none when no generation ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
    /// 0–1: half the share of the model's sentences the sources bear out,
    /// half how strongly retrieval found the best cited source (both
    /// engines in their top three: full). 0 for a refusal.
    #[serde(default)]
    pub confidence: f32,
    /// 0–1: the share of the question (its rarer words weighing more) that
    /// the answer's supported sentences and the sources they cite state;
    /// an answer below `answer.min_coverage` is about something else and
    /// is declined. 0 when the model declined.
    #[serde(default)]
    pub coverage: f32,
}

/// Generator tokens spent on an answer.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenUsage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Prompt tokens reused from the generator's prefix cache.
    pub cached_prompt_tokens: usize,
}

/// What [`Engine::ask`] reports while it works.
#[derive(Debug)]
pub enum AskEvent<'a> {
    /// Retrieval is done: the sources the answer will draw on (title,
    /// section, the best window as `quote`), before the model starts, so
    /// a person reads the evidence while the model works.
    Sources(&'a [Citation]),
    /// A piece of the model's raw text, as it is generated (the verified
    /// answer may differ).
    Text(&'a str),
}

/// Where BM25 and dense ranked each retrieved chunk (by chunk id).
type EngineRanks = HashMap<String, (Option<usize>, Option<usize>)>;

/// Candidates retrieved before choosing evidence windows.
const CANDIDATES: usize = 8;
/// Sources shown with a refusal.
const CLOSEST: usize = 3;
/// Longest source preview and extract quote, in characters.
const QUOTE_CHARS: usize = 400;

impl Engine {
    /// Answers `req`, reporting the sources and then the model's text to
    /// `on_event` as they come (the final, verified answer may differ:
    /// see [`Answer`]).
    pub fn ask(
        &self,
        req: &AskRequest,
        on_event: &mut dyn FnMut(AskEvent<'_>),
    ) -> Result<Answer, EngineError> {
        let generator = self.generator()?;
        let standalone = if req.history.is_empty() {
            None
        } else {
            Some(rewrite::standalone_question(
                generator.as_ref(),
                &req.history,
                &req.question,
            )?)
        };
        let question = standalone.as_deref().unwrap_or(&req.question);
        let lang = language_of(&req.question);
        let cfg = &self.config().answer;
        // The prompt must also leave room for the instructions and answer.
        let budget = cfg.evidence_budget(&self.config().generator).min(
            generator
                .context_length()
                .saturating_sub(cfg.max_tokens + 512),
        );
        let (evidence, ranks) = self.evidence(question, &req.scope, budget, &mut |t| {
            Ok(generator.count_tokens(t)?)
        })?;
        let previews: Vec<Citation> = evidence
            .sources
            .iter()
            .enumerate()
            .map(|(i, s)| preview(i + 1, s))
            .collect();
        on_event(AskEvent::Sources(&previews));
        let model = generator.model_id().to_string();
        let retrieved: Vec<String> = evidence
            .sources
            .iter()
            .map(|s| s.chunk.id.clone())
            .collect();
        let declined = |sentences: Vec<SentenceSupport>, usage: Option<TokenUsage>| Answer {
            answer: refusal(lang).to_string(),
            citations: Vec::new(),
            grounded: false,
            extractive: false,
            model: model.clone(),
            sentences,
            closest: previews.iter().take(CLOSEST).cloned().collect(),
            standalone_question: standalone.clone(),
            retrieved: retrieved.clone(),
            usage,
            confidence: 0.0,
            coverage: 0.0,
        };
        let best_score = evidence.best.as_ref().map_or(0.0, |b| b.score);
        if evidence.sources.is_empty() || best_score < cfg.min_evidence {
            return Ok(declined(Vec::new(), None));
        }

        let messages =
            prompt::messages(question, &evidence.sources, lang, cfg.format, cfg.examples);
        if let Some(last) = messages.last() {
            tracing::trace!(prompt = %last.content, "evidence");
        }
        let params = GenerationParams {
            max_tokens: cfg.max_tokens,
            stop: prompt::stops(),
            ..GenerationParams::default()
        };
        let started = std::time::Instant::now();
        let generation =
            generator.generate(&messages, &params, &mut |t| on_event(AskEvent::Text(t)))?;
        tracing::debug!(
            prompt_tokens = generation.prompt_tokens,
            completion_tokens = generation.completion_tokens,
            seconds = started.elapsed().as_secs_f32(),
            sources = ?retrieved,
            raw = %generation.text,
            "generated"
        );
        let usage = Some(TokenUsage {
            prompt_tokens: generation.prompt_tokens,
            completion_tokens: generation.completion_tokens,
            cached_prompt_tokens: generation.cached_prompt_tokens,
        });
        let checked = self.check(generation.text.trim(), &evidence, question, &req.scope)?;
        let sentences = checked
            .as_ref()
            .map(|(c, _)| c.sentences.clone())
            .unwrap_or_default();
        let holds = checked.filter(|(checked, coverage)| {
            let cited: Vec<&Chunk> = checked
                .citations
                .iter()
                .filter_map(|c| evidence.sources.get(c.n - 1).map(|s| &s.chunk))
                .collect();
            checked.any_supported()
                && (cfg.unsupported == UnsupportedPolicy::Drop || checked.all_supported())
                && addresses(&req.question, &checked.text(true), &cited)
                && *coverage >= cfg.min_coverage
        });
        let Some((checked, coverage)) = holds else {
            return Ok(match self.extractive_floor(&evidence, lang) {
                Some((answer, citation, coverage)) => Answer {
                    answer,
                    citations: vec![citation],
                    grounded: true,
                    extractive: true,
                    confidence: (coverage * 100.0).round() / 200.0,
                    coverage,
                    closest: Vec::new(),
                    ..declined(sentences, usage)
                },
                None => declined(sentences, usage),
            });
        };
        let confidence = confidence(&checked.sentences, &checked.citations, &ranks);
        Ok(Answer {
            coverage,
            answer: checked.text(true),
            citations: checked.citations,
            grounded: true,
            extractive: false,
            model,
            sentences: checked.sentences,
            closest: Vec::new(),
            standalone_question: standalone,
            retrieved,
            usage,
            confidence,
        })
    }

    /// The evidence windows for `question` in `scope`, within `budget`
    /// tokens (as `count_tokens` counts them), and each candidate's ranks
    /// in the two engines (for the confidence figure).
    pub fn evidence(
        &self,
        question: &str,
        scope: &Scope,
        budget: usize,
        count_tokens: &mut dyn FnMut(&str) -> Result<usize, EngineError>,
    ) -> Result<(Evidence, EngineRanks), EngineError> {
        let cfg = &self.config().answer;
        let results: Vec<SearchResult> = self.search(&SearchRequest {
            query: question.to_string(),
            mode: cfg.retrieval,
            k: CANDIDATES,
            snippets: false,
            scope: scope.clone(),
        })?;
        let ranks = results
            .iter()
            .map(|r| (r.chunk.id.clone(), (r.bm25_rank, r.dense_rank)))
            .collect();
        let chosen = self.read_current(&scope.collection, |col| {
            let analyze = |t: &str| col.lexical.content_terms(t);
            let terms = QuestionTerms::of(&col.lexical, question);
            let chunks: Vec<ScoredChunk> = results
                .into_iter()
                .map(|r| ScoredChunk::new(r.chunk, &terms, &analyze))
                .collect();
            evidence::select(
                &chunks,
                &terms,
                &analyze,
                budget,
                cfg.max_sources,
                cfg.evidence == EvidenceMode::Chunks,
                count_tokens,
            )
        })?;
        Ok((chosen, ranks))
    }

    /// The model's `text` verified against the evidence in the configured
    /// format, when it wrote an answer with at least one supported
    /// sentence, with the share of the question (see [`Answer::coverage`])
    /// those sentences and the sources they cite state.
    fn check(
        &self,
        text: &str,
        evidence: &Evidence,
        question: &str,
        scope: &Scope,
    ) -> Result<Option<(verify::Checked, f32)>, EngineError> {
        if text.is_empty() || text.contains(NO_ANSWER) {
            return Ok(None);
        }
        let checked = match self.config().answer.format {
            AnswerFormat::Cited => {
                let chunks: Vec<Chunk> = evidence.sources.iter().map(|s| s.chunk.clone()).collect();
                verify(text, &chunks, &evidence.retrieved, question)
            }
            AnswerFormat::EvidenceFirst => evidence_first::verify(text, &evidence.sources),
        };
        if !checked.any_supported() {
            return Ok(Some((checked, 0.0)));
        }
        let mut stated = vec![checked.text(true)];
        for c in &checked.citations {
            if let Some(s) = evidence.sources.get(c.n - 1) {
                stated.push(format!("{}\n{}\n{}", s.chunk.title, s.chunk.header, s.text));
            }
        }
        let coverage = self.read_current(&scope.collection, |col| {
            let mut terms = seogo_index::ContentTerms::default();
            for text in &stated {
                terms.extend(&col.lexical.content_terms(text));
            }
            Ok(evidence.question.coverage(&terms))
        })?;
        Ok(Some((checked, coverage)))
    }

    /// The extractive floor's answer, citation and coverage of the
    /// question: the best window verbatim, when it states at least
    /// `answer.extract_min_coverage` of the question's weight itself.
    fn extractive_floor(&self, evidence: &Evidence, lang: Lang) -> Option<(String, Citation, f32)> {
        let best: &Extract = evidence.best.as_ref()?;
        if best.coverage < self.config().answer.extract_min_coverage {
            return None;
        }
        let source = evidence.sources.get(best.source)?;
        let n = best.source + 1;
        let mut citation = verify::citation(n, &source.chunk, &best.text);
        let quote = |q: &String| q.chars().take(QUOTE_CHARS).collect::<String>();
        citation.quote = best.quotes.first().map(quote).unwrap_or_default();
        citation.more_quotes = best.quotes.iter().skip(1).map(quote).collect();
        let answer = format!("{} [{n}]:\n{}", extract_label(lang), best.text);
        Some((answer, citation, best.coverage))
    }
}

/// Source `n` as shown before the answer: its best unit as the quote.
fn preview(n: usize, source: &Source) -> Citation {
    let mut citation = verify::citation(n, &source.chunk, &source.quote);
    citation.quote = source.quote.chars().take(QUOTE_CHARS).collect();
    citation
}

/// See [`Answer::confidence`].
fn confidence(sentences: &[SentenceSupport], citations: &[Citation], ranks: &EngineRanks) -> f32 {
    if sentences.is_empty() {
        return 0.0;
    }
    let verified = sentences.iter().filter(|s| s.supported).count() as f32 / sentences.len() as f32;
    let found = |rank: Option<usize>| match rank {
        Some(r) if r <= 3 => 0.5,
        Some(r) if r <= 10 => 0.25,
        _ => 0.0,
    };
    let retrieval = citations
        .iter()
        .filter_map(|c| ranks.get(&c.chunk_id))
        .map(|&(bm25, dense)| found(bm25) + found(dense))
        .fold(0.0, f32::max);
    ((verified + retrieval) / 2.0 * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests;
