//! Real documents of every format through the real binary: `seogo parse`
//! shows what was found by content, and a mixed folder — with a hostile
//! file among good ones — ingests file by file, its results citing file,
//! page and section.

use std::io::Write;
use std::path::Path;

use seogo_tests::{run, seogo, shared_data, stderr, stdout};

#[test]
fn parse_shows_the_format_found_by_content() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // An HWPX file named .hwp is HWPX, with paragraph provenance.
    let hwpx = shared_data()
        .join("ko-hwp-fixtures/gov/wildlife-mgmt-system-upgrade_2023_rfp__really-hwpx-zip.hwp");
    let out = run(seogo(tmp.path()).args(["parse", "--json"]).arg(&hwpx));
    assert!(out.status.success(), "{}", stderr(&out));
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(parsed["format"], "HWPX");
    let sections = parsed["documents"][0]["sections"]
        .as_array()
        .expect("sections");
    assert!(sections.len() > 10);
    assert!(sections.iter().any(|s| s["locator"]
        .as_str()
        .is_some_and(|l| l.starts_with("section 0 · paragraph"))));
    assert!(sections.iter().any(|s| s["table"]["rows"].is_array()));

    let csv = shared_data().join("office-fixtures/unstructured/csv-with-escaped-commas.csv");
    let out = run(seogo(tmp.path()).args(["parse", "--json"]).arg(&csv));
    assert!(out.status.success(), "{}", stderr(&out));
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(parsed["format"], "CSV");
    assert_eq!(parsed["encoding"], "UTF-8");
    let text = parsed["documents"][0]["sections"][0]["text"]
        .as_str()
        .expect("section text");
    assert!(text.contains("| A | A | A | A,A | A |"), "{text}");
}

/// A DOCX whose only member inflates ~1000× (16 MB from ~16 KB).
fn zip_bomb(path: &Path) {
    let file = std::fs::File::create(path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("word/document.xml", opts).expect("start");
    let block = vec![b'a'; 1 << 20];
    for _ in 0..16 {
        zip.write_all(&block).expect("write");
    }
    zip.finish().expect("finish");
}

#[test]
fn mixed_formats_ingest_and_cite_file_page_and_section() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let corpus = tmp.path().join("shared-drive");
    std::fs::create_dir_all(&corpus).expect("mkdir");
    let fixtures = shared_data();
    for (from, to) in [
        (
            "ko-hwpx-fixtures/gov/mcst_press-release_2024-01-02.hwpx",
            "보도자료.hwpx",
        ),
        (
            "ko-hwp-fixtures/gov/govt-award-recommendation-forms_attachment1.hwp",
            "포상서식.hwp",
        ),
        (
            "office-fixtures/unstructured/page-breaks.docx",
            "page-breaks.docx",
        ),
        (
            "office-fixtures/calamine/merge_cells.xlsx",
            "merge_cells.xlsx",
        ),
        (
            "office-fixtures/unstructured/eml/fake-email-attachment.eml",
            "mail.eml",
        ),
        (
            "office-fixtures/unstructured/pdf/multi-column-2p.pdf",
            "dpr.pdf",
        ),
    ] {
        std::fs::copy(fixtures.join(from), corpus.join(to)).expect(from);
    }
    zip_bomb(&corpus.join("bomb.docx"));
    let table = std::fs::read(fixtures.join("ko-hwp-fixtures/structure/표.hwp")).expect("표.hwp");
    std::fs::write(corpus.join("truncated.hwp"), &table[..table.len() / 2]).expect("write");

    let data = tmp.path().join("data");
    let out = run(seogo(&data).arg("ingest").arg(&corpus));
    let err = stderr(&out);
    // The two hostile files fail alone, each with its reason; the rest
    // is indexed.
    assert_eq!(out.status.code(), Some(2), "{err}");
    let failures: Vec<&str> = err.lines().filter(|l| l.contains("failed:")).collect();
    assert_eq!(failures.len(), 2, "{err}");
    assert!(
        failures
            .iter()
            .any(|l| l.contains("bomb.docx") && l.contains("decompression bomb")),
        "{err}"
    );
    assert!(
        failures
            .iter()
            .any(|l| l.contains("truncated.hwp") && l.contains("damaged HWP")),
        "{err}"
    );
    assert!(stdout(&out).contains("7 added"), "{}", stdout(&out));

    let search = |query: &str| {
        let out = run(seogo(&data).args(["search", query, "--mode", "bm25", "-k", "3"]));
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    // PDF: file, page and the heading path the font sizes gave.
    let hits = search("problem of open-domain QA studied in this paper");
    let first = hits.lines().next().unwrap_or_default();
    let cited = "dpr.pdf · Dense Passage Retrieval for Open-Domain Question Answering · p. 2 · 2 Background";
    assert!(first.contains(cited), "{hits}");
    // HWPX: file, and the paragraph the section starts at.
    let hits = search("장미란 제2차관 진천 국가대표 선수촌");
    let first = hits.lines().next().unwrap_or_default();
    assert!(
        first.contains("보도자료.hwpx") && first.contains("(section 0 · paragraph"),
        "{hits}"
    );
    // HWP table cells are searchable, cited in the same way.
    let hits = search("정부포상 후보자 추천서");
    assert!(
        hits.lines()
            .next()
            .unwrap_or_default()
            .contains("포상서식.hwp"),
        "{hits}"
    );
    // DOCX: the page its hard page break starts.
    let hits = search("Text on second page");
    let first = hits.lines().next().unwrap_or_default();
    assert!(
        first.contains("page-breaks.docx") && first.contains("p. 2"),
        "{hits}"
    );
    // XLSX: the sheet as section, the rows as locator.
    let hits = search("Chunk Merged");
    let first = hits.lines().next().unwrap_or_default();
    assert!(
        first.contains("merge_cells.xlsx · merge_cells · Sheet1 (sheet Sheet1 · rows 1–2)"),
        "{hits}"
    );
    // E-mail attachments are documents of their own.
    let hits = search("fake attachment");
    assert!(hits.contains("mail.eml/fake-attachment.txt"), "{hits}");
}
