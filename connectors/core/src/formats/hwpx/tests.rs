use std::path::{Path, PathBuf};

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

/// `HWPX_DUMP=path cargo test dump -- --nocapture` prints what is read.
#[test]
fn dump() {
    let Some(path) = std::env::var_os("HWPX_DUMP") else {
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
