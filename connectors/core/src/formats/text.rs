//! Markdown, plain text and delimited tables (CSV/TSV), already decoded.

use crate::delimited::read_rows;
use crate::formats::Extracted;
use crate::limits::Failure;
use crate::outline::Outline;
use seogo_types::Table;

/// `Some((level, heading))` for an ATX heading line (`## 3.2 점검`).
pub(crate) fn heading_level(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let level = trimmed.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &trimmed[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let heading = rest.trim().trim_end_matches('#').trim();
    Some((level, heading))
}

/// Splits Markdown at ATX headings (outside fenced code) into sections whose
/// heading path is the stack of enclosing headings; the body keeps its
/// Markdown (lists, tables and code read fine as they are).
pub(crate) fn markdown(text: &str) -> Extracted {
    let mut outline = Outline::new();
    let mut body = String::new();
    let mut in_fence = false;
    for line in text.lines() {
        let fence = line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~");
        if fence {
            in_fence = !in_fence;
        }
        let heading = if in_fence || fence {
            None
        } else {
            heading_level(line)
        };
        match heading {
            Some((level, heading)) if !heading.is_empty() => {
                outline.paragraph(&body);
                body.clear();
                outline.heading(level as u8, heading);
            }
            _ => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    outline.paragraph(&body);
    Extracted::from_outline(outline)
}

pub(crate) fn plain(text: &str) -> Extracted {
    let mut outline = Outline::new();
    outline.paragraph(text);
    Extracted::from_outline(outline)
}

/// A CSV/TSV file as one table whose first row is the header.
pub(crate) fn delimited(text: &str, delimiter: u8, title: &str) -> Result<Extracted, Failure> {
    let rows = read_rows(text, delimiter).map_err(Failure::Malformed)?;
    if rows.is_empty() {
        return Err(Failure::malformed("no rows"));
    }
    let mut outline = Outline::new();
    outline.heading(1, title);
    outline.table(
        Table {
            header_rows: 1,
            rows,
            caption: None,
        },
        None,
    );
    Ok(Extracted {
        title: None,
        sections: outline.finish(),
        ..Extracted::default()
    })
}
