//! The search playground's "as a group": an admin searches as some of its
//! own groups and sees what a member of just those finds; it cannot name
//! a group it does not hold, and a query key cannot narrow at all.

use serde_json::{json, Value};

use super::{config, fixture, Server};
use seogo_tests::{run, seogo, stderr, stdout};

fn found_hr_note(server: &Server, key: &str, as_groups: Option<&[&str]>) -> (u16, bool) {
    let mut body = json!({"query": "임원 보상 한도", "mode": "bm25", "k": 5});
    if let Some(groups) = as_groups {
        body["as_groups"] = json!(groups);
    }
    let (status, text) = server.post("/v1/search", Some(key), &body.to_string());
    let found = status == 200 && {
        let results: Value = serde_json::from_str(&text).expect("json");
        results["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|r| r["chunk"]["acl"] == json!(["hr"]))
    };
    (status, found)
}

#[test]
fn an_admin_searches_as_its_own_groups_and_never_beyond_them() {
    let f = fixture();
    let server = Server::start(&config("playground", "", ""));
    // An HR administrator, made on the server as an operator would.
    let out = run(seogo(&server.data).args([
        "keys",
        "create",
        "--name",
        "hr-admin",
        "--role",
        "admin",
        "--groups",
        "hr,finance",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let hr_admin = stdout(&out).trim().to_string();

    assert_eq!(found_hr_note(&server, &hr_admin, None), (200, true));
    assert_eq!(
        found_hr_note(&server, &hr_admin, Some(&["hr"])),
        (200, true)
    );
    assert_eq!(
        found_hr_note(&server, &hr_admin, Some(&["finance"])),
        (200, false),
        "as finance alone, the HR note is out of reach"
    );
    assert_eq!(found_hr_note(&server, &hr_admin, Some(&[])), (200, false));
    // Not a group it holds; not an admin.
    assert_eq!(found_hr_note(&server, &f.admin_key, Some(&["hr"])).0, 403);
    assert_eq!(found_hr_note(&server, &f.hr_key, Some(&["hr"])).0, 403);
    assert_eq!(found_hr_note(&server, &f.hr_key, None), (200, true));
}
