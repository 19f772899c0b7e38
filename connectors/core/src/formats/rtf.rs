//! RTF: the text of the document body — `\par` paragraphs, `\cell`/`\row`
//! tables, `\'hh` bytes in the document's code page (`\ansicpg949` is
//! Korean), `\uN` Unicode with its fallback characters skipped — and
//! `\info\title` as the title; font, colour and style tables, pictures,
//! headers, footers and other `\*` destinations are left out. Groups are
//! tracked on a stack, not by recursion.

use crate::formats::grid::Grid;
use crate::formats::Extracted;
use crate::limits::{Budget, Failure};
use crate::outline::Outline;

/// Destinations whose text is not the document's.
const SKIPPED: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "pict",
    "header",
    "headerl",
    "headerr",
    "headerf",
    "footer",
    "footerl",
    "footerr",
    "footerf",
    "object",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "generator",
    "xmlnstbl",
    "themedata",
    "colorschememapping",
    "datastore",
    "latentstyles",
    "fldinst",
    "bkmkstart",
    "bkmkend",
    "revtbl",
    "pgdsctbl",
    "operator",
    "author",
    "company",
    "comment",
    "keywords",
    "subject",
    "doccomm",
];

#[derive(Clone, Copy)]
struct State {
    skip: bool,
    in_title: bool,
    /// Characters to drop after a `\uN` (its ANSI fallback).
    uc: usize,
}

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    let mut code_page = encoding_rs::WINDOWS_1252;
    let mut stack: Vec<State> = Vec::new();
    let mut state = State {
        skip: false,
        in_title: false,
        uc: 1,
    };
    let mut outline = Outline::new();
    let mut line = String::new();
    let mut title = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut drop_fallback = 0usize;
    let mut grid: Option<Grid> = None;
    let mut row_open = false;
    let mut cell = String::new();
    let mut i = 0;
    let mut steps = 0u32;
    while i < bytes.len() {
        steps = steps.wrapping_add(1);
        if steps.is_multiple_of(65_536) {
            budget.check_time()?;
        }
        let b = bytes[i];
        if b != b'\\' || bytes.get(i + 1) != Some(&b'\'') {
            flush_bytes(
                &mut pending,
                code_page,
                target(&state, &mut line, &mut title, &grid, &mut cell),
            );
        }
        match b {
            b'{' => {
                stack.push(state);
                if bytes.get(i + 1..i + 3) == Some(b"\\*") {
                    state.skip = true;
                }
                i += 1;
            }
            b'}' => {
                state = stack.pop().unwrap_or(state);
                i += 1;
            }
            b'\\' => {
                let (word, param, next) = control(bytes, i + 1);
                i = next;
                if drop_fallback > 0 && word != "'" {
                    drop_fallback -= 1;
                    continue;
                }
                match word.as_str() {
                    "'" => {
                        let hex = bytes.get(next..next + 2).unwrap_or(b"");
                        i = next + hex.len();
                        if drop_fallback > 0 {
                            drop_fallback -= 1;
                        } else if let Ok(v) =
                            u8::from_str_radix(std::str::from_utf8(hex).unwrap_or(""), 16)
                        {
                            if !state.skip {
                                pending.push(v);
                            }
                        }
                    }
                    "ansicpg" => {
                        let label = format!("cp{}", param.unwrap_or(1252));
                        code_page = match param {
                            Some(949) => encoding_rs::EUC_KR,
                            _ => encoding_rs::Encoding::for_label(label.as_bytes())
                                .unwrap_or(encoding_rs::WINDOWS_1252),
                        };
                    }
                    "uc" => state.uc = param.unwrap_or(1).clamp(0, 8) as usize,
                    "u" => {
                        if let Some(n) = param {
                            let n = if n < 0 { n + 65_536 } else { n };
                            if let Some(c) = char::from_u32(n as u32) {
                                if !state.skip {
                                    target(&state, &mut line, &mut title, &grid, &mut cell).push(c);
                                }
                            }
                            drop_fallback = state.uc;
                        }
                    }
                    "title" => state.in_title = true,
                    "info" => {}
                    "par" | "sect" | "page" if !state.skip && grid.is_none() => {
                        outline.paragraph(&std::mem::take(&mut line));
                    }
                    "line" if !state.skip => {
                        target(&state, &mut line, &mut title, &grid, &mut cell).push('\n')
                    }
                    "tab" if !state.skip => {
                        target(&state, &mut line, &mut title, &grid, &mut cell).push('\t')
                    }
                    "trowd" | "cell" => {
                        let g = grid.get_or_insert_with(|| {
                            outline.paragraph(&std::mem::take(&mut line));
                            Grid::new()
                        });
                        if !row_open {
                            g.start_row();
                            row_open = true;
                        }
                        if word == "cell" {
                            g.cell(std::mem::take(&mut cell).trim().to_string(), 1, 1);
                        }
                    }
                    "row" => row_open = false,
                    "pard" => {
                        // A paragraph outside `\intbl` after a row ends the table.
                        if let Some(g) = grid.take_if(|_| !next_is_intbl(bytes, i)) {
                            outline.table(g.finish(), None);
                        }
                    }
                    w if SKIPPED.contains(&w) => state.skip = true,
                    "\\" | "{" | "}" if !state.skip => {
                        target(&state, &mut line, &mut title, &grid, &mut cell).push_str(&word)
                    }
                    "~" if !state.skip => {
                        target(&state, &mut line, &mut title, &grid, &mut cell).push(' ')
                    }
                    _ => {}
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                if drop_fallback > 0 {
                    drop_fallback -= 1;
                } else if !state.skip {
                    pending.push(b);
                }
                i += 1;
            }
        }
    }
    flush_bytes(
        &mut pending,
        code_page,
        target(&state, &mut line, &mut title, &grid, &mut cell),
    );
    if let Some(g) = grid.take() {
        outline.table(g.finish(), None);
    }
    outline.paragraph(&line);
    let mut extracted = Extracted::from_outline(outline);
    if !title.trim().is_empty() {
        extracted.title = Some(title.trim().to_string());
    }
    Ok(extracted)
}

/// Where text goes now: the title, the table cell, or the paragraph.
fn target<'a>(
    state: &State,
    line: &'a mut String,
    title: &'a mut String,
    grid: &Option<Grid>,
    cell: &'a mut String,
) -> &'a mut String {
    if state.in_title {
        title
    } else if grid.is_some() {
        cell
    } else {
        line
    }
}

/// Bytes from plain text and `\'hh` escapes, decoded in the code page.
fn flush_bytes(pending: &mut Vec<u8>, code_page: &'static encoding_rs::Encoding, out: &mut String) {
    if !pending.is_empty() {
        out.push_str(&code_page.decode_without_bom_handling(pending).0);
        pending.clear();
    }
}

/// The control word at `at` (after a backslash), its numeric parameter,
/// and where the text after it starts (one delimiting space is eaten).
fn control(bytes: &[u8], at: usize) -> (String, Option<i32>, usize) {
    let Some(&first) = bytes.get(at) else {
        return (String::new(), None, at);
    };
    if !first.is_ascii_alphabetic() {
        return ((first as char).to_string(), None, at + 1);
    }
    let mut end = at;
    while end < bytes.len() && bytes[end].is_ascii_alphabetic() && end - at < 32 {
        end += 1;
    }
    let word = String::from_utf8_lossy(&bytes[at..end]).into_owned();
    let mut num_end = end;
    if bytes.get(num_end) == Some(&b'-') {
        num_end += 1;
    }
    while num_end < bytes.len() && bytes[num_end].is_ascii_digit() && num_end - end < 10 {
        num_end += 1;
    }
    let param = std::str::from_utf8(&bytes[end..num_end])
        .ok()
        .and_then(|s| s.parse().ok());
    if bytes.get(num_end) == Some(&b' ') {
        num_end += 1;
    }
    (word, param, num_end)
}

/// Whether `\intbl` follows among the paragraph's leading control words.
fn next_is_intbl(bytes: &[u8], at: usize) -> bool {
    let end = (at + 200).min(bytes.len());
    let window = &bytes[at..end];
    let stop = window
        .iter()
        .position(|&b| b != b'\\' && !b.is_ascii_alphanumeric() && b != b' ' && b != b'-')
        .unwrap_or(window.len());
    window[..stop].windows(6).any(|w| w == b"\\intbl")
}
