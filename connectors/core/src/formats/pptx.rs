//! PPTX: one page per slide in slide order, the title placeholder as the
//! slide's heading, other text frames as paragraphs (bullets as list items
//! by level), tables with spans, speaker notes after the slide's text.

use crate::formats::grid::Grid;
use crate::formats::{member_title, Extracted};
use crate::limits::{Budget, Failure};
use crate::outline::Outline;
use crate::xml::{attr, name_of, xml_text, Node, XmlReader};
use crate::zip_container::Zipped;

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    let mut zip = Zipped::open(bytes, budget)?;
    let mut slides: Vec<(u32, String)> = zip
        .names()
        .into_iter()
        .filter_map(|name| {
            let n = name
                .strip_prefix("ppt/slides/slide")?
                .strip_suffix(".xml")?
                .parse()
                .ok()?;
            Some((n, name))
        })
        .collect();
    slides.sort();
    if slides.is_empty() {
        return Err(Failure::malformed("no slides in ppt/slides/"));
    }
    let mut outline = Outline::new();
    for (page, (n, name)) in slides.iter().enumerate() {
        budget.check_page(page + 1)?;
        let xml = zip.require(name)?;
        outline.page(page as u32 + 1);
        slide(&xml_text(&xml), &mut outline, budget)?;
        let notes = format!("ppt/notesSlides/notesSlide{n}.xml");
        if let Some(xml) = zip.read(&notes)? {
            let text = notes_text(&xml_text(&xml), budget)?;
            if !text.is_empty() {
                outline.paragraph(&format!("Notes: {text}"));
            }
        }
    }
    let mut extracted = Extracted::from_outline(outline);
    extracted.title = member_title(&mut zip, "docProps/core.xml", budget)?;
    extracted.pages = Some(slides.len() as u32);
    Ok(extracted)
}

/// One slide's shapes into the outline: the title placeholder becomes a
/// level-1 heading (each slide starts afresh under it).
fn slide(xml: &str, outline: &mut Outline, budget: &Budget) -> Result<(), Failure> {
    let mut reader = XmlReader::new(xml, budget);
    let mut is_title = false;
    let mut para = String::new();
    let mut level: Option<usize> = None;
    let mut in_text = false;
    let mut grid: Option<Grid> = None;
    let mut cell = String::new();
    let mut spans = (1, 1);
    let mut covered = false;
    loop {
        match reader.next()? {
            Node::Open(e) => match name_of(&e).as_str() {
                "sp" => is_title = false,
                "ph" => {
                    let kind = attr(&e, "type").unwrap_or_default();
                    is_title = kind == "title" || kind == "ctrTitle";
                }
                "p" => {
                    para.clear();
                    level = None;
                }
                "pPr" => level = attr(&e, "lvl").and_then(|l| l.parse().ok()),
                "buChar" | "buAutoNum" => level = level.or(Some(0)),
                "t" => in_text = true,
                "br" => para.push('\n'),
                "tbl" => grid = Some(Grid::new()),
                "tr" => {
                    if let Some(g) = grid.as_mut() {
                        g.start_row();
                    }
                }
                "tc" => {
                    cell.clear();
                    let span = |name| attr(&e, name).and_then(|v| v.parse().ok()).unwrap_or(1);
                    spans = (span("gridSpan"), span("rowSpan"));
                    covered = attr(&e, "hMerge").is_some() || attr(&e, "vMerge").is_some();
                }
                _ => {}
            },
            Node::Text(t) if in_text => para.push_str(&t),
            Node::Text(_) => {}
            Node::Close(name) => match name.as_str() {
                "t" => in_text = false,
                "p" => {
                    if grid.is_some() {
                        if !cell.is_empty() {
                            cell.push(' ');
                        }
                        cell.push_str(para.trim());
                    } else if is_title {
                        outline.heading(1, &para);
                    } else if let Some(depth) = level {
                        outline.list_item(depth, &para);
                    } else {
                        outline.paragraph(&para);
                    }
                }
                // Cells covered by a span were already filled by the
                // spanning cell.
                "tc" if !covered => {
                    if let Some(g) = grid.as_mut() {
                        g.cell(std::mem::take(&mut cell), spans.0, spans.1);
                    }
                }
                "tbl" => {
                    if let Some(g) = grid.take() {
                        outline.table(g.finish(), None);
                    }
                }
                _ => {}
            },
            Node::End => return Ok(()),
        }
    }
}

/// The speaker notes' text (the notes page's body placeholder; the slide
/// image and number placeholders carry none).
fn notes_text(xml: &str, budget: &Budget) -> Result<String, Failure> {
    let mut reader = XmlReader::new(xml, budget);
    let mut out = String::new();
    let mut in_text = false;
    loop {
        match reader.next()? {
            Node::Open(e) if name_of(&e) == "t" => in_text = true,
            Node::Close(name) if name == "t" => in_text = false,
            Node::Close(name) if name == "p" => out.push(' '),
            Node::Text(t) if in_text => out.push_str(&t),
            Node::End => return Ok(out.split_whitespace().collect::<Vec<_>>().join(" ")),
            _ => {}
        }
    }
}
