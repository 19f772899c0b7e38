//! Hand-written and hostile PDFs: loops in the object graph, bombs,
//! noise, truncation, limits, a page without text.

use std::path::Path;
use std::time::Instant;

use crate::limits::Limits;
use crate::parse::{inspect_file, parse_bytes, ParseOptions};
use crate::DocError;

use super::tests::data;

fn bytes(
    name: &str,
    b: &[u8],
    opts: &ParseOptions,
) -> Result<Vec<seogo_types::Document>, DocError> {
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

/// Many pages: pdf-extract looks each page up through the page tree, so
/// the cost per page must stay flat.
#[test]
fn many_pages_read_in_time() {
    let n = 3000;
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {n} >>",
            (0..n)
                .map(|i| format!("{} 0 R", 4 + 2 * i))
                .collect::<Vec<_>>()
                .join(" ")
        )
        .into_bytes(),
        FONT.as_bytes().to_vec(),
    ];
    for i in 0..n {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R /Resources << /Font << /F1 3 0 R >> >> >>",
                5 + 2 * i
            )
            .into_bytes(),
        );
        objects.push(
            stream(
                &format!("BT /F1 12 Tf 72 700 Td (Page {} text) Tj ET", i + 1),
                "",
            )
            .into_bytes(),
        );
    }
    let pdf = pdf_of(&objects);
    let t = Instant::now();
    let docs = parse_bytes(
        Path::new("many.pdf"),
        "many.pdf",
        &pdf,
        &ParseOptions::default(),
    )
    .expect("reads");
    let secs = t.elapsed().as_secs_f64();
    println!("{n} pages in {secs:.2}s");
    // One pass: 0.2 s here; page by page it was 2.8 s, growing as n².
    assert!(secs < 10.0, "{secs}");
    let last = docs[0].sections.last().expect("sections");
    assert_eq!(last.page, Some(n));
    assert!(last.text.contains(&format!("Page {n} text")));
}

/// Two pages: the first drawn with `font` by `first`, which makes
/// pdf-extract panic; the second plain. Found by the `pdf` fuzz target.
fn one_bad_page_of_two(first: &str, font: &str, extra: &[String]) -> Vec<u8> {
    let page = |contents: u32| {
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {contents} 0 R /Resources << /Font << /F1 7 0 R /F2 8 0 R >> >> >>").into_bytes()
    };
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>".to_vec(),
        page(5),
        page(6),
        stream(first, "").into_bytes(),
        stream(
            "BT /F2 12 Tf 72 700 Td (Coolant pump P-7 checked) Tj ET",
            "",
        )
        .into_bytes(),
        font.as_bytes().to_vec(),
        FONT.as_bytes().to_vec(),
    ];
    objects.extend(extra.iter().map(|o| o.as_bytes().to_vec()));
    pdf_of(&objects)
}

/// pdf-extract unwraps what a page gives it; its panics stay on the page:
/// the page is named in a warning and the rest of the file is read.
fn the_other_page_reads(name: &str, pdf: &[u8]) {
    let budget = crate::limits::Budget::new(&Limits::default());
    let extracted = super::extract(pdf, &budget).expect("the file reads");
    assert_eq!(extracted.pages, Some(2), "{name}");
    assert!(
        extracted
            .warnings
            .iter()
            .any(|w| w.starts_with("page 1: not read") && w.contains("interpreter failed")),
        "{name}: {:?}",
        extracted.warnings
    );
    let docs = bytes(name, pdf, &ParseOptions::default()).expect("parses");
    let text: String = docs[0].sections.iter().map(|s| s.text.as_str()).collect();
    assert!(text.contains("Coolant pump P-7 checked"), "{name}: {text}");
}

#[test]
fn a_font_operand_that_is_no_name_costs_its_page_only() {
    // `Tf` takes a font name; pdf-extract unwraps `as_name()` on it.
    let pdf = one_bad_page_of_two("BT 1 12 Tf 72 700 Td (Broken) Tj ET", FONT, &[]);
    the_other_page_reads("tf-operand.pdf", &pdf);
}

#[test]
fn an_unparsable_embedded_cff_font_costs_its_page_only() {
    // A Type1C font program that is not CFF; pdf-extract unwraps the parse.
    let font = "<< /Type /Font /Subtype /Type1 /BaseFont /Broken /FontDescriptor 9 0 R >>";
    let extra = [
        "<< /Type /FontDescriptor /FontName /Broken /Flags 32 /FontFile3 10 0 R >>".to_string(),
        stream("not a CFF font program", "/Subtype /Type1C"),
    ];
    let pdf = one_bad_page_of_two("BT /F1 12 Tf 72 700 Td (Broken) Tj ET", font, &extra);
    the_other_page_reads("cff.pdf", &pdf);
}
