//! A whole file as ingest reads it: detection by content, decoding, the
//! parser it picks, nested attachments and archive members, chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;

// libFuzzer's hook aborts on every panic, even one the code catches on
// purpose (pdf-extract's, page by page); the default hook lets those be,
// and a panic that escapes still aborts as a crash.
fuzz_target!(init: { let _ = std::panic::take_hook(); }, |data: &[u8]| seogo_docs::fuzzing::file(data));
