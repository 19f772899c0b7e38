//! Fixture and hostile-input tests, end to end through
//! [`crate::parse::inspect_file`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::limits::Limits;
use crate::parse::{inspect_file, parse_bytes, ParseOptions, Parsed};
use crate::DocError;

/// `../shared/data/office-fixtures` (or SEOGO_SHARED_DATA).
fn data() -> PathBuf {
    std::env::var_os("SEOGO_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
        .join("office-fixtures")
}

fn fixture(rel: &str) -> Result<Parsed, DocError> {
    inspect_file(&data().join(rel), rel, &ParseOptions::default())
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

#[test]
#[ignore]
fn dump() {
    let name = std::env::var("PDF").unwrap_or_default();
    let p = fixture(&name).expect("parses");
    println!(
        "title={:?} meta={:?} warn={:?}",
        p.documents[0].title, p.documents[0].metadata, p.warnings
    );
    for s in &p.documents[0].sections {
        println!(
            "--- p{:?} {:?} table={}\n{}",
            s.page,
            s.heading_path,
            s.table.is_some(),
            s.text
        );
    }
}

fn table_row<'a>(
    p: &'a Parsed,
    first: &str,
) -> Option<(&'a crate::types::Section, &'a Vec<String>)> {
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

fn bytes(
    name: &str,
    b: &[u8],
    opts: &ParseOptions,
) -> Result<Vec<crate::types::Document>, DocError> {
    parse_bytes(Path::new(name), name, b, opts)
}

/// A one-page PDF with `extra` objects; xref offsets computed.
fn hand_pdf(page: &str, extra: &[&str]) -> Vec<u8> {
    let extra: Vec<Vec<u8>> = extra.iter().map(|s| s.as_bytes().to_vec()).collect();
    hand_pdf_bytes(page, &extra)
}

fn hand_pdf_bytes(page: &str, extra: &[Vec<u8>]) -> Vec<u8> {
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        page.as_bytes().to_vec(),
    ];
    objects.extend(extra.iter().cloned());
    pdf_of(&objects)
}

/// A PDF of `objects`, numbered from 1, the first the catalog.
fn pdf_of(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend(o);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .bytes(),
    );
    out
}

fn stream(content: &str, dict: &str) -> String {
    format!(
        "<< {dict} /Length {} >>\nstream\n{content}\nendstream",
        content.len()
    )
}

const FONT: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";

#[test]
fn a_hand_written_pdf_reads() {
    let pdf = hand_pdf(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        &[&stream("BT /F1 12 Tf 72 700 Td (Pump check every 500 hours) Tj ET", ""), FONT],
    );
    let docs = bytes("ok.pdf", &pdf, &ParseOptions::default()).expect("reads");
    assert!(docs[0].sections[0]
        .text
        .contains("Pump check every 500 hours"));
}

#[test]
fn a_page_without_text_is_named() {
    let page = |contents: u32| {
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {contents} 0 R /Resources << /Font << /F1 7 0 R >> >> >>").into_bytes()
    };
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>".to_vec(),
        page(5),
        page(6),
        stream(
            "BT /F1 12 Tf 72 700 Td (Bearing temperature below 80 C) Tj ET",
            "",
        )
        .into_bytes(),
        stream("0 0 100 100 re f", "").into_bytes(),
        FONT.as_bytes().to_vec(),
    ];
    let p = parse_bytes(
        Path::new("half.pdf"),
        "half.pdf",
        &pdf_of(&objects),
        &ParseOptions::default(),
    );
    let docs = p.expect("page 1 reads");
    assert_eq!(docs[0].sections[0].page, Some(1));
    let budget = crate::limits::Budget::new(&Limits::default());
    let extracted = super::extract(&pdf_of(&objects), &budget).expect("extract");
    assert_eq!(extracted.pages, Some(2));
    assert_eq!(
        extracted.warnings,
        ["page 2: no extractable text (scanned image?): needs OCR, which Seogo does not do"]
    );
}

#[test]
fn cyclic_object_graphs_fail_by_name() {
    let t = Instant::now();
    // The page's /Parent is itself and it has no MediaBox: pdf-extract
    // would recurse up the chain for ever.
    let parent_loop = hand_pdf(
        "<< /Type /Page /Parent 3 0 R /Contents 4 0 R >>",
        &[&stream("BT /F1 12 Tf 72 700 Td (x) Tj ET", "")],
    );
    // A form XObject that draws itself.
    let form_loop = hand_pdf(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /X 5 0 R >> /Font << /F1 6 0 R >> >> >>",
        &[
            &stream("BT /F1 12 Tf 72 700 Td (x) Tj ET /X Do", ""),
            &stream("/X Do", "/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X 5 0 R >> >>"),
            FONT,
        ],
    );
    // /Kids of the page tree pointing back at the tree, /Length at itself.
    let mut kids_loop = hand_pdf("<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", &[]);
    kids_loop.extend(b"4 0 obj\n<< /Length 4 0 R >>\nstream\nabc\nendstream\nendobj\n");
    for (name, pdf, said) in [
        ("parent.pdf", parent_loop, "/Parent chain loops"),
        ("form.pdf", form_loop, "draws itself"),
        ("kids.pdf", kids_loop, "no pages"),
    ] {
        let err = bytes(name, &pdf, &ParseOptions::default()).expect_err(name);
        println!("{err}");
        assert!(matches!(err, DocError::Malformed { .. }), "{name}: {err}");
        assert!(err.to_string().contains(said), "{name}: {err}");
    }
    assert!(t.elapsed().as_secs() < 5);
}

#[test]
fn hostile_bytes_get_named_errors() {
    let real = std::fs::read(data().join("pdfplumber/nics-background-checks-2015-11.pdf"))
        .expect("fixture");
    let cut = &real[..real.len() * 2 / 5];
    let got = bytes("cut.pdf", cut, &ParseOptions::default());
    println!(
        "{:?}",
        got.as_ref()
            .map(|d| d[0].sections.len())
            .map_err(ToString::to_string)
    );
    match got {
        Err(e) => assert!(
            matches!(e, DocError::Malformed { .. } | DocError::Unsupported { .. })
                && !e.to_string().contains("the parser failed"),
            "{e}"
        ),
        Ok(docs) => assert!(!docs[0].sections.is_empty()),
    }
    let mut noise = b"%PDF-1.4\n".to_vec();
    let mut x: u32 = 12345;
    noise.extend((0..20_000).map(|_| {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (x >> 16) as u8
    }));
    let err = bytes("noise.pdf", &noise, &ParseOptions::default()).expect_err("noise");
    println!("{err}");
    assert!(matches!(err, DocError::Malformed { .. }), "{err}");
    assert!(!err.to_string().contains("the parser failed"), "{err}");
}

#[test]
fn page_limit_is_named() {
    let opts = ParseOptions {
        limits: Limits {
            max_pages: 1,
            ..Limits::default()
        },
        ..ParseOptions::default()
    };
    let path = data().join("unstructured/pdf/multi-column-2p.pdf");
    let err = inspect_file(&path, "two.pdf", &opts).expect_err("two pages");
    assert!(matches!(err, DocError::LimitExceeded { .. }), "{err}");
    assert!(err.to_string().contains("max_pages"), "{err}");
}

#[test]
fn flate_bombs_stop_at_the_ratio() {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(&vec![b' '; 8 << 20]).expect("deflate");
    let packed = z.finish().expect("deflate");
    let mut bomb = format!(
        "<< /Filter /FlateDecode /Length {} >>\nstream\n",
        packed.len()
    )
    .into_bytes();
    bomb.extend(&packed);
    bomb.extend(b"\nendstream");
    let pdf = hand_pdf_bytes(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        &[bomb],
    );
    let err = bytes("bomb.pdf", &pdf, &ParseOptions::default()).expect_err("bomb");
    assert!(matches!(err, DocError::LimitExceeded { .. }), "{err}");
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
