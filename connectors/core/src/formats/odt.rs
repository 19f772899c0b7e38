//! OpenDocument text (`content.xml`): headings by outline level, list
//! items by nesting, tables with spans; annotations left out, notes kept
//! where they are cited. The title comes from `meta.xml`.

use crate::formats::grid::Grid;
use crate::formats::{member_title, Extracted};
use crate::limits::{Budget, Failure};
use crate::outline::Outline;
use crate::xml::{attr, name_of, xml_text, Node, XmlReader};
use crate::zip_container::Zipped;

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    let mut zip = Zipped::open(bytes, budget)?;
    let content = zip.require("content.xml")?;
    let content = xml_text(&content);
    let mut reader = XmlReader::new(&content, budget);
    let mut outline = Outline::new();
    let mut tables: Vec<Grid> = Vec::new();
    let mut list_depth = 0usize;
    let mut block: Option<(String, Option<u8>)> = None;
    let mut cell = String::new();
    let mut spans = (1usize, 1usize);
    let mut skip = 0usize;
    loop {
        let node = reader.next()?;
        if skip > 0 {
            match node {
                Node::Open(_) => skip += 1,
                Node::Close(_) => skip -= 1,
                Node::End => break,
                Node::Text(_) => {}
            }
            continue;
        }
        match node {
            Node::Open(e) => match name_of(&e).as_str() {
                "annotation" | "tracked-changes" | "note-citation" => skip = 1,
                "h" => {
                    let level = attr(&e, "outline-level").and_then(|l| l.parse::<u8>().ok());
                    block = Some((String::new(), Some(level.unwrap_or(1).clamp(1, 9))));
                }
                "p" => block = Some((String::new(), None)),
                "list" => list_depth += 1,
                "tab" | "s" => push_text(&mut block, " "),
                "line-break" => push_text(&mut block, "\n"),
                "table" => tables.push(Grid::new()),
                "table-row" => {
                    if let Some(grid) = tables.last_mut() {
                        grid.start_row();
                    }
                }
                "table-cell" => {
                    cell.clear();
                    let span = |name| attr(&e, name).and_then(|v| v.parse().ok()).unwrap_or(1);
                    spans = (span("number-columns-spanned"), span("number-rows-spanned"));
                }
                _ => {}
            },
            Node::Text(text) => push_text(&mut block, &text),
            Node::Close(name) => match name.as_str() {
                "h" | "p" => {
                    let Some((text, heading)) = block.take() else {
                        continue;
                    };
                    if !tables.is_empty() {
                        if !cell.is_empty() {
                            cell.push(' ');
                        }
                        cell.push_str(text.trim());
                    } else if let Some(level) = heading {
                        outline.heading(level, &text);
                    } else if list_depth > 0 {
                        outline.list_item(list_depth - 1, &text);
                    } else {
                        outline.paragraph(&text);
                    }
                }
                "list" => list_depth = list_depth.saturating_sub(1),
                "table-cell" => {
                    if let Some(grid) = tables.last_mut() {
                        grid.cell(std::mem::take(&mut cell), spans.0, spans.1);
                    }
                }
                "table" => {
                    if let Some(grid) = tables.pop() {
                        let table = grid.finish();
                        if tables.is_empty() {
                            outline.table(table, None);
                        } else {
                            for row in &table.rows {
                                cell.push(' ');
                                cell.push_str(&row.join(" "));
                            }
                        }
                    }
                }
                _ => {}
            },
            Node::End => break,
        }
    }
    let mut extracted = Extracted::from_outline(outline);
    if let Some(title) = member_title(&mut zip, "meta.xml", budget)? {
        extracted.title = Some(title);
    }
    Ok(extracted)
}

/// Text goes to the open paragraph (in a table cell, to the cell at its
/// end); text outside any paragraph is dropped.
fn push_text(block: &mut Option<(String, Option<u8>)>, text: &str) {
    if let Some((buf, _)) = block {
        buf.push_str(text);
    }
}
