//! The XLSX parser on arbitrary bytes (seeds: scripts/fuzz.sh).
#![no_main]

use libfuzzer_sys::fuzz_target;
use seogo_docs::detect::Kind;

fuzz_target!(init: seogo_docs::fuzzing::keep_caught_panics(), |data: &[u8]| seogo_docs::fuzzing::parser(Kind::Xlsx, data));
