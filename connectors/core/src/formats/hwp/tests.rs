use std::path::{Path, PathBuf};

use super::*;
use crate::parse::{inspect_file, ParseOptions, Parsed};

/// `../shared/data` (or SEOGO_SHARED_DATA).
fn data_dir() -> PathBuf {
    std::env::var_os("SEOGO_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn parse(relative: &str) -> Parsed {
    let path = data_dir().join(relative);
    inspect_file(&path, relative, &ParseOptions::default()).expect(relative)
}

fn all_text(parsed: &Parsed) -> String {
    parsed
        .documents
        .iter()
        .flat_map(|d| d.sections.iter().map(|s| s.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `HWP_DUMP=path cargo test dump -- --nocapture` prints what is read.
#[test]
fn dump() {
    let Some(path) = std::env::var_os("HWP_DUMP") else {
        return;
    };
    let parsed = parse(&path.to_string_lossy());
    for doc in &parsed.documents {
        println!("TITLE {}", doc.title);
        for s in &doc.sections {
            println!("--- {:?} {:?}\n{}", s.heading_path, s.locator, s.text);
        }
    }
    println!("{:?}", parsed.warnings);
}

fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn nts_rulings_keep_title_and_gist() {
    let dir = data_dir().join("ko-nts-tax-rulings-hwp");
    let manifest = std::fs::read_to_string(dir.join("manifest.jsonl")).expect("manifest");
    let (mut total, mut found) = (0, 0);
    for line in manifest.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).expect("json");
        let file = entry["file"].as_str().expect("file");
        let path = format!("ko-nts-tax-rulings-hwp/files/{file}");
        total += 1;
        let text = match inspect_file(&data_dir().join(&path), file, &ParseOptions::default()) {
            Ok(parsed) => squeeze(&all_text(&parsed)),
            Err(e) => {
                println!("{file}: {e}");
                continue;
            }
        };
        let title = squeeze(entry["title"].as_str().unwrap_or_default());
        let gist = squeeze(entry["gist"].as_str().unwrap_or_default());
        if text.contains(&title) && text.contains(&gist) {
            found += 1;
        } else {
            println!(
                "{file}: title {} gist {}",
                text.contains(&title),
                text.contains(&gist)
            );
        }
    }
    println!("NTS: title and gist found in {found} of {total}");
    assert_eq!(total, 200);
    assert!(found * 100 >= total * 95, "{found} of {total}");
}

/// `HWP_RECORDS=path cargo test records -- --nocapture` prints the record tree.
#[test]
fn records() {
    let Some(path) = std::env::var_os("HWP_RECORDS") else {
        return;
    };
    let bytes = std::fs::read(data_dir().join(path)).expect("file");
    let budget = Budget::new(&crate::limits::Limits::default());
    let mut file = cfb::CompoundFile::open(Cursor::new(&bytes[..])).expect("cfb");
    let header = read_stream(&mut file, "/FileHeader", bytes.len())
        .expect("read")
        .expect("header");
    let compressed = check_header(&header).expect("header") & COMPRESSED != 0;
    for (number, path) in section_streams(&file).expect("sections") {
        let raw = read_stream(&mut file, &path, bytes.len())
            .expect("read")
            .expect("stream");
        let stream = unpack(raw, compressed, "s", &budget).expect("inflate");
        let records = record::read(&stream, &budget).expect("records");
        println!("section {number}");
        for r in &records.all {
            let extra = match r.tag {
                record::CTRL_HEADER => {
                    String::from_utf8_lossy(&r.data[..4].iter().rev().copied().collect::<Vec<_>>())
                        .into_owned()
                }
                record::PARA_TEXT => body::para_text(r.data),
                _ => format!("{:?}", &r.data[..r.data.len().min(24)]),
            };
            println!("{}{} {}", "  ".repeat(r.level.into()), r.tag, extra);
        }
    }
}
