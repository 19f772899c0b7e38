//! What needs no dictionary. The tests against the real mecab-ko-dic
//! (the oracle's analyses, bad files named) are in tests/e2e/analysis.rs:
//! they need the installed model pack, and these unit tests must pass on a
//! fresh clone before `seogo models install`.

use super::*;

#[test]
fn missing_file_is_an_io_error() {
    let dir = std::env::temp_dir().join(format!("seogo-no-mecab-dic-{}", std::process::id()));
    match Dictionary::open(&dir) {
        Err(AnalysisError::Io { path, .. }) => assert!(path.ends_with("char.bin"), "{path}"),
        other => panic!("expected Io, got {other:?}"),
    }
}
