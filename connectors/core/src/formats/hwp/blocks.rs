//! What the HWP and HWPX readers make of a document before it becomes
//! sections: paragraphs with their role and tables, in reading order.

use super::grid::{lay_out, Cell};
use crate::outline::Outline;
use seogo_types::Table;

/// What a paragraph is, from its paragraph shape or style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Body,
    /// An outline (개요) paragraph: a heading, 1 = top.
    Heading(u8),
    /// A numbered or bulleted paragraph at a depth, 0 = top.
    Item(usize),
}

#[derive(Debug)]
pub(crate) enum Block {
    Paragraph {
        text: String,
        role: Role,
        locator: String,
    },
    Table {
        table: Table,
        locator: String,
    },
}

/// The blocks as sections. A heading with nothing under it (the next block
/// is a heading at its level or above, or the end) is kept as a paragraph:
/// documents typed entirely in outline styles would otherwise lose their
/// text, since a heading alone makes no section.
pub(crate) fn emit(blocks: impl IntoIterator<Item = Block>) -> Outline {
    let mut outline = Outline::new();
    let mut pending: Option<(u8, String, String)> = None;
    for block in blocks {
        if let Block::Paragraph { text, .. } = &block {
            if text.trim().is_empty() {
                continue;
            }
        }
        let opens = match &block {
            Block::Paragraph {
                role: Role::Heading(level),
                ..
            } => Some(*level),
            _ => None,
        };
        if let Some((level, text, locator)) = pending.take() {
            if opens.is_some_and(|next| next <= level) {
                outline.paragraph_at(&text, Some(locator));
            } else {
                outline.heading(level, &text);
            }
        }
        match block {
            Block::Paragraph {
                text,
                role: Role::Heading(level),
                locator,
            } => pending = Some((level, text, locator)),
            Block::Paragraph {
                text,
                role: Role::Item(depth),
                ..
            } => outline.list_item(depth, &text),
            Block::Paragraph { text, locator, .. } => outline.paragraph_at(&text, Some(locator)),
            Block::Table { table, locator } => outline.table(table, Some(locator)),
        }
    }
    if let Some((_, text, locator)) = pending {
        outline.paragraph_at(&text, Some(locator));
    }
    outline
}

/// A table's cells (with their paragraphs already flattened) and caption
/// as a table block, or — a grid too large to lay out — as paragraphs, so
/// the words are kept.
pub(crate) fn push_table(
    cells: Vec<Cell>,
    caption: &[Block],
    marked_header: bool,
    locator: &str,
    out: &mut Vec<Block>,
) {
    let caption = Some(flatten(caption)).filter(|c| !c.trim().is_empty());
    let texts: Vec<String> = cells.iter().map(|c| c.text.clone()).collect();
    match lay_out(cells, marked_header) {
        Some(mut table) => {
            table.caption = caption;
            out.push(Block::Table {
                table,
                locator: locator.to_string(),
            });
        }
        None => {
            for text in caption.into_iter().chain(texts) {
                out.push(Block::Paragraph {
                    text,
                    role: Role::Body,
                    locator: locator.to_string(),
                });
            }
        }
    }
}

/// Text of blocks as one cell: paragraphs on lines, a nested table's cells
/// row by row (a cell holds one string, so a table inside it is flattened).
pub(crate) fn flatten(blocks: &[Block]) -> String {
    let mut lines: Vec<String> = Vec::new();
    for block in blocks {
        match block {
            Block::Paragraph { text, .. } => lines.push(text.trim().to_string()),
            Block::Table { table, .. } => {
                for row in &table.rows {
                    let mut row = row.clone();
                    row.dedup();
                    lines.push(row.join(" "));
                }
            }
        }
    }
    lines.retain(|l| !l.is_empty());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paragraph(text: &str, role: Role) -> Block {
        Block::Paragraph {
            text: text.into(),
            role,
            locator: "here".into(),
        }
    }

    #[test]
    fn headings_without_body_stay_as_text() {
        let outline = emit([
            paragraph("1장", Role::Heading(1)),
            paragraph("1.1", Role::Heading(2)),
            paragraph("본문", Role::Body),
            paragraph("2장", Role::Heading(1)),
            paragraph("3장", Role::Heading(1)),
        ]);
        let sections = outline.finish();
        assert_eq!(sections.len(), 1);
        assert_eq!(sections[0].heading_path, ["1장", "1.1"]);
        assert_eq!(sections[0].text, "본문\n\n2장\n\n3장");
    }
}
