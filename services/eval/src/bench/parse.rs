//! `seogo bench parse`: parsing throughput per format on one core — MB/s
//! and pages/s, best of several rounds — and, as a side effect, which files
//! of a folder parse and why the others fail (docs/FORMATS.md's table).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use seogo_docs::detect::{sniff_binary, sniff_text};
use seogo_docs::parse::{inspect_file, ParseOptions};
use seogo_docs::Limits;
use serde::Serialize;

use seogo_durable::PathContext;
use seogo_engine::EngineError;

/// One format's figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FormatBench {
    pub format: String,
    pub files: usize,
    pub parsed: usize,
    pub megabytes: f64,
    /// Pages (or slides, sheets) of the parsed files, where counted.
    pub pages: u64,
    /// Best round's total parse time over the parsed files.
    pub seconds: f64,
    pub mb_per_s: f64,
    pub pages_per_s: f64,
    /// `file: reason` for each file that failed.
    pub failures: Vec<String>,
}

/// Parses every file under `paths` `rounds` times, one at a time.
pub fn bench_parse(
    paths: &[PathBuf],
    rounds: usize,
    limits: &Limits,
) -> Result<Vec<FormatBench>, EngineError> {
    let mut files = Vec::new();
    for path in paths {
        collect(path, &mut files)?;
    }
    files.sort();
    let opts = ParseOptions {
        limits: limits.clone(),
        ..ParseOptions::default()
    };
    let mut by_format: BTreeMap<String, FormatBench> = BTreeMap::new();
    for file in &files {
        let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        let id = file.display().to_string();
        let mut best = f64::INFINITY;
        let mut outcome = None;
        for _ in 0..rounds.max(1) {
            let start = Instant::now();
            let result = inspect_file(file, &id, &opts);
            best = best.min(start.elapsed().as_secs_f64());
            outcome = Some(result);
        }
        let Some(outcome) = outcome else { continue };
        let format = match &outcome {
            Ok(parsed) => parsed.format.to_string(),
            Err(_) => failed_format(file),
        };
        let row = by_format.entry(format.clone()).or_default();
        row.format = format;
        row.files += 1;
        match outcome {
            Ok(parsed) => {
                row.parsed += 1;
                row.megabytes += bytes as f64 / 1e6;
                row.seconds += best;
                row.pages += parsed
                    .documents
                    .iter()
                    .filter_map(|d| d.metadata.get("pages")?.parse::<u64>().ok())
                    .sum::<u64>();
            }
            Err(e) => row.failures.push(e.to_string()),
        }
    }
    Ok(by_format
        .into_values()
        .map(|mut row| {
            if row.seconds > 0.0 {
                row.mb_per_s = row.megabytes / row.seconds;
                row.pages_per_s = row.pages as f64 / row.seconds;
            }
            row
        })
        .collect())
}

/// The format of a file that failed, as far as its first 64 KB tell.
fn failed_format(file: &Path) -> String {
    let mut head = std::fs::read(file).unwrap_or_default();
    head.truncate(64 * 1024);
    if head.is_empty() {
        return "empty file".into();
    }
    match sniff_binary(&head) {
        Some(kind) => kind.name().to_string(),
        None => sniff_text(file, &String::from_utf8_lossy(&head))
            .name()
            .to_string(),
    }
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), EngineError> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path).at(path)?;
    for entry in entries.flatten() {
        let p = entry.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Fixture folders document themselves in these; they are not data.
        if matches!(name, "SOURCE.md" | "manifest.jsonl") || name.starts_with('.') {
            continue;
        }
        collect(&p, out)?;
    }
    Ok(())
}
