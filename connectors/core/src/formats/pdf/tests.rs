//! Fixture and hostile-input tests, end to end through
//! [`crate::parse::inspect_file`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::limits::Limits;
use crate::parse::{inspect_file, parse_bytes, ParseOptions, Parsed};
use crate::DocError;

/// `../shared/data/office-fixtures` (or SEOGO_SHARED_DATA).
fn data() -> PathBuf {
    std::env::var_os("SEOGO_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join("office-fixtures")
}

fn fixture(rel: &str) -> Result<Parsed, DocError> {
    inspect_file(&data().join(rel), rel, &ParseOptions::default())
}

fn text(p: &Parsed) -> String {
    p.documents[0]
        .sections
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn all_pdfs() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["pdfplumber", "unstructured/pdf"] {
        let mut names: Vec<String> = std::fs::read_dir(data().join(dir))
            .expect("fixture dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".pdf"))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        names.sort();
        out.extend(names);
    }
    out.push("unstructured/rotated-page-90.pdf".into());
    out
}

#[test]
fn every_fixture_parses_or_fails_with_a_reason() {
    let (mut bytes, mut pages, mut secs) = (0u64, 0u64, 0f64);
    println!("| file | pages | chars | tables | result |\n| --- | --- | --- | --- | --- |");
    for name in all_pdfs() {
        let size = std::fs::metadata(data().join(&name)).map_or(0, |m| m.len());
        let t = Instant::now();
        let got = fixture(&name);
        secs += t.elapsed().as_secs_f64();
        bytes += size;
        match got {
            Ok(p) => {
                let doc = &p.documents[0];
                let n: u64 = doc
                    .metadata
                    .get("pages")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                pages += n;
                let tables = doc.sections.iter().filter(|s| s.table.is_some()).count();
                let chars: usize = doc.sections.iter().map(|s| s.text.chars().count()).sum();
                println!(
                    "| {name} | {n} | {chars} | {tables} | ok{} |",
                    if p.warnings.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", p.warnings.join("; "))
                    }
                );
            }
            Err(e) => {
                let e = e.to_string();
                assert!(
                    !e.contains("the parser failed") && !e.contains("time limit"),
                    "{e}"
                );
                println!("| {name} | – | – | – | {e} |");
            }
        }
    }
    println!(
        "{:.2} MB, {pages} pages in {secs:.2}s: {:.2} MB/s, {:.0} pages/s",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        pages as f64 / secs
    );
}

#[test]
#[ignore]
fn dump() {
    let name = std::env::var("PDF").unwrap_or_default();
    let p = fixture(&name).expect("parses");
    println!(
        "title={:?} meta={:?} warn={:?}",
        p.documents[0].title, p.documents[0].metadata, p.warnings
    );
    for s in &p.documents[0].sections {
        println!(
            "--- p{:?} {:?} table={}\n{}",
            s.page,
            s.heading_path,
            s.table.is_some(),
            s.text
        );
    }
}
