//! Follow-ups rewritten into standalone questions: "그럼 2022년은?" after a
//! question about 2023 sales is retrieved and answered as "삼성전자의
//! 2022년 매출액은 얼마인가요?". The model writes the rewrite (two worked
//! examples show a small model the task); a rewrite that loses what the
//! follow-up names is not trusted.

use seogo_models::{GenerationParams, Generator};
use seogo_types::{ChatMessage, Role};

use crate::EngineError;

/// Turns of history the rewrite sees (the latest ones).
const HISTORY_TURNS: usize = 6;

const REWRITE_PROMPT: &str = "You rewrite a follow-up question as one standalone question that can be understood without the conversation: carry over the subject, names, codes and time periods it refers to. Do not answer it. Keep its language. Output only the standalone question.";

/// Worked examples for the rewrite (conversation, standalone question):
/// one follow-up changes the period, one the thing asked about.
const REWRITE_EXAMPLES: [(&str, &str); 2] = [
    (
        "Conversation:\nUser: 삼성전자의 2023년 매출액은 얼마인가요?\nAssistant: 258조 9,355억원입니다. [1]\nFollow-up: 그럼 2022년은?\nStandalone question:",
        "삼성전자의 2022년 매출액은 얼마인가요?",
    ),
    (
        "Conversation:\nUser: 보일러 B-7 안전밸브의 시험 압력은 얼마인가요?\nAssistant: 시험 압력은 0.95 MPa입니다. [1]\nFollow-up: 교체 기준은요?\nStandalone question:",
        "보일러 B-7 안전밸브의 교체 기준은 무엇인가요?",
    ),
];

/// The last question rewritten, by the model, to stand on its own (one
/// worked example shows a small model the task). A rewrite that is empty,
/// rambling or merely repeats an earlier turn is not trusted: the previous
/// question and the follow-up together stand in for it.
pub(super) fn standalone_question(
    generator: &dyn Generator,
    history: &[ChatMessage],
    question: &str,
) -> Result<String, EngineError> {
    let start = history.len().saturating_sub(HISTORY_TURNS);
    let recent = &history[start..];
    let mut conversation = String::from("Conversation:\n");
    for turn in recent {
        let who = match turn.role {
            Role::User => "User",
            Role::Assistant => "Assistant",
            Role::System => continue,
        };
        let content: String = turn.content.chars().take(600).collect();
        conversation.push_str(&format!("{who}: {content}\n"));
    }
    conversation.push_str(&format!("Follow-up: {question}\nStandalone question:"));
    let turn = |role, content: &str| ChatMessage {
        role,
        content: content.to_string(),
    };
    let mut messages = vec![turn(Role::System, REWRITE_PROMPT)];
    for (example, answer) in REWRITE_EXAMPLES {
        messages.push(turn(Role::User, example));
        messages.push(turn(Role::Assistant, answer));
    }
    messages.push(turn(Role::User, &conversation));
    let params = GenerationParams {
        max_tokens: 64,
        stop: vec!["\n".into()],
        ..GenerationParams::default()
    };
    let rewritten = generator.generate(&messages, &params, &mut |_| {})?.text;
    let rewritten = rewritten
        .trim()
        .trim_start_matches("Standalone question:")
        .trim()
        .trim_matches('"')
        .to_string();
    let repeats_a_turn = recent
        .iter()
        .any(|t| t.content.trim() == rewritten || t.content.contains(&rewritten));
    let sane = !rewritten.is_empty()
        && !repeats_a_turn
        && rewritten.chars().count() <= question.chars().count() * 4 + 80
        && keeps_content_words(question, &rewritten);
    if sane {
        return Ok(rewritten);
    }
    let previous = recent
        .iter()
        .rev()
        .find(|t| t.role == Role::User)
        .map_or("", |t| t.content.as_str());
    Ok(format!("{previous} {question}").trim().to_string())
}

/// Words that carry a follow-up along but name nothing.
const DISCOURSE_WORDS: &[&str] = &[
    "그럼",
    "그러면",
    "그리고",
    "또",
    "또는",
    "그건",
    "그거",
    "이건",
    "저건",
    "그때",
    "and",
    "then",
    "what",
    "about",
    "how",
    "so",
    "the",
    "a",
    "is",
    "are",
];
/// Endings cut off a follow-up's words before looking for them.
const ENDINGS: &[&str] = &[
    "은요", "는요", "이요", "요", "은", "는", "이", "가", "을", "를", "도",
];

/// Whether every word the follow-up names (its subject: "정밀", "점검",
/// "2022년") starts a word of the rewrite. A small model likes to hand
/// back the previous question unchanged, which would answer the wrong
/// thing.
pub(super) fn keeps_content_words(follow_up: &str, rewritten: &str) -> bool {
    let rewritten_words: Vec<String> = rewritten
        .split_whitespace()
        .map(|w| w.to_lowercase())
        .collect();
    follow_up
        .split(|c: char| c.is_whitespace() || c.is_ascii_punctuation() || c == '？')
        .map(|w| w.to_lowercase())
        .filter(|w| !w.is_empty() && !DISCOURSE_WORDS.contains(&w.as_str()))
        .map(|w| {
            let cut = ENDINGS
                .iter()
                .find_map(|e| w.strip_suffix(e).filter(|s| s.chars().count() >= 2));
            cut.map_or(w.clone(), str::to_string)
        })
        .filter(|w| w.chars().count() >= 2)
        .all(|w| rewritten_words.iter().any(|r| r.starts_with(&w)))
}
