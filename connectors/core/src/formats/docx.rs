//! DOCX (WordprocessingML): paragraphs with their heading level (from the
//! style's name or outline level in `styles.xml`), list items, tables with
//! spans, explicit page breaks as pages; headers, footers and deleted
//! (tracked) text left out. The title comes from `docProps/core.xml`.

use std::collections::HashMap;

use crate::formats::grid::Grid;
use crate::formats::{member_title, Extracted};
use crate::limits::{Budget, Failure};
use crate::outline::Outline;
use crate::xml::{attr, name_of, xml_text, Node, XmlReader};
use crate::zip_container::Zipped;

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    let mut zip = Zipped::open(bytes, budget)?;
    let styles = match zip.read("word/styles.xml")? {
        Some(xml) => heading_styles(&xml_text(&xml), budget)?,
        None => HashMap::new(),
    };
    let document = zip.require("word/document.xml")?;
    let document = xml_text(&document);
    let mut walker = Walker {
        outline: Outline::new(),
        styles: &styles,
        tables: Vec::new(),
        paged: document.contains("w:type=\"page\"") || document.contains("pageBreakBefore"),
        page: 1,
    };
    walker.walk(&mut XmlReader::new(&document, budget))?;
    let pages = walker.paged.then_some(walker.page);
    let mut extracted = Extracted::from_outline(walker.outline);
    if let Some(title) = member_title(&mut zip, "docProps/core.xml", budget)? {
        extracted.title = Some(title);
    }
    extracted.pages = pages;
    Ok(extracted)
}

/// Heading level per paragraph style id: "heading 2" or an outline level
/// of 1 is level 2; "Title" is level 1.
fn heading_styles(xml: &str, budget: &Budget) -> Result<HashMap<String, u8>, Failure> {
    let mut styles = HashMap::new();
    let mut reader = XmlReader::new(xml, budget);
    let mut current: Option<String> = None;
    loop {
        match reader.next()? {
            Node::Open(e) => match name_of(&e).as_str() {
                "style" => current = attr(&e, "styleId"),
                "name" => {
                    let name = attr(&e, "val").unwrap_or_default().to_ascii_lowercase();
                    let level = match name.strip_prefix("heading ") {
                        Some(n) => n.trim().parse::<u8>().ok(),
                        None => (name == "title").then_some(1),
                    };
                    if let (Some(id), Some(level)) = (&current, level) {
                        styles.insert(id.clone(), level.clamp(1, 9));
                    }
                }
                "outlineLvl" => {
                    let level = attr(&e, "val").and_then(|v| v.parse::<u8>().ok());
                    if let (Some(id), Some(level)) = (&current, level) {
                        if level < 9 {
                            styles.entry(id.clone()).or_insert(level + 1);
                        }
                    }
                }
                _ => {}
            },
            Node::Close(name) if name == "style" => current = None,
            Node::End => return Ok(styles),
            _ => {}
        }
    }
}

struct Walker<'s> {
    outline: Outline,
    styles: &'s HashMap<String, u8>,
    /// Open tables, innermost last; a nested table's text joins its cell.
    tables: Vec<TableState>,
    paged: bool,
    page: u32,
}

struct TableState {
    grid: Grid,
    cell: String,
    col_span: usize,
    continues_above: bool,
}

#[derive(Default)]
struct Paragraph {
    text: String,
    heading: Option<u8>,
    list_level: Option<usize>,
    page_break: bool,
}

impl Walker<'_> {
    fn walk(&mut self, reader: &mut XmlReader<'_, '_>) -> Result<(), Failure> {
        if self.paged {
            self.outline.page(1);
        }
        let mut para = Paragraph::default();
        let mut in_text = false;
        let mut skip_depth = 0usize;
        loop {
            let node = reader.next()?;
            if skip_depth > 0 {
                match node {
                    Node::Open(_) => skip_depth += 1,
                    Node::Close(_) => skip_depth -= 1,
                    Node::End => return Ok(()),
                    Node::Text(_) => {}
                }
                continue;
            }
            match node {
                Node::Open(e) => match name_of(&e).as_str() {
                    // Deleted text, field instructions and drawings' alt
                    // text are not part of what the reader sees.
                    "del" | "instrText" | "delText" | "fldData" => skip_depth = 1,
                    "p" => para = Paragraph::default(),
                    "pStyle" => {
                        para.heading = attr(&e, "val").and_then(|v| self.styles.get(&v).copied())
                    }
                    "outlineLvl" => {
                        para.heading = attr(&e, "val")
                            .and_then(|v| v.parse::<u8>().ok())
                            .filter(|l| *l < 9)
                            .map(|l| l + 1)
                    }
                    "ilvl" => {
                        para.list_level = attr(&e, "val").and_then(|v| v.parse().ok()).or(Some(0))
                    }
                    "numPr" => para.list_level = para.list_level.or(Some(0)),
                    "pageBreakBefore" => para.page_break = true,
                    "t" => in_text = true,
                    "tab" => para.text.push('\t'),
                    "br" | "cr" => {
                        if attr(&e, "type").as_deref() == Some("page") {
                            self.break_page();
                        } else {
                            para.text.push('\n');
                        }
                    }
                    "tbl" => self.tables.push(TableState {
                        grid: Grid::new(),
                        cell: String::new(),
                        col_span: 1,
                        continues_above: false,
                    }),
                    "tr" => {
                        if let Some(t) = self.tables.last_mut() {
                            t.grid.start_row();
                        }
                    }
                    "tblHeader" => {
                        if let Some(t) = self.tables.last_mut() {
                            t.grid.header_row();
                        }
                    }
                    "tc" => {
                        if let Some(t) = self.tables.last_mut() {
                            t.cell.clear();
                            t.col_span = 1;
                            t.continues_above = false;
                        }
                    }
                    "gridSpan" => {
                        if let Some(t) = self.tables.last_mut() {
                            t.col_span = attr(&e, "val").and_then(|v| v.parse().ok()).unwrap_or(1);
                        }
                    }
                    "vMerge" => {
                        if let Some(t) = self.tables.last_mut() {
                            t.continues_above = attr(&e, "val").as_deref() != Some("restart");
                        }
                    }
                    _ => {}
                },
                Node::Text(text) if in_text => para.text.push_str(&text),
                Node::Text(_) => {}
                Node::Close(name) => match name.as_str() {
                    "t" => in_text = false,
                    "p" => self.end_paragraph(std::mem::take(&mut para)),
                    "tc" => {
                        if let Some(t) = self.tables.last_mut() {
                            if t.continues_above {
                                t.grid.continue_above(t.col_span);
                            } else {
                                let text = std::mem::take(&mut t.cell);
                                t.grid.cell(text.trim().to_string(), t.col_span, 1);
                            }
                        }
                    }
                    "tbl" => self.end_table(),
                    _ => {}
                },
                Node::End => return Ok(()),
            }
        }
    }

    fn break_page(&mut self) {
        if self.paged && self.tables.is_empty() {
            self.page += 1;
            self.outline.page(self.page);
        }
    }

    fn end_paragraph(&mut self, para: Paragraph) {
        if para.page_break {
            self.break_page();
        }
        if let Some(table) = self.tables.last_mut() {
            if !table.cell.is_empty() {
                table.cell.push(' ');
            }
            table.cell.push_str(para.text.trim());
            return;
        }
        match (para.heading, para.list_level) {
            (Some(level), _) => self.outline.heading(level, &para.text),
            (None, Some(depth)) => self.outline.list_item(depth, &para.text),
            (None, None) => self.outline.paragraph(&para.text),
        }
    }

    fn end_table(&mut self) {
        let Some(done) = self.tables.pop() else {
            return;
        };
        let table = done.grid.finish();
        match self.tables.last_mut() {
            Some(outer) => {
                for row in &table.rows {
                    outer.cell.push(' ');
                    outer.cell.push_str(&row.join(" "));
                }
            }
            None => self.outline.table(table, None),
        }
    }
}
