//! Fixture and hostile-input tests, end to end through
//! [`crate::parse::inspect_file`].

use std::path::PathBuf;
use std::time::Instant;

use crate::parse::Parsed;
use crate::DocError;

/// `../shared/data/office-fixtures` (or SEOGO_SHARED_DATA).
pub(super) fn data() -> PathBuf {
    crate::test_support::shared_data().join("office-fixtures")
}

fn fixture(rel: &str) -> Result<Parsed, DocError> {
    crate::test_support::inspect(&format!("office-fixtures/{rel}"))
}

fn text(p: &Parsed) -> String {
    p.documents[0]
        .sections
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn all_pdfs() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["pdfplumber", "unstructured/pdf"] {
        let mut names: Vec<String> = std::fs::read_dir(data().join(dir))
            .expect("fixture dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".pdf"))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        names.sort();
        out.extend(names);
    }
    out.push("unstructured/rotated-page-90.pdf".into());
    out
}

#[test]
fn every_fixture_parses_or_fails_with_a_reason() {
    let (mut bytes, mut pages, mut secs) = (0u64, 0u64, 0f64);
    println!("| file | pages | chars | tables | result |\n| --- | --- | --- | --- | --- |");
    for name in all_pdfs() {
        let size = std::fs::metadata(data().join(&name)).map_or(0, |m| m.len());
        let t = Instant::now();
        let got = fixture(&name);
        secs += t.elapsed().as_secs_f64();
        bytes += size;
        match got {
            Ok(p) => {
                let doc = &p.documents[0];
                let n: u64 = doc
                    .metadata
                    .get("pages")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                pages += n;
                let tables = doc.sections.iter().filter(|s| s.table.is_some()).count();
                let chars: usize = doc.sections.iter().map(|s| s.text.chars().count()).sum();
                println!(
                    "| {name} | {n} | {chars} | {tables} | ok{} |",
                    if p.warnings.is_empty() {
                        String::new()
                    } else {
                        format!("; {}", p.warnings.join("; "))
                    }
                );
            }
            Err(e) => {
                let e = e.to_string();
                assert!(
                    !e.contains("the parser failed") && !e.contains("time limit"),
                    "{e}"
                );
                println!("| {name} | – | – | – | {e} |");
            }
        }
    }
    println!(
        "{:.2} MB, {pages} pages in {secs:.2}s: {:.2} MB/s, {:.0} pages/s",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        pages as f64 / secs
    );
}

fn table_row<'a>(
    p: &'a Parsed,
    first: &str,
) -> Option<(&'a seogo_types::Section, &'a Vec<String>)> {
    p.documents[0].sections.iter().find_map(|s| {
        let row = s
            .table
            .as_ref()?
            .rows
            .iter()
            .find(|r| r.first().is_some_and(|c| c == first))?;
        Some((s, row))
    })
}

#[test]
fn ruled_table_keeps_its_cells() {
    for name in [
        "pdfplumber/nics-background-checks-2015-11.pdf",
        "pdfplumber/nics-background-checks-2015-11-rotated.pdf",
    ] {
        let p = fixture(name).expect(name);
        let (section, row) = table_row(&p, "Alabama").expect("Alabama row");
        assert_eq!(
            row[..4],
            ["Alabama", "18,870", "23,022", "22,650"],
            "{name}"
        );
        assert_eq!(row.last().map(String::as_str), Some("71,137"));
        let table = section.table.as_ref().expect("table");
        assert_eq!(
            table.rows[table.header_rows - 1][..3],
            ["State / Territory", "Permit", "Handgun"]
        );
        assert_eq!(section.locator.as_deref(), Some("page 1"));
        assert_eq!(
            table.caption.as_deref(),
            Some("NICS Firearm Background Checks November - 2015")
        );
        let (_, wyoming) = table_row(&p, "Wyoming").expect("last state");
        assert_eq!(wyoming.last().map(String::as_str), Some("5,017"));
        // The table's text is not repeated as prose.
        let prose = p.documents[0].sections.iter().filter(|s| s.table.is_none());
        assert!(prose.clone().all(|s| !s.text.contains("18,870")), "{name}");
        assert!(prose.clone().any(|s| s.text.contains("DISCLAIMERS")));
    }
}

#[test]
fn korean_text_tables_and_headings() {
    let p = fixture("unstructured/pdf/korean-text-with-tables.pdf").expect("korean");
    let doc = &p.documents[0];
    assert!(text(&p).contains("전월 이용금액 제외 대상"));
    let (section, row) = table_row(&p, "할인점").expect("table row");
    assert_eq!(row[1], "이마트, 이마트 트레이더스, 롯데마트, 홈플러스");
    assert_eq!(
        section.table.as_ref().expect("t").rows[0],
        ["업종", "적립 대상"]
    );
    assert_eq!(doc.title, "할인점·주유·온라인쇼핑몰 1.5% 빅포인트 적립");
    assert!(doc.sections.iter().any(|s| s
        .heading_path
        .first()
        .is_some_and(|h| h == "커피전문점·제과점·편의점 2% 빅포인트 적립")));
}

#[test]
fn columns_headings_and_pages() {
    let p = fixture("unstructured/pdf/multi-column-2p.pdf").expect("two columns");
    let doc = &p.documents[0];
    assert_eq!(
        doc.title,
        "Dense Passage Retrieval for Open-Domain Question Answering"
    );
    let under = |h: &str| {
        doc.sections
            .iter()
            .find(|s| s.heading_path.last().is_some_and(|l| l == h))
    };
    let intro = under("1 Introduction").expect("section 1");
    assert_eq!(intro.page, Some(1));
    assert_eq!(intro.heading_path.len(), 2, "{:?}", intro.heading_path);
    let background = under("2 Background").expect("section 2 on page 2");
    assert_eq!(background.page, Some(2));
    // The abstract reads down its column, not across into the next.
    let abstract_ = under("Abstract").expect("abstract");
    assert!(
        abstract_
            .text
            .contains("relies on efﬁcient passage retrieval to select candidate contexts"),
        "{}",
        abstract_.text
    );
}

#[test]
fn metadata_rotated_pages_and_cid_fonts() {
    let p = fixture("unstructured/pdf/header-test-doc.pdf").expect("header doc");
    // "Title" there is bold at body size: not a heading.
    assert!(p.documents[0]
        .sections
        .iter()
        .all(|s| s.heading_path.is_empty()));
    assert_eq!(
        p.documents[0].metadata.get("title").map(String::as_str),
        Some("header-test-doc")
    );
    let p = fixture("pdfplumber/nics-background-checks-2015-11.pdf").expect("nics");
    assert_eq!(
        p.documents[0].metadata.get("created").map(String::as_str),
        Some("2015-12-12 18:49:57 UTC")
    );
    assert_eq!(
        p.documents[0].metadata.get("pages").map(String::as_str),
        Some("1")
    );
    let p = fixture("unstructured/rotated-page-90.pdf").expect("rotated");
    assert!(text(&p).contains("Hello World Test Text"));
    let p = fixture("unstructured/pdf/embedded-cmap-cidfont.pdf").expect("cid");
    assert!(text(&p).contains("Heading in Helvetica"));
    // Copy-protected with an empty user password: still read.
    let p = fixture("unstructured/pdf/copy-protected.pdf").expect("copy-protected");
    assert!(text(&p).contains("LayoutParser"));
}

#[test]
fn scanned_and_password_pdfs_get_named_errors() {
    for name in [
        "unstructured/pdf/single_table.pdf",
        "unstructured/pdf/table-multi-row-column-cells.pdf",
    ] {
        let err = fixture(name).expect_err(name);
        assert!(matches!(err, DocError::Unsupported { .. }), "{err}");
        assert!(
            err.to_string()
                .contains("no extractable text on any of 1 pages"),
            "{err}"
        );
    }
    for name in [
        "unstructured/pdf/password.pdf",
        "pdfplumber/password-example.pdf",
    ] {
        let err = fixture(name).expect_err(name);
        assert!(matches!(err, DocError::Encrypted { .. }), "{err}");
    }
}

#[test]
fn merged_cells_repeat_their_text() {
    use super::collect::Glyph;
    use super::paths::Rule;
    let h = |y: f64| Rule {
        x0: 0.0,
        y0: y,
        x1: 300.0,
        y1: y,
    };
    let v = |x: f64, y0: f64| Rule {
        x0: x,
        y0,
        x1: x,
        y1: 60.0,
    };
    // Three columns, two rows; the rule between columns 2 and 3 stops at
    // the lower row, so the upper row's last two cells are one.
    let rules = [
        h(0.0),
        h(30.0),
        h(60.0),
        v(0.0, 0.0),
        v(100.0, 0.0),
        v(200.0, 0.0),
        v(300.0, 0.0),
    ];
    let mut rules = rules.to_vec();
    rules[5] = Rule {
        x0: 200.0,
        y0: 0.0,
        x1: 200.0,
        y1: 30.0,
    };
    let word = |text: &str, x: f64, y: f64| {
        text.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                x: x + 6.0 * i as f64,
                y,
                w: 6.0,
                space: 0.0,
                size: 10.0,
                quarter: 0,
                text: c.to_string(),
            })
            .collect::<Vec<_>>()
    };
    let mut glyphs: Vec<Glyph> = [
        word("Pump", 10.0, 40.0),
        word("Interval", 180.0, 40.0),
        word("P-1", 10.0, 10.0),
        word("500h", 110.0, 10.0),
        word("ok", 210.0, 10.0),
        word("outside", 10.0, 100.0),
    ]
    .concat();
    let found = super::table::find(&rules, &mut glyphs);
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].table.rows,
        [["Pump", "Interval", "Interval"], ["P-1", "500h", "ok"]]
    );
    // Only the text outside the table is left as prose.
    assert_eq!(glyphs.len(), "outside".len());
}
