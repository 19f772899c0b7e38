//! `seogo serve` as an IT department meets it: real server on loopback,
//! real indexes and models, API keys and OIDC tokens, every endpoint.
//! `fixture()` builds the data once: the demo corpus, a restricted HR note,
//! and a collection of documents with random group sets for the ACL
//! property test.

pub(crate) mod acl;
mod answering;
mod audit;
mod auth;
mod backup;
mod batch;
pub(crate) mod documents;
mod endpoints;
mod hostile;
mod keys;
pub(crate) mod operator;
mod playground;
mod races;
mod reindex;
mod shutdown;
mod sources;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use seogo_tests::{copy_tree, demo_corpus, run, seogo, stderr, stdout};

/// A running `seogo serve` on its own copy of the fixture's data (one
/// server per data directory, as in production: the indexes take a writer
/// lock), stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub addr: String,
    /// Its data directory (audit log, keys, collections).
    pub data: PathBuf,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Serves a copy of the fixture's data with `config` (a seogo.toml) on
    /// a free port.
    pub fn start(config: &Path) -> Server {
        let copy = tempfile::tempdir().expect("tempdir");
        copy_tree(&fixture().dir.join("data"), copy.path());
        Self::serve(copy, config)
    }

    /// Serves the data directory in `copy` (removed when the server is
    /// dropped) with `config`.
    pub fn serve(copy: tempfile::TempDir, config: &Path) -> Server {
        let (child, addr) =
            seogo_tests::spawn_serve(seogo(copy.path()).arg("--config").arg(config));
        Server {
            child,
            base: format!("http://{addr}"),
            addr,
            data: copy.path().to_path_buf(),
            _data: copy,
        }
    }

    /// Sends SIGTERM, as `docker stop` and systemd do.
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit.
    pub fn exited_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        seogo_tests::poll(limit, Duration::from_millis(100), || {
            self.child.try_wait().ok().flatten()
        })
    }

    pub fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .build()
            .into()
    }

    /// (status, body) of a request with an optional bearer credential.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&str>,
    ) -> (u16, String) {
        let agent = Self::agent();
        let url = format!("{}{path}", self.base);
        let auth = bearer.map(|b| format!("Bearer {b}"));
        let result = match (method, body) {
            ("GET", _) => {
                let mut req = agent.get(&url);
                if let Some(a) = &auth {
                    req = req.header("authorization", a);
                }
                req.call()
            }
            (_, body) => {
                let mut req = agent.post(&url).content_type("application/json");
                if let Some(a) = &auth {
                    req = req.header("authorization", a);
                }
                req.send(body.unwrap_or(""))
            }
        };
        let mut response = result.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .expect("body");
        (status, text)
    }

    /// (status, body) of a multipart/form-data POST of `parts` as `key`.
    pub fn post_form(
        &self,
        path: &str,
        key: &str,
        parts: &[(&str, Option<&str>, &[u8])],
    ) -> (u16, String) {
        let (content_type, body) = multipart(parts);
        let mut response = Self::agent()
            .post(&format!("{}{path}", self.base))
            .header("authorization", &format!("Bearer {key}"))
            .content_type(&content_type)
            .send(&body[..])
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = response.status().as_u16();
        (status, response.body_mut().read_to_string().expect("body"))
    }

    pub fn post(&self, path: &str, bearer: Option<&str>, body: &str) -> (u16, String) {
        self.call("POST", path, bearer, Some(body))
    }

    pub fn get(&self, path: &str, bearer: Option<&str>) -> (u16, String) {
        self.call("GET", path, bearer, None)
    }
}

/// Runs `script` with the official `openai` Python package
/// (`SEOGO_PYTHON`: scripts/test.sh installs it) and `args`, and reads the
/// JSON it prints.
/// A multipart/form-data body: (field, file name, bytes) parts.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "seogo-test-boundary-7f3a";
    let mut body = Vec::new();
    for (field, file, bytes) in parts {
        body.extend(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(name) => body.extend(
                format!("Content-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend(format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n").as_bytes()),
        }
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A response body as JSON (the body in the panic when it is not).
pub fn parse(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

pub fn openai_client(script: &str, args: &[&str]) -> serde_json::Value {
    let python = std::env::var("SEOGO_PYTHON")
        .expect("SEOGO_PYTHON is not set: scripts/test.sh installs the openai package and sets it");
    let out = run(std::process::Command::new(&python)
        .args(["-c", script])
        .args(args));
    assert!(
        out.status.success(),
        "openai client failed: {}",
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout).expect("the client's JSON")
}

/// The groups documents of the `acl` collection may carry.
pub const GROUPS: [&str; 4] = ["g1", "g2", "g3", "g4"];

/// One document of the ACL collection: its marker word and its groups
/// (empty = public).
pub struct AclDoc {
    pub marker: String,
    pub groups: Vec<String>,
    /// Its document id (the canonical path it was ingested from).
    pub id: String,
}

pub struct Fixture {
    /// Sources, configs and the JWKS; the indexed data is in `data/`.
    pub dir: PathBuf,
    pub acl_docs: Vec<AclDoc>,
    /// Key with no groups (public documents only).
    pub public_key: String,
    /// Key in group `hr`.
    pub hr_key: String,
    /// Key limited to collection `acl`, groups g1.
    pub acl_only_key: String,
    pub admin_key: String,
    /// Ingest role, group g1.
    pub ingest_key: String,
    /// Keys with random group sets, for the property test.
    pub callers: Vec<(String, Vec<String>)>,
    pub oidc: auth::Issuer,
}

/// Raises its flag when dropped. A test whose background callers in a
/// thread scope loop until a flag is up holds one while it asserts: a
/// failed assertion then stops them and fails the test, where otherwise
/// the scope would wait for them forever and the test would hang (as one
/// did in CI when an assertion failed under load).
pub struct RaiseOnDrop<'a>(pub &'a AtomicBool);

impl Drop for RaiseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A small deterministic generator (the property test must be
/// reproducible).
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    pub fn subset(&mut self, of: &[&str]) -> Vec<String> {
        of.iter()
            .filter(|_| self.next().is_multiple_of(3))
            .map(|g| g.to_string())
            .collect()
    }
}

fn create_key(dir: &Path, name: &str, extra: &[&str]) -> String {
    let out = run(seogo(dir)
        .args(["keys", "create", "--name", name])
        .args(extra));
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_string()
}

fn ingest(dir: &Path, path: &Path, extra: &[&str]) {
    let out = run(seogo(dir).arg("ingest").arg(path).args(extra));
    assert!(out.status.success(), "{}", stderr(&out));
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let data = dir.join("data");
        ingest(&data, &demo_corpus(), &[]);
        let secret = dir.join("secret.md");
        std::fs::write(
            &secret,
            "# 인사 기밀\n\n임원 보상 한도는 기밀 등급 A로 관리한다. 담당자 주민등록번호는 기록하지 않는다.\n",
        )
        .expect("write");
        ingest(&data, &secret, &["--acl", "hr"]);

        // Documents sharing one body (every query finds many of them), each
        // with its own marker and a random group set; one folder per set.
        let mut rng = Lcg(7);
        let mut acl_docs = Vec::new();
        let mut folders: std::collections::BTreeMap<Vec<String>, Vec<(usize, String)>> =
            Default::default();
        for i in 0..16 {
            let groups = if i % 5 == 0 { Vec::new() } else { rng.subset(&GROUPS) };
            let marker = format!("MARKER{i:02}Q");
            folders.entry(groups.clone()).or_default().push((
                i,
                format!(
                    "# 설비 점검 기록 {marker}\n\n설비 점검 기록 공통 본문입니다. 냉각수 펌프 베어링 온도와 진동을 점검했다. 고유 표식 {marker} 는 이 문서에만 있다.\n"
                ),
            ));
            acl_docs.push(AclDoc {
                marker,
                groups,
                id: String::new(),
            });
        }
        for (n, (groups, docs)) in folders.iter().enumerate() {
            let folder = dir.join(format!("acl-src/set{n}"));
            std::fs::create_dir_all(&folder).expect("mkdir");
            for (i, text) in docs {
                let file = folder.join(format!("doc{i}.md"));
                std::fs::write(&file, text).expect("write");
                acl_docs[*i].id = std::fs::canonicalize(&file)
                    .expect("canonical")
                    .to_string_lossy()
                    .into_owned();
            }
            let mut args = vec!["--collection", "acl"];
            if !groups.is_empty() {
                args.push("--acl");
                args.extend(groups.iter().map(String::as_str));
            }
            ingest(&data, &folder, &args);
        }

        let public_key = create_key(&data, "public", &[]);
        let hr_key = create_key(&data, "hr", &["--groups", "hr"]);
        let acl_only_key = create_key(&data, "acl-only", &["--collections", "acl", "--groups", "g1"]);
        let admin_key = create_key(&data, "admin", &["--role", "admin"]);
        let ingest_key = create_key(&data, "crawler", &["--role", "ingest", "--groups", "g1"]);
        let callers = (0..8)
            .map(|i| {
                let groups = rng.subset(&GROUPS);
                let joined = groups.join(",");
                let mut extra = vec![];
                if !groups.is_empty() {
                    extra = vec!["--groups", joined.as_str()];
                }
                (create_key(&data, &format!("caller{i}"), &extra), groups)
            })
            .collect();
        let oidc = auth::Issuer::new(&dir);
        Fixture {
            dir,
            acl_docs,
            public_key,
            hr_key,
            acl_only_key,
            admin_key,
            ingest_key,
            callers,
            oidc,
        }
    })
}

/// A config file in the fixture's directory: the OIDC section, then
/// `extra` (more `[server]` keys and sections).
pub fn config(name: &str, server_keys: &str, extra: &str) -> PathBuf {
    config_with_jwks(name, server_keys, extra, &fixture().oidc.jwks)
}

/// [`config`] with the provider's keys read from `jwks`.
pub fn config_with_jwks(name: &str, server_keys: &str, extra: &str, jwks: &Path) -> PathBuf {
    let path = fixture().dir.join(format!("{name}.toml"));
    let text = format!(
        "[server]\n{server_keys}\n[server.oidc]\nissuer = \"{}\"\naudience = \"{}\"\njwks_file = \"{}\"\nadmin_groups = [\"it-admins\"]\n\n{extra}",
        auth::ISSUER,
        auth::AUDIENCE,
        jwks.display()
    );
    std::fs::write(&path, text).expect("config");
    path
}
