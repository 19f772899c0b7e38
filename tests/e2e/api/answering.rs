//! Answering through the API with a stand-in generator that always
//! declines (`NO_ANSWER`): what the model writes is fixed, while retrieval,
//! the evidence windows and the extractive floor are the real ones. The
//! sources stream before any token; a question the best window states is
//! answered with the document's own words, marked as an extract, on every
//! path (JSON, stream, OpenAI-compatible); a question no document answers
//! stays declined.

use std::time::Duration;

use serde_json::{json, Value};

use super::acl::{stand_in_config, stand_in_saying};
use super::endpoints::events;
use super::{config, fixture, Server};

#[test]
fn a_declining_model_gives_way_to_the_documents_own_words_only_where_they_answer() {
    let replay = stand_in_saying("NO_ANSWER", Duration::ZERO);
    let server = Server::start(&config("floor", "", &stand_in_config(&replay)));
    let key = fixture().public_key.as_str();

    let question = "냉각수 펌프의 진동 허용 한계는 얼마인가요?";
    let body = json!({"question": question, "stream": true});
    let (status, stream) = server.post("/v1/ask", Some(key), &body.to_string());
    assert_eq!(status, 200, "{stream}");
    let events = events(&stream);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"sources"), "{names:?}");
    assert!(
        names.iter().position(|n| *n == "token") > Some(0),
        "{names:?}"
    );
    let sources: Value = serde_json::from_str(&events[0].1).expect("sources json");
    let sources = sources["sources"].as_array().expect("sources");
    assert!(
        sources.iter().any(|s| s["section"]
            .as_str()
            .is_some_and(|x| x.contains("3.3 진동 측정"))
            && s["quote"].as_str().is_some_and(|q| !q.is_empty())
            && s["title"].as_str().is_some_and(|t| !t.is_empty())),
        "{sources:?}"
    );
    let (last, data) = events.last().expect("events");
    assert_eq!(last, "answer", "{stream}");
    let answer: Value = serde_json::from_str(data).expect("answer json");
    assert_eq!(answer["grounded"], json!(true), "{answer}");
    assert_eq!(answer["extractive"], json!(true), "{answer}");
    let text = answer["answer"].as_str().expect("text");
    assert!(text.starts_with("문서 발췌 [1]"), "{text}");
    assert!(text.contains("4.5 mm/s"), "{text}");
    let citation = &answer["citations"][0];
    assert!(
        citation["doc_id"]
            .as_str()
            .is_some_and(|d| d.ends_with("manufacturing-sop-pump.md")),
        "{answer}"
    );
    let source = std::fs::read_to_string(citation["doc_id"].as_str().expect("doc id"))
        .expect("the cited file");
    let quote = citation["quote"].as_str().expect("quote");
    assert!(source.contains(quote), "quote not verbatim: {quote}");

    // The OpenAI-compatible path carries the same extract.
    let chat = json!({"model": "seogo", "messages": [{"role": "user", "content": question}]});
    let (status, body) = server.post("/v1/chat/completions", Some(key), &chat.to_string());
    assert_eq!(status, 200, "{body}");
    let reply: Value = serde_json::from_str(&body).expect("json");
    let content = reply["choices"][0]["message"]["content"]
        .as_str()
        .expect("content");
    assert!(content.starts_with("문서 발췌"), "{content}");

    // Nothing in the documents: still declined, with nothing cited.
    for question in [
        "화성 탐사 기지의 산소 발생기 필터 교체 주기는 얼마인가요?",
        "What is the CEO's salary at Cedar Ridge Instruments?",
    ] {
        let body = json!({"question": question});
        let (status, body) = server.post("/v1/ask", Some(key), &body.to_string());
        assert_eq!(status, 200, "{body}");
        let answer: Value = serde_json::from_str(&body).expect("json");
        assert_eq!(answer["grounded"], json!(false), "{question}: {answer}");
        assert!(answer.get("extractive").is_none(), "{answer}");
        assert!(
            answer["citations"].as_array().is_some_and(|c| c.is_empty()),
            "{answer}"
        );
    }
}
