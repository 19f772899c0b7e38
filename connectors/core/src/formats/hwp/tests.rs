use std::path::PathBuf;

use super::*;
use crate::parse::{inspect_file, ParseOptions, Parsed};
use crate::test_support::{all_text, parsed, shared_data};

fn data_dir() -> PathBuf {
    shared_data()
}

fn parse(relative: &str) -> Parsed {
    parsed(relative)
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

/// Every HWP and HWPX fixture parses or fails with a named reason; none
/// panics (a panic would surface as "the parser failed") or times out.
/// Prints the per-format tally and the throughput (debug build).
#[test]
fn every_fixture_parses_or_fails_by_name() {
    let mut files = Vec::new();
    for dir in [
        "ko-hwp-fixtures/gov",
        "ko-hwp-fixtures/structure",
        "ko-hwpx-fixtures/gov",
        "ko-hwpx-fixtures/structure",
        "ko-nts-tax-rulings-hwp/files",
    ] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(data_dir().join(dir))
            .expect(dir)
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        files.extend(entries);
    }
    let mut tally: std::collections::BTreeMap<String, (usize, usize, Vec<String>)> =
        Default::default();
    let (mut bytes, started) = (0u64, std::time::Instant::now());
    for path in &files {
        let content = std::fs::read(path).expect("read");
        bytes += content.len() as u64;
        let format = crate::detect::sniff_binary(&content).map_or("?", |k| k.name());
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let outcome = match inspect_file(path, &name, &ParseOptions::default()) {
            Ok(_) => None,
            Err(e) => {
                let text = e.to_string();
                assert!(
                    !text.contains("the parser failed") && !text.contains("seconds"),
                    "{text}"
                );
                Some(format!("{name}: {text}"))
            }
        };
        let entry = tally.entry(format.to_string()).or_default();
        entry.0 += 1;
        match outcome {
            None => entry.1 += 1,
            Some(why) => entry.2.push(why),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    for (format, (tried, parsed, failed)) in &tally {
        println!(
            "{format}: tried {tried}, parsed {parsed}, failed {}",
            failed.len()
        );
        for why in failed {
            println!("  {why}");
        }
    }
    println!(
        "{} files, {:.1} MB in {seconds:.2} s: {:.1} files/s, {:.1} MB/s (debug build)",
        files.len(),
        bytes as f64 / 1e6,
        files.len() as f64 / seconds,
        bytes as f64 / 1e6 / seconds
    );
    assert_eq!(files.len(), 29 + 21 + 200, "fixture count");
}

fn fixture_bytes(relative: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(relative)).expect(relative)
}

fn budget() -> Budget {
    Budget::new(&crate::limits::Limits::default())
}

#[test]
fn table_cells_come_out_with_their_text() {
    let parsed = parse("ko-hwp-fixtures/structure/표.hwp");
    let table = parsed.documents[0]
        .sections
        .iter()
        .find_map(|s| s.table.as_ref())
        .expect("a table");
    assert_eq!(table.width(), 3);
    assert_eq!(table.rows.len(), 3);
    assert_eq!(table.rows[1], ["LMN", "OPQ", "STR"]);
    assert_eq!(table.rows[2], ["UVM", "123", "456"]);
    assert_eq!(table.rows[0][1], "DEF");
    let gov = all_text(&parse(
        "ko-hwp-fixtures/gov/govt-award-recommendation-forms_attachment1.hwp",
    ));
    assert!(gov.contains("| ○○회사 | 사장 | 이몽룡 |"), "{gov}");
}

#[test]
fn headers_are_skipped_and_outline_paragraphs_become_headings() {
    let parsed = parse("ko-hwp-fixtures/structure/머리글꼬리글.hwp");
    let doc = &parsed.documents[0];
    let text = all_text(&parsed);
    assert!(!text.contains("개요1"), "the header's text leaked: {text}");
    assert!(text.contains("2233"));
    // Its body is typed in outline (개요) styles: "aaa" is a top heading.
    assert_eq!(doc.title, "aaa");
    assert_eq!(doc.sections[0].heading_path, ["aaa"]);
    assert!(doc
        .sections
        .iter()
        .any(|s| s.heading_path == ["aaa", "6789"]));
    let numbered = parse("ko-hwp-fixtures/structure/문단번호 1-10 수준.hwp");
    assert!(all_text(&numbered).contains("- 문단번호\n- 문단번호"));
    assert_eq!(
        numbered.documents[0].sections[0].locator.as_deref(),
        Some("section 0 · paragraph 0")
    );
}

#[test]
fn notes_come_last_and_text_boxes_are_read() {
    let notes = parse("ko-hwp-fixtures/structure/각주미주.hwp");
    assert_eq!(all_text(&notes), "sssd");
    let boxes = all_text(&parse("ko-hwp-fixtures/structure/글상자.hwp"));
    assert!(boxes.contains("ABC") && boxes.contains("123"), "{boxes}");
}

/// The FileHeader's property flags (offset 36) set to `flags`, in place:
/// the stream is the first 256 bytes at a sector the CFB directory names.
fn with_flags(mut bytes: Vec<u8>, flags: u32) -> Vec<u8> {
    let at = bytes
        .windows(SIGNATURE.len())
        .position(|w| w == SIGNATURE)
        .expect("signature");
    bytes[at + 36..at + 40].copy_from_slice(&flags.to_le_bytes());
    bytes
}

#[test]
fn hostile_files_fail_by_name() {
    let original = fixture_bytes("ko-hwp-fixtures/structure/표.hwp");
    for (flag, word) in [(1 << 2, "distribution"), (1 << 1, "password")] {
        let err = extract(&with_flags(original.clone(), 1 | flag), &budget()).expect_err(word);
        assert!(
            matches!(err, Failure::Encrypted(ref m) if m.contains(word)),
            "{err:?}"
        );
    }
    let half = &original[..original.len() / 2];
    assert!(matches!(
        extract(half, &budget()),
        Err(Failure::Malformed(_))
    ));
    let mut noise = original[..512].to_vec();
    noise.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    assert!(matches!(
        extract(&noise, &budget()),
        Err(Failure::Malformed(_))
    ));
}

#[test]
fn a_body_that_inflates_past_the_ratio_is_a_limit() {
    use std::io::Write;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![0u8; 50 << 20]).expect("deflate");
    let bomb = encoder.finish().expect("deflate");
    let mut header = vec![0u8; 256];
    header[..SIGNATURE.len()].copy_from_slice(SIGNATURE);
    header[32..36].copy_from_slice(&0x0500_0000u32.to_le_bytes());
    header[36..40].copy_from_slice(&COMPRESSED.to_le_bytes());
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("cfb");
    file.create_stream("/FileHeader")
        .expect("s")
        .write_all(&header)
        .expect("w");
    file.create_storage("/BodyText").expect("storage");
    file.create_stream("/BodyText/Section0")
        .expect("s")
        .write_all(&bomb)
        .expect("w");
    let bytes = file.into_inner().into_inner();
    let err = extract(&bytes, &budget()).expect_err("bomb");
    assert!(
        matches!(err, Failure::Limit(ref m) if m.contains("Section0")),
        "{err:?}"
    );
}
