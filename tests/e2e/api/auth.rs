//! Authentication: API keys and OIDC bearer tokens (ES256, a JWKS written
//! by the test), refused with 401/403 when missing, wrong, expired, for
//! another audience or issuer, tampered, or outside the key's collections;
//! the per-caller rate limit.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};

use super::{config, config_with_jwks, fixture, Server};

pub const ISSUER: &str = "https://sso.example.test/realms/plant";
pub const AUDIENCE: &str = "seogo";

/// A test identity provider: an ES256 key, its JWKS on disk.
pub struct Issuer {
    pkcs8: Vec<u8>,
    kid: String,
    pub jwks: PathBuf,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

impl Issuer {
    pub fn new(dir: &Path) -> Self {
        Self::publishing(&dir.join("jwks.json"), "test-1")
    }

    /// A new key `kid`, published alone in the JWKS at `jwks`.
    fn publishing(jwks: &Path, kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("key")
            .as_ref()
            .to_vec();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).expect("pair");
        let point = pair.public_key().as_ref();
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": b64(&point[1..33]), "y": b64(&point[33..65]),
        });
        std::fs::write(jwks, json!({ "keys": [jwk] }).to_string()).expect("jwks");
        Issuer {
            pkcs8,
            kid: kid.to_string(),
            jwks: jwks.to_path_buf(),
        }
    }

    /// A token for `sub` in `groups`, with `change` applied to the claims.
    pub fn token(&self, groups: &[&str], change: impl FnOnce(&mut Value)) -> String {
        self.token_with_kid(&self.kid, groups, change)
    }

    fn token_with_kid(
        &self,
        kid: &str,
        groups: &[&str],
        change: impl FnOnce(&mut Value),
    ) -> String {
        let mut claims = json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "kim.minji",
            "exp": now() + 600, "iat": now(), "groups": groups,
        });
        change(&mut claims);
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(&self.pkcs8))
            .expect("sign")
    }
}

const SECRET_QUERY: &str = r#"{"query":"임원 보상 한도 기밀","mode":"bm25","k":5}"#;

#[test]
fn credentials_are_required_and_checked() {
    let f = fixture();
    let server = Server::start(&config("auth", "", ""));
    let issuer = &f.oidc;

    // No credentials, garbage, a wrong key: 401 with a stable code.
    for bearer in [
        None,
        Some("nonsense"),
        Some("sgo_00000000_00000000000000000000000000000000"),
    ] {
        let (status, body) = server.post("/v1/search", bearer, SECRET_QUERY);
        assert_eq!(status, 401, "{bearer:?}: {body}");
        assert!(body.contains("\"unauthorized\""), "{body}");
    }

    // A valid token in group hr reads the HR note; the public key does not.
    let hr_token = issuer.token(&["hr"], |_| {});
    let (status, body) = server.post("/v1/search", Some(&hr_token), SECRET_QUERY);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("secret.md"), "{body}");
    let (status, body) = server.post("/v1/search", Some(&f.public_key), SECRET_QUERY);
    assert_eq!(status, 200, "{body}");
    assert!(!body.contains("secret.md"), "{body}");
    let (status, body) = server.post("/v1/search", Some(&f.hr_key), SECRET_QUERY);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("secret.md"), "{body}");

    let expired = issuer.token(&["hr"], |c| c["exp"] = json!(now() - 3600));
    let wrong_audience = issuer.token(&["hr"], |c| c["aud"] = json!("another-app"));
    let wrong_issuer = issuer.token(&["hr"], |c| c["iss"] = json!("https://evil.example"));
    let not_yet = issuer.token(&["hr"], |c| c["nbf"] = json!(now() + 3600));
    // The payload swapped for one naming more groups, signature kept.
    let parts: Vec<&str> = hr_token.split('.').collect();
    let forged_claims = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": "kim.minji", "exp": now() + 600, "groups": ["hr", "it-admins"]});
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(forged_claims.to_string().as_bytes()),
        parts[2]
    );
    // Signed by a key the server does not know, under the same kid.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let stranger = Issuer::new(elsewhere.path());
    let foreign = stranger.token(&["hr"], |_| {});
    // alg "none".
    let unsigned = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(forged_claims.to_string().as_bytes())
    );
    for (what, token) in [
        ("expired", &expired),
        ("wrong audience", &wrong_audience),
        ("wrong issuer", &wrong_issuer),
        ("not yet valid", &not_yet),
        ("tampered", &tampered),
        ("foreign key", &foreign),
        ("unsigned", &unsigned),
    ] {
        let (status, body) = server.post("/v1/search", Some(token), SECRET_QUERY);
        assert_eq!(status, 401, "{what}: {body}");
        assert!(!body.contains("secret.md"), "{what}: {body}");
    }

    // A key scoped to collection `acl` cannot read `default`.
    let (status, body) = server.post("/v1/search", Some(&f.acl_only_key), SECRET_QUERY);
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("collection_forbidden"), "{body}");
    let (status, body) = server.post(
        "/v1/search",
        Some(&f.acl_only_key),
        r#"{"query":"설비 점검 기록","collection":"acl","mode":"bm25"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = server.get("/v1/models", Some(&f.acl_only_key));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("seogo/acl") && !body.contains("seogo/default"),
        "{body}"
    );

    let (_, metrics) = server.get("/metrics", None);
    let failures: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("seogo_auth_failures_total "))
        .and_then(|n| n.parse().ok())
        .expect("auth failure counter");
    assert!(failures >= 10, "{failures} auth failures counted");
}

#[test]
fn a_revoked_key_is_refused_without_a_restart() {
    let f = fixture();
    let server = Server::start(&config("revoke", "", ""));
    let query = r#"{"query":"펌프","mode":"bm25","k":1}"#;
    let (status, body) = server.post("/v1/search", Some(&f.ingest_key), query);
    assert_eq!(status, 200, "{body}");
    let id = f.ingest_key.split('_').nth(1).expect("key id");
    let out = seogo_tests::run(seogo_tests::seogo(&server.data).args(["keys", "revoke", id]));
    assert!(out.status.success(), "{}", seogo_tests::stderr(&out));
    let (status, body) = server.post("/v1/search", Some(&f.ingest_key), query);
    assert_eq!(status, 401, "{body}");
    // Other keys are unaffected.
    let (status, body) = server.post("/v1/search", Some(&f.public_key), query);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_caller_over_its_rate_is_told_to_wait() {
    let f = fixture();
    let server = Server::start(&config("rate", "requests_per_minute = 5", ""));
    let query = r#"{"query":"펌프","mode":"bm25","k":1}"#;
    for i in 0..5 {
        let (status, body) = server.post("/v1/search", Some(&f.public_key), query);
        assert_eq!(status, 200, "request {i}: {body}");
    }
    let (status, body) = server.post("/v1/search", Some(&f.public_key), query);
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("rate_limited"), "{body}");
    // Another caller has its own allowance.
    let (status, body) = server.post("/v1/search", Some(&f.hr_key), query);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn a_rotated_provider_key_is_fetched_when_a_token_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jwks = dir.path().join("jwks.json");
    let old = Issuer::publishing(&jwks, "old-1");
    let server = Server::start(&config_with_jwks("rotate", "", "", &jwks));
    let query = r#"{"query":"펌프","mode":"bm25","k":1}"#;
    let (status, body) = server.post("/v1/search", Some(&old.token(&[], |_| {})), query);
    assert_eq!(status, 200, "{body}");

    // The provider replaces its key; the server has never seen the new one.
    let new = Issuer::publishing(&jwks, "new-1");
    let (status, body) = server.post("/v1/search", Some(&new.token(&[], |_| {})), query);
    assert_eq!(status, 200, "the new key was not fetched: {body}");
    // The JWKS was replaced, not merged: the withdrawn key no longer works.
    let (status, body) = server.post("/v1/search", Some(&old.token(&[], |_| {})), query);
    assert_eq!(status, 401, "a withdrawn key still works: {body}");
    // A kid nobody published is refused (and does not trigger a fetch storm).
    let forged = new.token_with_kid("forged-9", &[], |_| {});
    let (status, body) = server.post("/v1/search", Some(&forged), query);
    assert_eq!(status, 401, "{body}");
}

/// The official `openai` package against a server with no keys and no
/// OIDC: a dummy key (the package will not send a request without one) is
/// ignored rather than refused.
const DUMMY_KEY_CLIENT: &str = r#"
import json, sys
from openai import OpenAI
client = OpenAI(base_url=sys.argv[1] + "/v1", api_key="sk-dummy", max_retries=0, timeout=600)
models = [m.id for m in client.models.list()]
reply = client.chat.completions.create(model="seogo", messages=[{"role": "user", "content": "냉각수 펌프 점검 주기는?"}])
print(json.dumps({"models": models, "text": reply.choices[0].message.content}))
"#;

#[test]
fn a_server_without_authentication_ignores_the_bearer_tokens_standard_clients_send() {
    let replay = super::acl::stand_in_generator(std::time::Duration::ZERO);
    let copy = tempfile::tempdir().expect("tempdir");
    seogo_tests::copy_tree(&fixture().dir.join("data"), copy.path());
    std::fs::remove_file(copy.path().join("api-keys.json")).expect("the fixture's keys");
    let config = fixture().dir.join("no-auth.toml");
    std::fs::write(&config, super::acl::stand_in_config(&replay)).expect("config");
    let server = Server::serve(copy, &config);

    // Any bearer value is the anonymous caller: public documents only.
    for bearer in [None, Some("sk-dummy"), Some("sgo_00000000_0000")] {
        let (status, body) = server.post("/v1/search", bearer, SECRET_QUERY);
        assert_eq!(status, 200, "{bearer:?}: {body}");
        assert!(!body.contains("secret.md"), "{bearer:?}: {body}");
    }
    let seen = super::openai_client(DUMMY_KEY_CLIENT, &[&server.base]);
    assert!(
        seen["models"]
            .as_array()
            .is_some_and(|m| m.contains(&json!("seogo"))),
        "{seen}"
    );
    assert!(
        seen["text"].as_str().is_some_and(|t| !t.is_empty()),
        "{seen}"
    );
}
