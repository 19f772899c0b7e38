//! The XLSX parser on arbitrary bytes (seeds: scripts/fuzz.sh).
#![no_main]

use libfuzzer_sys::fuzz_target;
use seogo_docs::detect::Kind;

// libFuzzer's hook aborts on every panic, even one the code catches on
// purpose (pdf-extract's, page by page); the default hook lets those be,
// and a panic that escapes still aborts as a crash.
fuzz_target!(init: { let _ = std::panic::take_hook(); }, |data: &[u8]| seogo_docs::fuzzing::parser(Kind::Xlsx, data));
