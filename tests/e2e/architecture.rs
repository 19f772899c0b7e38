//! ARCHITECTURE.md's crate table against the workspace as Cargo sees it:
//! every crate of the workspace has a row with its path, and the row's
//! `uses` column lists exactly the workspace crates in its
//! `[dependencies]`. A new crate or a new dependency between crates fails
//! here until the map says so.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use seogo_tests::workspace_root;

/// Path → (crate, workspace crates it depends on), as `cargo metadata` says.
fn workspace() -> BTreeMap<String, (String, BTreeSet<String>)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = workspace_root();
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(&root)
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).expect("metadata");
    let packages = metadata["packages"].as_array().expect("packages");
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    packages
        .iter()
        .map(|p| {
            let manifest = std::path::Path::new(p["manifest_path"].as_str().expect("manifest"));
            let dir = manifest.parent().expect("crate dir");
            let path = dir
                .strip_prefix(&root)
                .expect("a workspace crate under the root")
                .display()
                .to_string();
            let uses = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str())
                .filter(|name| names.contains(name))
                .map(String::from)
                .collect();
            (path, (p["name"].as_str().expect("name").to_string(), uses))
        })
        .collect()
}

/// Path → (crate, uses) from the table's rows; `uses` names crates without
/// their `seogo-` prefix, `—` for none.
fn table(text: &str) -> BTreeMap<String, (String, BTreeSet<String>)> {
    let section = text
        .split("## Crates")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Crates section");
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            let path = cells[0].trim_matches('`').to_string();
            let name = cells[1].split('`').nth(1)?.to_string();
            let uses = cells[2]
                .split(", ")
                .filter(|u| *u != "—")
                .map(|u| format!("seogo-{u}"))
                .collect();
            Some((path, (name, uses)))
        })
        .collect()
}

#[test]
fn the_crate_table_matches_cargo_metadata() {
    let text =
        std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let documented = table(&text);
    let actual = workspace();
    assert!(actual.len() > 10, "cargo metadata found {actual:?}");
    let mut wrong = Vec::new();
    for (path, (name, uses)) in &actual {
        match documented.get(path) {
            None => wrong.push(format!("`{path}` ({name}) has no row")),
            Some((doc_name, doc_uses)) => {
                if doc_name != name {
                    wrong.push(format!("`{path}`: the row says {doc_name}, Cargo {name}"));
                }
                if doc_uses != uses {
                    wrong.push(format!(
                        "`{path}`: the row's uses {doc_uses:?}, Cargo.toml's {uses:?}"
                    ));
                }
            }
        }
    }
    for path in documented.keys() {
        if !actual.contains_key(path) && workspace_root().join(path).join("Cargo.toml").is_file() {
            wrong.push(format!("`{path}` has a row but is not in the workspace"));
        }
    }
    assert!(
        wrong.is_empty(),
        "ARCHITECTURE.md is out of date:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_table_reader_sees_a_wrong_row() {
    let text = "## Crates\n\n| path | crate | uses | owns |\n|---|---|---|---|\n\
                | `services/index` | `seogo-index` | types | indexes |\n\n## Next\n";
    let rows = table(text);
    let (name, uses) = &rows["services/index"];
    assert_eq!(name, "seogo-index");
    // Cargo says index also uses the analyzer: the comparison would fail.
    let cargo: BTreeSet<String> = ["seogo-types", "seogo-analyzer"].map(String::from).into();
    assert_ne!(uses, &cargo);
}
