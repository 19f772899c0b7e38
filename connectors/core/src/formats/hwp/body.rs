//! A BodyText section's records turned into paragraphs and tables.
//!
//! A paragraph (PARA_HEADER) carries its text (PARA_TEXT) and, nested under
//! it, one CTRL_HEADER per object anchored in it: tables, text boxes,
//! headers and footers, notes. A paragraph's text comes first, then its
//! objects in order: tables as tables, the paragraphs of text boxes and
//! other drawing objects as paragraphs. Headers, footers, master pages and
//! hidden comments are left out (they repeat on every page or are not
//! shown); footnotes and endnotes are gathered and put at the end of the
//! document, each with the locator of the paragraph that cites it.

use super::blocks::{self, Block, Role};
use super::grid::Cell;
use super::record::{self, Record, Records};
use crate::limits::{Budget, Failure};

/// Objects nest (a table in a text box in a table…); deeper than this is
/// not a document anyone wrote.
const MAX_NESTING: usize = 64;

pub(crate) struct Section<'r, 'a> {
    pub records: &'r Records<'a>,
    /// Role of each paragraph shape, by id.
    pub roles: &'r [Role],
    pub budget: &'r Budget,
    pub number: usize,
    pub blocks: Vec<Block>,
    pub notes: Vec<Block>,
}

impl Section<'_, '_> {
    /// Walks the section's top-level paragraphs.
    pub(crate) fn read(&mut self) -> Result<(), Failure> {
        let mut paragraph = 0usize;
        for &root in &self.records.roots {
            let Some(record) = self.records.get(root) else {
                continue;
            };
            if record.tag != record::PARA_HEADER {
                continue;
            }
            let locator = format!("section {} · paragraph {paragraph}", self.number);
            paragraph += 1;
            let mut blocks = Vec::new();
            self.paragraph(root, &locator, &mut blocks, 0)?;
            self.blocks.extend(blocks);
        }
        Ok(())
    }

    /// The paragraph at `index` and what is anchored in it, into `out`.
    fn paragraph(
        &mut self,
        index: usize,
        locator: &str,
        out: &mut Vec<Block>,
        depth: usize,
    ) -> Result<(), Failure> {
        self.budget.check_time()?;
        let records = self.records;
        let Some(header) = records.get(index) else {
            return Ok(());
        };
        let role = record::u16_at(header.data, 8)
            .and_then(|shape| self.roles.get(usize::from(shape)))
            .copied()
            .unwrap_or(Role::Body);
        let mut text = String::new();
        for child in children(records, header) {
            if child.tag == record::PARA_TEXT {
                text.push_str(&para_text(child.data));
            }
        }
        out.push(Block::Paragraph {
            text,
            role,
            locator: locator.to_string(),
        });
        if depth >= MAX_NESTING {
            return Ok(());
        }
        for &child in &header.children {
            let Some(control) = records.get(child) else {
                continue;
            };
            if control.tag != record::CTRL_HEADER {
                continue;
            }
            match &control_id(control.data) {
                // Headers, footers, section definitions (which hold the
                // master pages), hidden comments: not body text.
                b"head" | b"foot" | b"secd" | b"tcmt" => {}
                b"tbl " => self.table(child, locator, out, depth + 1)?,
                b"fn  " | b"en  " => {
                    let mut notes = Vec::new();
                    self.nested(child, locator, &mut notes, depth + 1)?;
                    self.notes.extend(notes);
                }
                _ => self.nested(child, locator, out, depth + 1)?,
            }
        }
        Ok(())
    }

    /// Every paragraph somewhere under `index` (text boxes, grouped
    /// drawing objects), in order.
    fn nested(
        &mut self,
        index: usize,
        locator: &str,
        out: &mut Vec<Block>,
        depth: usize,
    ) -> Result<(), Failure> {
        let records = self.records;
        let Some(record) = records.get(index) else {
            return Ok(());
        };
        if depth >= MAX_NESTING {
            return Ok(());
        }
        for &child in &record.children {
            match records.get(child).map(|r| r.tag) {
                Some(record::PARA_HEADER) => self.paragraph(child, locator, out, depth + 1)?,
                Some(_) => self.nested(child, locator, out, depth + 1)?,
                None => {}
            }
        }
        Ok(())
    }

    /// A table control: its TABLE record, then one LIST_HEADER per cell
    /// (column, row, column span, row span at offset 8) followed by the
    /// cell's paragraphs. A caption comes as a LIST_HEADER and paragraphs
    /// before the TABLE record.
    fn table(
        &mut self,
        index: usize,
        locator: &str,
        out: &mut Vec<Block>,
        depth: usize,
    ) -> Result<(), Failure> {
        let records = self.records;
        let Some(control) = records.get(index) else {
            return Ok(());
        };
        let mut seen_table = false;
        let mut caption: Vec<Block> = Vec::new();
        let mut cells: Vec<(Cell, Vec<Block>)> = Vec::new();
        for &child in &control.children {
            let Some(record) = records.get(child) else {
                continue;
            };
            match record.tag {
                record::TABLE => seen_table = true,
                record::LIST_HEADER if seen_table => {
                    let field =
                        |offset| usize::from(record::u16_at(record.data, offset).unwrap_or(0));
                    let cell = Cell {
                        col: field(8),
                        row: field(10),
                        col_span: field(12).max(1),
                        row_span: field(14).max(1),
                        text: String::new(),
                    };
                    cells.push((cell, Vec::new()));
                }
                record::PARA_HEADER => {
                    let target = match cells.last_mut() {
                        Some((_, blocks)) if seen_table => blocks,
                        _ => &mut caption,
                    };
                    let mut blocks = Vec::new();
                    self.paragraph(child, locator, &mut blocks, depth + 1)?;
                    target.extend(blocks);
                }
                _ => {}
            }
        }
        let cells: Vec<Cell> = cells
            .into_iter()
            .map(|(mut cell, blocks)| {
                cell.text = blocks::flatten(&blocks);
                cell
            })
            .collect();
        blocks::push_table(cells, &caption, false, locator, out);
        Ok(())
    }
}

fn children<'r, 'a>(
    records: &'r Records<'a>,
    record: &'r Record<'a>,
) -> impl Iterator<Item = &'r Record<'a>> {
    record.children.iter().filter_map(|&i| records.get(i))
}

/// A control's four-letter id: stored as a little-endian u32 whose bytes,
/// read from the most significant, spell it ("tbl ", "gso ", "head").
fn control_id(data: &[u8]) -> [u8; 4] {
    record::u32_at(data, 0).unwrap_or(0).to_be_bytes()
}

/// PARA_TEXT: UTF-16LE with control characters below 32. Extended and
/// inline controls (objects, fields, tabs) take 8 code units; line and
/// paragraph breaks and the special spaces and hyphen take one.
pub(crate) fn para_text(data: &[u8]) -> String {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    let mut text = String::new();
    let mut run: Vec<u16> = Vec::new();
    let mut i = 0;
    while let Some(&unit) = units.get(i) {
        if unit >= 32 {
            run.push(unit);
            i += 1;
            continue;
        }
        text.push_str(&String::from_utf16_lossy(&run));
        run.clear();
        match unit {
            // Tab (an inline control: 8 units).
            9 => {
                text.push('\t');
                i += 8;
            }
            1..=8 | 11 | 12 | 14..=23 => i += 8,
            10 => {
                text.push('\n');
                i += 1;
            }
            // Hyphen.
            24 => {
                text.push('-');
                i += 1;
            }
            // Bound and fixed-width spaces.
            30 | 31 => {
                text.push(' ');
                i += 1;
            }
            _ => i += 1,
        }
    }
    text.push_str(&String::from_utf16_lossy(&run));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_skipped_and_breaks_kept() {
        let mut units: Vec<u16> = "가".encode_utf16().collect();
        units.extend([11, 0x6c20, 0x7462, 0, 0, 0, 0, 11]);
        units.extend("나".encode_utf16());
        units.extend([9, 0, 0, 0, 0, 0, 0, 9, 10, 30, 24, 13]);
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(para_text(&bytes), "가나\t\n -");
        assert_eq!(&control_id(&[0x20, 0x6c, 0x62, 0x74]), b"tbl ");
    }
}
