//! Format parsers on the real fixtures in `../shared/data/office-fixtures`
//! (SEOGO_SHARED_DATA overrides where that is).

use std::path::{Path, PathBuf};

use crate::parse::{inspect_file, ParseOptions, Parsed};
use crate::test_support::{all_text, shared_data};
use crate::DocError;

fn office(name: &str) -> PathBuf {
    shared_data().join("office-fixtures").join(name)
}

fn parse(path: &Path) -> Result<Parsed, DocError> {
    inspect_file(path, &path.display().to_string(), &ParseOptions::default())
}

fn parsed(name: &str) -> Parsed {
    crate::test_support::parsed(&format!("office-fixtures/{name}"))
}

/// The table sections of the first document.
fn tables(p: &Parsed) -> Vec<&seogo_types::Table> {
    p.documents[0]
        .sections
        .iter()
        .filter_map(|s| s.table.as_ref())
        .collect()
}

#[test]
fn xlsx_tables_keep_rows_columns_and_merged_cells() {
    let p = parsed("calamine/merge_cells.xlsx");
    assert_eq!(p.format, "XLSX");
    let t = tables(&p);
    assert_eq!(t[0].rows[0], ["Row Merge", "Row Merge", "Not Merged"]);
    assert_eq!(
        t[0].rows[1],
        ["Column Merge", "Chunk Merged", "Chunk Merged"]
    );
    let s = &p.documents[0].sections[0];
    assert_eq!(s.heading_path, ["Sheet1"]);
    assert_eq!(s.locator.as_deref(), Some("sheet Sheet1 · rows 1–2"));

    // A finance workbook: real figures under their column headers.
    let p = parsed("unstructured/stanley-cups.xlsx");
    let t = tables(&p);
    assert_eq!(t[0].caption.as_deref(), Some("Stanley Cups"));
    assert_eq!(t[0].rows[0], ["Team", "Location", "Stanley Cups"]);
    assert!(t[0]
        .rows
        .contains(&vec!["Blues".into(), "STL".into(), "1".into()]));
    // Dates come out as dates, not Excel serial numbers.
    let p = parsed("calamine/date.xlsx");
    assert_eq!(p.format, "XLSX");
    assert!(all_text(&p).contains("2021-01-01"), "{}", all_text(&p));
}

#[test]
fn legacy_xls_and_ods_are_read_too() {
    let xls = parsed("calamine/merge_cells.xls");
    assert_eq!(xls.format, "XLS");
    assert_eq!(
        tables(&xls)[0].rows[1],
        ["Column Merge", "Chunk Merged", "Chunk Merged"]
    );
    let ods = parsed("calamine/any_sheets.ods");
    assert_eq!(ods.format, "ODS");
    assert!(ods.documents[0].sections.len() >= 2);
}

#[test]
fn docx_keeps_tables_lists_and_page_breaks() {
    let p = parsed("unstructured/fake_table.docx");
    let t = tables(&p);
    assert_eq!(t[0].rows[0], ["Header Col 1", "Header Col 2"]);
    assert_eq!(t[0].rows[1], ["Lorem ipsum", "A Link example"]);
    let p = parsed("unstructured/page-breaks.docx");
    let pages: Vec<_> = p.documents[0].sections.iter().map(|s| s.page).collect();
    assert_eq!(pages.first(), Some(&Some(1)));
    assert!(pages.contains(&Some(2)), "{pages:?}");
    let second = p.documents[0]
        .sections
        .iter()
        .find(|s| s.page == Some(2))
        .expect("page 2");
    assert!(
        second.text.starts_with("<<Text on second page"),
        "{}",
        second.text
    );
    let p = parsed("unstructured/example-list-items-multiple.docx");
    assert!(
        all_text(&p).lines().any(|l| l.starts_with("- ")),
        "{}",
        all_text(&p)
    );
}

#[test]
fn docx_headers_and_footers_are_left_out() {
    let text = all_text(&parsed("unstructured/docx-hdrftr.docx"));
    assert!(!text.to_lowercase().contains("header"), "{text}");
    assert!(!text.to_lowercase().contains("footer"), "{text}");
    assert!(!text.trim().is_empty());
}

#[test]
fn pptx_slides_are_pages_with_title_and_table() {
    let p = parsed("unstructured/fake-power-point-table.pptx");
    let s = &p.documents[0].sections[0];
    assert_eq!(s.heading_path, ["A Slide with a Table"]);
    assert_eq!(s.page, Some(1));
    let t = s.table.as_ref().expect("table");
    assert_eq!(t.rows[0], ["Column 1", "Column 2", "Column 3"]);
    assert_eq!(t.rows[3], ["Tangerine", "Pink", "Aqua"]);
}

#[test]
fn html_keeps_main_text_headings_and_tables_not_scripts() {
    let p = parsed("unstructured/example-with-scripts.html");
    let text = all_text(&p);
    assert!(!text.contains("function("), "script text leaked");
    let p = parsed("unstructured/example-steelJIS-datasheet.html");
    assert!(
        p.documents[0].title.starts_with("SNB22-3"),
        "{}",
        p.documents[0].title
    );
    assert!(!tables(&p).is_empty());
    let utf16 = parsed("unstructured/example-steelJIS-datasheet-utf-16.html");
    assert_eq!(utf16.encoding, "UTF-16LE");
    assert_eq!(all_text(&utf16), all_text(&p));
    let cp1252 = parsed("unstructured/fake-html-cp1252.html");
    assert!(
        all_text(&cp1252).contains("Die schöne Frau"),
        "{}",
        all_text(&cp1252)
    );
    let headings: Vec<_> = cp1252.documents[0]
        .sections
        .iter()
        .map(|s| s.heading_path.clone())
        .collect();
    assert!(
        headings.iter().any(|h| h == &["My First Heading"]),
        "{headings:?}"
    );
    // A 10-K: the financial tables come out as tables with real figures.
    let p = parsed("unstructured/example-10k-1p.html");
    assert!(tables(&p)
        .iter()
        .any(|t| t.rows.iter().flatten().any(|c| c == "GLXZ")));
}

#[test]
fn email_headers_body_and_attachments() {
    let p = parsed("unstructured/eml/fake-email-attachment.eml");
    assert_eq!(p.format, "e-mail (EML)");
    let mail = &p.documents[0];
    assert_eq!(mail.title, "Fake email with attachment");
    assert_eq!(
        mail.metadata["from"],
        "Mallori Harrell <mallori@unstructured.io>"
    );
    assert!(mail.sections[0].text.contains("Here's the attachments!"));
    let attachment = &p.documents[1];
    assert!(
        attachment.id.ends_with("/fake-attachment.txt"),
        "{}",
        attachment.id
    );
    assert_eq!(
        attachment.sections[0].text,
        "Hey this is a fake attachment!"
    );
    let p = parsed("unstructured/eml/fake-email-utf-16.eml");
    assert!(
        all_text(&p).contains("This is a test email"),
        "{}",
        all_text(&p)
    );
}

#[test]
fn rtf_xml_json_odt_and_epub() {
    let rtf = parsed("unstructured/fake-doc.rtf");
    assert!(all_text(&rtf).contains("My first paragraph."));
    let t = tables(&rtf);
    assert_eq!(t[0].rows.len(), 3, "{:?}", t[0].rows);
    assert_eq!(t[0].rows[0], ["Column 1", "Column 2"]);
    assert_eq!(t[0].rows[2], ["Row 2, Cell 1", "Row 2, Cell 2"]);
    let xml = parsed("unstructured/factbook.xml");
    assert!(all_text(&xml).contains("country/capital: Ottawa"));
    assert!(all_text(&xml).contains("Trinidad & Tobado"));
    let odt = parsed("unstructured/simple.odt");
    assert_eq!(odt.format, "ODT");
    assert!(all_text(&odt).contains("This is my first thought."));
    let epub = parsed("unstructured/winter-sports.epub");
    assert!(epub.documents.len() > 3);
    let json = crate::parse::parse_bytes(
        Path::new("parts.json"),
        "parts.json",
        "[{\"id\":\"PN-4471-A\",\"stock\":{\"seoul\":3}}]".as_bytes(),
        &ParseOptions::default(),
    )
    .expect("json");
    assert_eq!(json[0].sections[0].heading_path, ["PN-4471-A"]);
    assert!(json[0].sections[0].text.contains("stock.seoul: 3"));
}

#[test]
fn protected_and_legacy_files_fail_by_name() {
    for (name, said) in [
        ("calamine/pass_protected.xlsx", "encrypted or protected"),
        (
            "unstructured/password_protected.xlsx",
            "encrypted or protected",
        ),
        ("unstructured/simple.doc", "save it as DOCX"),
        ("unstructured/empty.xlsx", "no text to index"),
    ] {
        let err = parse(&office(name)).expect_err(name).to_string();
        assert!(err.contains(name) && err.contains(said), "{err}");
    }
}

fn parse_with(name: &str, bytes: &[u8], limits: crate::Limits) -> Result<Parsed, DocError> {
    let opts = ParseOptions {
        limits,
        ..ParseOptions::default()
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    inspect_file(&path, name, &opts)
}

fn hostile(name: &str, bytes: &[u8]) -> String {
    parse_with(name, bytes, crate::Limits::default())
        .map(|p| format!("parsed as {}", p.format))
        .unwrap_or_else(|e| e.to_string())
}

/// A DOCX whose document.xml is `size` bytes of one repeated character.
fn docx_bomb(size: usize) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("word/document.xml", opts).expect("start");
    let block = vec![b'a'; 1 << 20];
    for _ in 0..size >> 20 {
        zip.write_all(&block).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

#[test]
fn zip_bomb_stops_at_the_expansion_ratio() {
    let bomb = docx_bomb(16 << 20);
    assert!(bomb.len() < 50_000, "{}", bomb.len());
    let err = hostile("report.docx", &bomb);
    assert!(
        err.contains("report.docx: refused") && err.contains("decompression bomb"),
        "{err}"
    );
    // The total is bounded too, whatever the ratio allows.
    let limits = crate::Limits {
        max_expansion_ratio: 1_000_000,
        max_expanded_bytes: 1 << 20,
        ..crate::Limits::default()
    };
    let err = parse_with("report.docx", &bomb, limits)
        .expect_err("bomb")
        .to_string();
    assert!(err.contains("parse.max_expanded_bytes"), "{err}");
}

#[test]
fn xml_entity_expansion_and_external_entities_are_refused() {
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">]><lolz>&lol2;</lolz>";
    let err = hostile("laughs.xml", laughs.as_bytes());
    assert!(
        err.contains("laughs.xml: refused") && err.contains("<!ENTITY"),
        "{err}"
    );
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><r>&xxe;</r>";
    let err = hostile("xxe.xml", xxe.as_bytes());
    assert!(err.contains("xxe.xml: refused"), "{err}");
    assert!(!err.contains("root:"), "{err}");
}

#[test]
fn a_two_gigabyte_file_is_refused_before_it_is_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let path = tmp.path().join("huge.pdf");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(2 << 30).expect("sparse 2 GB");
    let err = parse(&path).expect_err("too large").to_string();
    assert!(
        err.contains("huge.pdf") && err.contains("exceeds the 268435456-byte limit"),
        "{err}"
    );
}

fn nested_html(depth: usize) -> String {
    let mut html = String::from("<html><body>");
    html.push_str(&"<div>".repeat(depth));
    html.push_str("깊은 곳의 문장");
    html.push_str(&"</div>".repeat(depth));
    html.push_str("</body></html>");
    html
}

#[test]
fn deeply_nested_html_is_read_or_refused_by_name() {
    let p = parse_with(
        "deep.html",
        nested_html(2_000).as_bytes(),
        crate::Limits::default(),
    );
    assert!(all_text(&p.expect("2,000 deep")).contains("깊은 곳의 문장"));
    let err = hostile("deeper.html", nested_html(100_000).as_bytes());
    assert!(
        err.contains("deeper.html: refused") && err.contains("nested"),
        "{err}"
    );
}

#[test]
fn random_bytes_under_document_names_get_named_errors() {
    // Deterministic noise (xorshift), no magic number of any format.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let noise: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    for name in ["scan.pdf", "report.hwp", "sheet.xlsx"] {
        let err = hostile(name, &noise);
        assert!(err.contains(name) && !err.contains("parsed"), "{err}");
    }
    let mut cfb = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    cfb.extend(&noise);
    let err = hostile("report.hwp", &cfb);
    assert!(
        err.contains("report.hwp") && !err.contains("parsed"),
        "{err}"
    );
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend(&noise);
    let err = hostile("book.xlsx", &zip);
    assert!(err.contains("book.xlsx: damaged"), "{err}");
}

#[test]
fn the_time_limit_stops_a_slow_file() {
    let bytes = std::fs::read(office("unstructured/example-10k.html")).expect("10-K");
    let limits = crate::Limits {
        max_seconds: 0,
        ..crate::Limits::default()
    };
    let err = parse_with("10k.html", &bytes, limits)
        .expect_err("timeout")
        .to_string();
    assert!(
        err.contains("10k.html: parsing took longer than the 0-second limit"),
        "{err}"
    );
}

/// Every fixture of the four format folders either parses or fails with a
/// reason of its own — never a parser panic or the time limit.
#[test]
fn every_fixture_parses_or_fails_by_name() {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = [
        "office-fixtures",
        "ko-hwpx-fixtures",
        "ko-hwp-fixtures",
        "ko-nts-tax-rulings-hwp/files",
    ]
    .iter()
    .map(|d| shared_data().join(d))
    .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixture folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "SOURCE.md") {
                files.push(path);
            }
        }
    }
    assert!(files.len() > 350, "{}", files.len());
    let mut parsed = 0;
    for file in &files {
        match parse(file) {
            Ok(p) => {
                assert!(!p.documents.is_empty(), "{}", file.display());
                parsed += 1;
            }
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains(&file.display().to_string()), "{e}");
                assert!(
                    !e.contains("the parser failed") && !e.contains("second limit"),
                    "{e}"
                );
            }
        }
    }
    // Encrypted, scanned, legacy .doc and text-less fixtures fail; the
    // rest (docs/FORMATS.md counts them) parse.
    assert!(
        parsed * 100 >= files.len() * 85,
        "{parsed} of {}",
        files.len()
    );
}

/// A compound file (an encrypted workbook's container) whose sector is cut
/// short: calamine slices past the end and panics. The input is the `xlsx`
/// fuzz target's finding, kept in `fuzz/regressions/`.
#[test]
fn a_workbook_that_makes_calamine_panic_is_named_damaged() {
    let bytes = include_bytes!("../../../../fuzz/regressions/xlsx-cfb-sector-cut-short.bin");
    let budget = crate::limits::Budget::new(&crate::limits::Limits::default());
    match super::sheet::extract(bytes, &budget) {
        Err(crate::limits::Failure::Malformed(why)) => {
            assert!(why.starts_with("the workbook reader failed"), "{why}");
        }
        other => panic!("expected a damaged workbook, got {other:?}"),
    }
    let err = crate::parse::parse_bytes(
        Path::new("cut.xlsx"),
        "cut.xlsx",
        bytes,
        &ParseOptions::default(),
    )
    .expect_err("damaged");
    let message = err.to_string();
    assert!(message.contains("cut.xlsx"), "{message}");
    assert!(!message.contains("the parser failed"), "{message}");
}
