//! The project's Markdown as a reader's renderer sees it: every code fence
//! closed, so no section disappears into a code block (the README once
//! swallowed its Models, Batch QA and widget sections that way).

use seogo_tests::workspace_root;

/// Markdown files a reader opens: the top level and `docs/`.
fn documents() -> Vec<std::path::PathBuf> {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("docs")] {
        for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_code_fence_is_closed_and_no_heading_hides_in_one() {
    let files = documents();
    assert!(files.len() >= 5, "{files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let mut open: Option<usize> = None;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("```") {
                open = match open {
                    None => Some(i + 1),
                    Some(_) => None,
                };
            } else if let (Some(from), true) = (open, line.starts_with("## ")) {
                panic!(
                    "{}:{}: heading `{line}` inside the code block opened at line {from}",
                    path.display(),
                    i + 1
                );
            }
        }
        assert!(
            open.is_none(),
            "{}: the code block opened at line {} is never closed",
            path.display(),
            open.unwrap_or(0)
        );
    }
}
