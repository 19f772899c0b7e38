//! A whole file as ingest reads it: detection by content, decoding, the
//! parser it picks, nested attachments and archive members, chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: seogo_docs::fuzzing::keep_caught_panics(), |data: &[u8]| seogo_docs::fuzzing::file(data));
