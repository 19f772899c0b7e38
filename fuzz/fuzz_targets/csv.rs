//! The CSV parser on arbitrary bytes (seeds: scripts/fuzz.sh).
#![no_main]

use libfuzzer_sys::fuzz_target;
use seogo_docs::detect::Kind;

fuzz_target!(|data: &[u8]| seogo_docs::fuzzing::parser(Kind::Csv, data));
