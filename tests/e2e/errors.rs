//! Each cause is printed once. The CLI prints `{e:#}` (the message, then
//! every `source()` below it), so an error that writes its cause into its
//! message must not also hand it out as its source, or the OS reason comes
//! out twice ("x.tar: No such file …: No such file …").

use seogo_tests::{run, seogo, stderr, workspace_root};

/// The Rust sources of every crate in the workspace.
fn sources() -> Vec<std::path::PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    let mut stack = vec![root.join("services"), root.join("connectors")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// The `#[error("…")]` variants of `text` whose message interpolates the
/// field they also mark as the source (`#[source]`, `#[from]`, or a field
/// named `source`): `(line, message)`.
fn doubled_causes(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[error(\"") {
        let line = text.len() - rest.len() + at;
        let after = &rest[at + "#[error(\"".len()..];
        let message = after.split("\")]").next().unwrap_or_default();
        // The variant runs to the next attribute of a sibling variant.
        let body_start = after.find(")]").map_or(after.len(), |i| i + 2);
        let body = &after[body_start..];
        let body = &body[..body.find("#[error(").unwrap_or(body.len())];
        let body = &body[..body.find("\n}").unwrap_or(body.len())];
        let named_source = body.contains("source:") && message.contains("{source}");
        let positional = (body.contains("#[source]") || body.contains("#[from]"))
            && body
                .trim_start()
                .split('{')
                .next()
                .unwrap_or("")
                .contains('(')
            && message.contains("{0}");
        let marked_named = body.contains("#[source]")
            && body
                .split("#[source]")
                .nth(1)
                .and_then(|f| f.trim_start().split(':').next())
                .is_some_and(|field| message.contains(&format!("{{{}}}", field.trim())));
        if named_source || positional || marked_named {
            found.push((text[..line].lines().count() + 1, message.to_string()));
        }
        rest = after;
    }
    found
}

#[test]
fn no_error_prints_its_cause_and_returns_it_as_source() {
    let files = sources();
    assert!(files.len() > 100, "{} files", files.len());
    let mut doubled = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        for (line, message) in doubled_causes(&text) {
            doubled.push(format!("{}:{line}: {message:?}", path.display()));
        }
    }
    assert!(
        doubled.is_empty(),
        "these errors print their cause in the message and return it as source(); \
         keep one (name the field `cause`, or drop it from the message):\n{}",
        doubled.join("\n")
    );
}

/// The scan finds the shapes it is for.
#[test]
fn the_scan_finds_a_doubled_cause() {
    let doubled = r#"
enum E {
    #[error("{path}: {source}")]
    Io { path: PathBuf, #[source] source: std::io::Error },
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{path}: {cause}")]
    Fine { path: PathBuf, cause: std::io::Error },
    #[error(transparent)]
    Wrapped(#[from] Other),
}"#;
    let found = doubled_causes(doubled);
    assert_eq!(found.len(), 2, "{found:?}");
}

/// A real failure through the binary: the OS reason once.
#[test]
fn the_cli_prints_an_os_error_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such.tar");
    let out = run(seogo(&dir.path().join("data")).arg("restore").arg(&missing));
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("no-such.tar"), "{said}");
    assert_eq!(said.matches("No such file").count(), 1, "{said}");
}
