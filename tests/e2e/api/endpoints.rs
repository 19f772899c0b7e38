//! Every endpoint on the real path: the local model answers, streamed as
//! server-sent events; the OpenAI-compatible endpoint read by the official
//! `openai` Python package (`SEOGO_PYTHON`: a Python with it installed, as
//! scripts/test.sh sets up); probes, metrics and the audit log.

use serde_json::{json, Value};

use super::{config, fixture, openai_client, Server};

/// The events of a server-sent event stream, as (name, data).
pub(super) fn events(stream: &str) -> Vec<(String, String)> {
    stream
        .split("\n\n")
        .filter_map(|block| {
            let mut name = "message".to_string();
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = n.trim().to_string();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.trim_start().to_string());
                }
            }
            (!data.is_empty()).then(|| (name, data.join("\n")))
        })
        .collect()
}

const CLIENT: &str = r#"
import json, sys
from openai import OpenAI
base, key = sys.argv[1], sys.argv[2]
client = OpenAI(base_url=base + "/v1", api_key=key, max_retries=0, timeout=600)
models = [m.id for m in client.models.list()]
question = [{"role": "user", "content": "What does error code E-2051 mean?"}]
pieces, extension = [], None
for chunk in client.chat.completions.create(model="seogo", messages=question, stream=True):
    for choice in chunk.choices:
        if choice.delta.content:
            pieces.append(choice.delta.content)
    extra = chunk.model_extra or {}
    if "seogo" in extra:
        extension = extra["seogo"]
whole = client.chat.completions.create(model="seogo", messages=question)
print(json.dumps({
    "models": models,
    "streamed": "".join(pieces),
    "pieces": len(pieces),
    "stream_extension": extension,
    "text": whole.choices[0].message.content,
    "extension": (whole.model_extra or {}).get("seogo"),
    "usage": whole.usage.total_tokens,
}))
"#;

#[test]
fn every_endpoint_on_the_real_path() {
    let f = fixture();
    let server = Server::start(&config("endpoints", "", ""));
    let key = f.public_key.as_str();

    let (status, body) = server.get("/healthz", None);
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.get("/readyz", None);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ready\""), "{body}");

    let (status, body) = server.get("/v1/collections", Some(key));
    assert_eq!(status, 200, "{body}");
    let listed: Value = serde_json::from_str(&body).expect("json");
    let names: Vec<&str> = listed["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        names.contains(&"default") && names.contains(&"acl"),
        "{body}"
    );
    // Each embedded collection says what it takes on disk.
    assert!(
        listed["collections"]
            .as_array()
            .expect("collections")
            .iter()
            .all(|c| c["disk_bytes"].as_u64().is_some_and(|b| b > 10_000)),
        "{body}"
    );
    assert!(
        body.contains("multilingual-e5-small"),
        "embedder shown: {body}"
    );
    let default = listed["collections"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == "default"))
        .expect("default listed");
    assert!(default["analyzer"].is_string(), "{default}");
    let per_domain: u64 = default["domains"]
        .as_object()
        .expect("documents per domain")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(Some(per_domain), default["documents"].as_u64(), "{default}");
    assert!(default["domains"].get("unrecorded").is_none(), "{default}");

    // A streamed answer: tokens as they come, then the verified answer.
    let question = json!({"question": "한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는 얼마인가요?", "stream": true});
    let (status, stream) = server.post("/v1/ask", Some(key), &question.to_string());
    assert_eq!(status, 200, "{stream}");
    let events = events(&stream);
    let tokens = events.iter().filter(|(n, _)| n == "token").count();
    assert!(tokens >= 2, "tokens were not streamed: {stream}");
    let (last, data) = events.last().expect("events");
    assert_eq!(last, "answer", "{stream}");
    let answer: Value = serde_json::from_str(data).expect("answer json");
    assert_eq!(answer["grounded"], json!(true), "{data}");
    assert!(
        answer["answer"].as_str().is_some_and(|a| a.contains("500")),
        "{data}"
    );
    let citations = answer["citations"].as_array().expect("citations");
    assert!(
        citations.iter().any(|c| c["doc_id"]
            .as_str()
            .is_some_and(|d| d.ends_with("manufacturing-sop-pump.md"))
            && c["quote"].as_str().is_some_and(|q| q.contains("500"))),
        "{data}"
    );
    assert!(answer["conversation_id"].is_string(), "{data}");

    // The OpenAI-compatible endpoint through the official client.
    let seen = openai_client(CLIENT, &[&server.base, key]);
    assert!(
        seen["models"]
            .as_array()
            .is_some_and(|m| m.contains(&json!("seogo"))),
        "{seen}"
    );
    for text in [&seen["streamed"], &seen["text"]] {
        let text = text.as_str().expect("text").to_lowercase();
        assert!(text.contains("leak"), "{seen}");
        // Footnotes name the source and quote it.
        assert!(text.contains("[1]") && text.contains("e-2051"), "{seen}");
    }
    assert!(seen["pieces"].as_u64().is_some_and(|n| n > 1), "{seen}");
    for ext in [&seen["extension"], &seen["stream_extension"]] {
        assert_eq!(ext["grounded"], json!(true), "{seen}");
        assert!(
            ext["citations"].as_array().is_some_and(|c| !c.is_empty()),
            "{seen}"
        );
    }
    assert!(seen["usage"].as_u64().is_some_and(|n| n > 0), "{seen}");

    // Metrics count what happened; the audit log recorded who asked what.
    let (status, metrics) = server.get("/metrics", None);
    assert_eq!(status, 200);
    let value = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    assert!(value("seogo_answers_total ") >= 3.0, "{metrics}");
    assert!(value("seogo_completion_tokens_total ") > 0.0, "{metrics}");
    assert!(
        value("seogo_index_chunks{collection=\"default\"} ") > 0.0,
        "{metrics}"
    );
    assert!(
        metrics.contains("seogo_http_requests_total{method=\"POST\",route=\"/v1/chat/completions\",status=\"200\"}"),
        "{metrics}"
    );
    let audit = std::fs::read_to_string(server.data.join("audit/audit.log")).expect("audit log");
    let key_id = key.split('_').nth(1).expect("key id");
    let line = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| {
            l["who"] == json!(format!("key:{key_id}"))
                && l["route"] == json!("/v1/ask")
                && l["question"]
                    .as_str()
                    .is_some_and(|q| q.contains("냉각수 펌프"))
        })
        .expect("the streamed ask is in the audit log");
    assert!(
        line["cited"].as_array().is_some_and(|c| !c.is_empty()),
        "{line}"
    );
    assert!(
        line["retrieved"].as_array().is_some_and(|c| !c.is_empty()),
        "{line}"
    );
    assert!(line["model"].is_string(), "{line}");
    assert!(!audit.contains(key), "a secret key reached the audit log");
}
