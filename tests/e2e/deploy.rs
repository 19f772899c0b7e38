//! Deployment: the air-gapped bundle carried across and started with no
//! network, a tampered bundle refused, and the Docker files checked
//! against the real binary (the Docker engine does not run here: the
//! compose files are parsed, every Seogo setting they pass is fed to
//! `seogo config`, and hadolint lints the Dockerfiles).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use seogo_tests::{models_dir, run, seogo_bin, stderr, stdout, workspace_root};
use serde_norway::Value;

fn seogo_at(dir: &Path, bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.current_dir(dir)
        .env_remove("SEOGO_CONFIG")
        .env_remove("SEOGO_DATA_DIR")
        .env_remove("SEOGO_MODELS_DIR")
        // Any attempt to reach a network fails at once.
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("HF_HUB_OFFLINE", "1")
        .env("RUST_LOG", "warn");
    cmd
}

#[test]
fn a_bundle_carried_across_the_gap_answers_the_demo_question_and_a_flipped_byte_is_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sender = tmp.path().join("sender");
    std::fs::create_dir_all(&sender).expect("mkdir");
    let bundle = sender.join("seogo.tar");
    let created = run(Command::new(seogo_bin())
        .current_dir(workspace_root())
        .arg("--models-dir")
        .arg(models_dir())
        .args(["bundle", "create", "--json"])
        .arg(&bundle));
    assert!(created.status.success(), "{}", stderr(&created));
    let summary: serde_json::Value = serde_json::from_str(&stdout(&created)).expect("summary");
    let published = summary["sha256"].as_str().expect("sha256").to_string();
    let sidecar = std::fs::read_to_string(sender.join("seogo.tar.sha256")).expect("sidecar");
    assert!(sidecar.starts_with(&published), "{sidecar}");

    // Carried across: a copy on the site's disk.
    let site = tmp.path().join("site");
    std::fs::create_dir_all(&site).expect("mkdir");
    let carried = site.join("seogo.tar");
    std::fs::copy(&bundle, &carried).expect("copy");
    let verified = run(Command::new(seogo_bin())
        .args(["bundle", "verify", "--sha256", &published])
        .arg(&carried));
    assert!(verified.status.success(), "{}", stderr(&verified));

    // One flipped byte in the configuration template's data.
    let tampered = site.join("tampered.tar");
    let mut bytes = std::fs::read(&carried).expect("read");
    let at = data_offset(&carried, "seogo/config/seogo.toml") + 10;
    bytes[at as usize] ^= 0x20;
    std::fs::write(&tampered, &bytes).expect("write");
    drop(bytes);
    let refused = run(Command::new(seogo_bin())
        .args(["bundle", "verify"])
        .arg(&tampered));
    assert!(!refused.status.success(), "a tampered bundle verified");
    assert!(
        stderr(&refused).contains("config/seogo.toml: SHA-256 differs"),
        "{}",
        stderr(&refused)
    );
    let opt = site.join("opt");
    let refused = run(Command::new(seogo_bin())
        .args(["bundle", "unpack", "--to"])
        .arg(&opt)
        .arg(&tampered));
    assert!(!refused.status.success());
    assert!(!opt.join("seogo").exists(), "a refused bundle was unpacked");
    std::fs::remove_file(&tampered).expect("rm");

    // The published number guards against a bundle replaced whole.
    let wrong = "0".repeat(64);
    let refused = run(Command::new(seogo_bin())
        .args(["bundle", "unpack", "--sha256", &wrong, "--to"])
        .arg(&opt)
        .arg(&carried));
    assert!(!refused.status.success());
    assert!(!opt.join("seogo").exists());

    let unpacked = run(Command::new(seogo_bin())
        .args(["bundle", "unpack", "--sha256", &published, "--to"])
        .arg(&opt)
        .arg(&carried));
    assert!(unpacked.status.success(), "{}", stderr(&unpacked));
    let root = opt.join("seogo");
    let bin = root.join("bin/seogo");
    let config = ["--config", "config/seogo.toml"];

    let verify_models = run(seogo_at(&root, &bin)
        .args(config)
        .args(["models", "verify"]));
    assert!(verify_models.status.success(), "{}", stderr(&verify_models));
    let ingest = run(seogo_at(&root, &bin)
        .args(config)
        .args(["ingest", "demo/corpus"]));
    assert!(ingest.status.success(), "{}", stderr(&ingest));
    let answer = run(seogo_at(&root, &bin).args(config).args([
        "ask",
        "한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는?",
        "--json",
    ]));
    assert!(answer.status.success(), "{}", stderr(&answer));
    let answer: serde_json::Value = serde_json::from_str(&stdout(&answer)).expect("answer");
    assert_eq!(answer["grounded"], true, "{answer}");
    let cited = answer["citations"][0]["doc_id"]
        .as_str()
        .unwrap_or_default();
    assert!(
        cited.starts_with(&root.join("demo/corpus").display().to_string()),
        "cited {cited}: {answer}"
    );
    assert!(root.join("widget/widget.js").exists());
}

/// Where `name`'s bytes start in the tar.
fn data_offset(bundle: &Path, name: &str) -> u64 {
    let mut archive = tar::Archive::new(std::fs::File::open(bundle).expect("open"));
    for entry in archive.entries().expect("entries") {
        let entry = entry.expect("entry");
        if entry.path().expect("path") == Path::new(name) {
            return entry.raw_file_position();
        }
    }
    panic!("{name} is not in the bundle")
}

/// A compose service's environment, defaults taken.
fn environment_of(service: &Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_mapping()
        .expect("environment")
        .iter()
        .map(|(k, v)| (text(k), text(v)))
        .collect()
}

/// A compose service's environment, and the configuration `seogo config`
/// prints with its `SEOGO__*` settings over the B200 config file.
fn settings_of(service: &Value) -> (BTreeMap<String, String>, serde_json::Value) {
    let environment = environment_of(service);
    let mut cmd = Command::new(seogo_bin());
    cmd.env_clear()
        .arg("--config")
        .arg(workspace_root().join("docker/seogo.b200.toml"))
        .arg("config");
    for (name, value) in environment.iter().filter(|(n, _)| n.starts_with("SEOGO__")) {
        cmd.env(name, value);
    }
    let printed = run(&mut cmd);
    assert!(printed.status.success(), "{}", stderr(&printed));
    let config = serde_json::from_str(&stdout(&printed)).expect("config");
    (environment, config)
}

fn compose(name: &str) -> Value {
    let path = workspace_root().join("docker").join(name);
    let text = std::fs::read_to_string(&path).expect("compose file");
    let mut value: Value =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // `<<: *anchor` merges, as Compose applies them.
    value
        .apply_merge()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    value
}

/// Compose's `${VAR:-default}` / `${VAR:?message}`, with the defaults
/// taken and required variables given `required`.
fn interpolate(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = start + rest[start..].find('}').expect("closing brace");
        let inner = &rest[start + 2..end];
        out.push_str(match inner.split_once(":-") {
            Some((_, default)) => default,
            None if inner.contains(":?") => "required",
            None => "",
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => interpolate(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

fn list(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|items| items.iter().map(text).collect())
        .unwrap_or_default()
}

/// The `SEOGO_*` variables clap reads (from `--help` of the commands).
fn flag_variables() -> Vec<String> {
    let mut found = Vec::new();
    for args in [&["--help"][..], &["serve", "--help"], &["health", "--help"]] {
        let help = run(Command::new(seogo_bin()).args(args));
        for piece in stdout(&help).split("[env: ").skip(1) {
            let name = piece.split(['=', ']']).next().unwrap_or_default();
            found.push(name.to_string());
        }
    }
    found
}

/// Checks one Seogo service: every setting it passes is one Seogo reads,
/// and `seogo config` accepts the lot.
fn check_seogo_service(service: &Value, stack: &Value) -> serde_json::Value {
    let environment = environment_of(service);
    let known = flag_variables();
    let config_file = list(&service["volumes"])
        .into_iter()
        .find_map(|v| {
            let (host, inside) = v.split_once(':')?;
            let inside = inside.trim_end_matches(":ro");
            (inside == environment["SEOGO_CONFIG"]).then(|| host.to_string())
        })
        .expect("the config file is mounted at SEOGO_CONFIG");
    let config_file = workspace_root().join("docker").join(config_file);
    assert!(config_file.exists(), "{}", config_file.display());
    let mut cmd = Command::new(seogo_bin());
    cmd.env_clear()
        .arg("--config")
        .arg(&config_file)
        .arg("config");
    for (name, value) in &environment {
        if name.starts_with("SEOGO__") {
            cmd.env(name, value);
        } else if name.starts_with("SEOGO_") && !known.contains(name) {
            // Passed through for a setting that names it (api_key_env).
            let config = std::fs::read_to_string(&config_file).expect("config");
            assert!(
                config.contains(&format!("\"{name}\"")),
                "{name} is neither a seogo flag variable ({known:?}) nor named by the config"
            );
        } else if !name.starts_with("SEOGO_") {
            assert_eq!(name, "RUST_LOG", "{name} is not Seogo's");
        }
    }
    let printed = run(&mut cmd);
    assert!(
        printed.status.success(),
        "seogo config refused the stack's settings: {}",
        stderr(&printed)
    );
    let config: serde_json::Value = serde_json::from_str(&stdout(&printed)).expect("config json");
    assert_eq!(
        config["server"]["audit"]["dir"],
        environment["SEOGO__SERVER__AUDIT__DIR"]
    );

    // Read-only root, no capabilities, healthcheck through the binary.
    assert_eq!(service["read_only"], Value::Bool(true));
    assert_eq!(list(&service["cap_drop"]), ["ALL"]);
    assert_eq!(
        list(&service["healthcheck"]["test"])[1..],
        ["/usr/local/bin/seogo", "health"]
    );
    let health = run(Command::new(seogo_bin()).args(["health", "--help"]));
    assert!(health.status.success());
    // Data, models and audit logs on named volumes declared by the stack.
    let volumes = list(&service["volumes"]);
    for (volume, inside) in [
        ("seogo-data", &environment["SEOGO_DATA_DIR"]),
        ("seogo-models", &environment["SEOGO_MODELS_DIR"]),
    ] {
        assert!(
            volumes
                .iter()
                .any(|v| v.starts_with(&format!("{volume}:{inside}"))),
            "{volume} is not mounted at {inside}: {volumes:?}"
        );
        assert!(stack["volumes"][volume].is_mapping(), "{volume} undeclared");
    }
    assert!(volumes
        .iter()
        .any(|v| v.starts_with("seogo-audit:/var/log/seogo")));
    assert!(environment["SEOGO__SERVER__AUDIT__DIR"].starts_with("/var/log/seogo"));
    let port = environment["SEOGO_BIND"]
        .rsplit(':')
        .next()
        .expect("port")
        .to_string();
    assert_eq!(list(&service["ports"]), [format!("8080:{port}")]);
    config
}

#[test]
fn the_b200_stack_wires_seogo_to_vllm_and_exposes_only_seogo() {
    let stack = compose("compose.yaml");
    let services = stack["services"].as_mapping().expect("services");
    let names: Vec<String> = services.keys().map(text).collect();
    assert_eq!(names, ["seogo", "vllm"]);
    let config = check_seogo_service(&stack["services"]["seogo"], &stack);

    let vllm = &stack["services"]["vllm"];
    assert!(vllm.get("ports").is_none(), "vLLM must not publish a port");
    assert_eq!(list(&vllm["networks"]), ["backend"]);
    assert_eq!(stack["networks"]["backend"]["internal"], Value::Bool(true));
    assert_eq!(text(&vllm["environment"]["HF_HUB_OFFLINE"]), "1");
    let device = &vllm["deploy"]["resources"]["reservations"]["devices"][0];
    assert_eq!(text(&device["driver"]), "nvidia");
    assert_eq!(list(&device["capabilities"]), ["gpu"]);
    assert!(list(&vllm["volumes"]).iter().all(|v| v.ends_with(":ro")));

    // Seogo's generator points at the vLLM service as vLLM is started.
    let args: BTreeMap<String, String> = list(&vllm["command"])
        .iter()
        .filter_map(|a| a.trim_start_matches("--").split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let generator = &config["generator"];
    assert_eq!(generator["kind"], "openai");
    assert_eq!(
        generator["base_url"],
        format!("http://vllm:{}/v1", args["port"])
    );
    assert_eq!(generator["model"], args["served-model-name"].as_str());
    assert_eq!(
        generator["context_length"].as_u64().map(|n| n.to_string()),
        Some(args["max-model-len"].clone())
    );
    assert_eq!(args["api-key"], "required");
    let key_variable = generator["api_key_env"].as_str().expect("api_key_env");
    assert_eq!(
        text(&stack["services"]["seogo"]["environment"][key_variable]),
        "required"
    );
}

#[test]
fn the_cpu_stack_is_seogo_alone_on_its_embedded_default() {
    let stack = compose("compose.cpu.yaml");
    let names: Vec<String> = stack["services"]
        .as_mapping()
        .expect("services")
        .keys()
        .map(text)
        .collect();
    assert_eq!(names, ["seogo"]);
    let config = check_seogo_service(&stack["services"]["seogo"], &stack);
    assert_eq!(config["generator"]["kind"], "local");
    assert_eq!(config["server"]["anonymous"], false);
}

#[test]
fn the_images_build_with_cis_command_and_pass_hadolint() {
    let root = workspace_root();
    let ci_build = std::fs::read_to_string(root.join("scripts/test.sh")).expect("test.sh");
    // `phase build bash scripts/build.sh`: the phase wrapper only times it.
    assert!(ci_build
        .lines()
        .any(|l| l.trim() == "phase build bash scripts/build.sh"));
    let hadolint: PathBuf = std::env::var_os("SEOGO_HADOLINT")
        .map(PathBuf::from)
        .expect("SEOGO_HADOLINT is not set: scripts/test.sh installs hadolint from PyPI");
    for name in ["Dockerfile", "Dockerfile.cuda"] {
        let path = root.join("docker").join(name);
        let text = std::fs::read_to_string(&path).expect("Dockerfile");
        assert!(
            text.contains("bash scripts/build.sh"),
            "{name} does not build with scripts/build.sh"
        );
        let user = text
            .lines()
            .rfind(|l| l.starts_with("USER "))
            .expect("a USER line");
        assert!(
            !user.contains(" 0") && !user.contains("root"),
            "{name}: {user}"
        );
        assert!(text.contains("HEALTHCHECK"), "{name}");
        assert!(
            text.contains("\"/usr/local/bin/seogo\", \"health\""),
            "{name}"
        );
        let linted = run(Command::new(&hadolint).arg(&path));
        assert!(
            linted.status.success(),
            "hadolint {name}: {}{}",
            stdout(&linted),
            stderr(&linted)
        );
    }
}

#[test]
fn the_qdrant_override_moves_the_vectors_to_an_internal_qdrant() {
    let base = compose("compose.yaml");
    let over = compose("compose.qdrant.yaml");
    let qdrant = &over["services"]["qdrant"];
    assert!(
        qdrant.get("ports").is_none(),
        "Qdrant must not publish a port"
    );
    assert_eq!(list(&qdrant["networks"]), ["backend"]);
    assert!(base["networks"]["backend"]["internal"] == Value::Bool(true));
    assert!(list(&qdrant["volumes"])
        .iter()
        .any(|v| v.starts_with("qdrant-storage:")));
    assert!(over["volumes"]["qdrant-storage"].is_mapping());
    assert_eq!(
        text(&qdrant["environment"]["QDRANT__SERVICE__API_KEY"]),
        "required"
    );

    // The override's settings on top of the base stack's, through seogo.
    let (environment, config) = settings_of(&over["services"]["seogo"]);
    let vectors = &config["vectors"];
    assert_eq!(vectors["backend"], "qdrant", "{config}");
    assert_eq!(vectors["url"], "http://qdrant:6334");
    assert_eq!(vectors["shards"], 1);
    let key = vectors["api_key_env"].as_str().expect("api_key_env");
    assert_eq!(environment[key], "required");
}

#[test]
fn the_cluster_stack_publishes_one_port_over_three_internal_peers() {
    let stack = compose("compose.cluster.yaml");
    let services = stack["services"].as_mapping().expect("services");
    let published: Vec<String> = services
        .iter()
        .filter(|(_, s)| !list(&s["ports"]).is_empty())
        .map(|(name, _)| text(name))
        .collect();
    assert_eq!(
        published,
        ["balancer"],
        "only the balancer publishes a port"
    );
    let mut volumes = Vec::new();
    for peer in ["qdrant-0", "qdrant-1", "qdrant-2"] {
        let qdrant = &stack["services"][peer];
        assert_eq!(list(&qdrant["networks"]), ["backend"], "{peer}");
        assert_eq!(
            text(&qdrant["environment"]["QDRANT__CLUSTER__ENABLED"]),
            "true"
        );
        assert!(text(&qdrant["image"]).ends_with(":v1.18.3"), "{peer}");
        let storage = list(&qdrant["volumes"]);
        assert_eq!(storage.len(), 1, "{peer}");
        let name = storage[0].split(':').next().expect("volume").to_string();
        assert!(
            stack["volumes"][name.as_str()].is_mapping(),
            "{peer}: {name}"
        );
        volumes.push(name);
    }
    volumes.dedup();
    assert_eq!(volumes.len(), 3, "each peer its own storage");
    assert!(stack["networks"]["backend"]["internal"] == Value::Bool(true));

    // Both nodes: the cluster settings, through seogo itself.
    for node in ["seogo-1", "seogo-2"] {
        let (_, config) = settings_of(&stack["services"][node]);
        let vectors = &config["vectors"];
        assert_eq!(vectors["backend"], "qdrant", "{node}: {config}");
        assert_eq!(vectors["shards"], 3, "{node}");
        assert_eq!(vectors["replication_factor"], 2, "{node}");
        assert_eq!(
            config["server"]["keys_file"], "/var/lib/seogo/shared/api-keys.json",
            "{node}: keys shared by the nodes"
        );
    }
    let nginx = std::fs::read_to_string(workspace_root().join("docker/nginx.cluster.conf"))
        .expect("balancer config");
    assert!(nginx.contains("server seogo-1:8080") && nginx.contains("server seogo-2:8080"));
}
