//! Entry points for the fuzz targets (`fuzz/`, run by `scripts/fuzz.sh`),
//! built only with the `fuzzing` feature. They call the parsers directly,
//! without the worker thread and panic catch that guard them in
//! [`crate::parse`], so the fuzzer sees a panic, a stack overflow or a
//! runaway allocation for what it is rather than a tidy per-file error.

use std::path::Path;

use crate::detect::Kind;
use crate::limits::{Budget, Limits};
use crate::parse::{decode, extract, inspect_nested, ParseOptions};
use crate::{chunk_document, ChunkerConfig};

/// `kind`'s parser on `bytes`, as if detection had named that format (text
/// formats get the bytes decoded as ingest decodes them).
pub fn parser(kind: Kind, bytes: &[u8]) {
    let limits = Limits::default();
    let text = decode(Path::new("fuzz"), bytes)
        .map(|(text, _)| text)
        .unwrap_or_default();
    let _ = extract(kind, bytes, &text, "fuzz", &Budget::new(&limits));
}

/// A whole file as ingest reads it: detection, decoding, the parser,
/// attachments and archive members, then chunking of every document.
pub fn file(bytes: &[u8]) {
    let opts = ParseOptions::default();
    if let Ok(parsed) = inspect_nested(Path::new("fuzz"), "fuzz", bytes, &opts, 0) {
        let chunker = ChunkerConfig::default();
        for doc in &parsed.documents {
            let _ = chunk_document(doc, &chunker);
        }
    }
}

/// Puts back Rust's default panic hook, for every target's `init`.
/// libFuzzer's hook aborts on every panic, even one the code catches on
/// purpose (pdf-extract's, page by page); with the default hook those pass,
/// and a panic that escapes the parser still aborts as a crash.
pub fn keep_caught_panics() {
    let _ = std::panic::take_hook();
}
