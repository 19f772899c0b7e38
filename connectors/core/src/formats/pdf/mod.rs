//! PDF: lopdf parses the file and pdf-extract interprets each page's
//! content stream (fonts, CMaps, ToUnicode, encodings), reporting every
//! glyph with its position and size and every stroked or filled path. From
//! those we rebuild lines and reading order ([`layout`]), ruled tables
//! ([`table`]) and headings (a line clearly larger than the document's body
//! text). [`guard`] checks what the two libraries do not: loops in the
//! object graph they recurse on and the inflated size of streams.
//!
//! Bounded: page count (`max_pages`, checked before any page is read),
//! time (checked between pages, every 256 glyphs inside pdf-extract's
//! interpreter and every 4096 operators of our path reader), glyphs per
//! page (two million), Flate streams (each inflated once through
//! [`Budget::inflate`] before pdf-extract inflates it again, so the ratio
//! and total expansion limits hold). Not bounded: object streams lopdf
//! inflates while loading the file (before any check can run), non-Flate
//! filters (LZW, RunLength) and fonts pdf-extract parses; a library stuck
//! inside one call is left to the parse thread's watchdog.

mod collect;
mod guard;
#[cfg(test)]
mod hostile_tests;
mod layout;
mod paths;
mod table;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::Document;

use self::collect::{Collector, Glyph, Stop};
use self::layout::{Item, Line};
use crate::formats::Extracted;
use crate::limits::{Budget, Failure};
use crate::outline::Outline;
use seogo_types::Table;

/// One page, read.
struct Page {
    n: u32,
    rows: Vec<Vec<Item>>,
    tables: Vec<Table>,
}

pub(crate) fn extract(bytes: &[u8], budget: &Budget) -> Result<Extracted, Failure> {
    let doc = load(bytes)?;
    let pages = doc.get_pages();
    if pages.is_empty() {
        return Err(Failure::malformed("the PDF has no pages"));
    }
    budget.check_page(pages.len())?;
    guard::bound_streams(&doc, budget)?;

    let mut warnings = Vec::new();
    let mut read = Vec::new();
    let mut first_failure = None;
    let mut blank = 0;
    // Loops pdf-extract would recurse on are refused page by page first.
    let mut refused = BTreeMap::new();
    for (&n, &id) in &pages {
        budget.check_page(n as usize)?;
        match guard::check_page(&doc, n, id) {
            Ok(()) => {}
            Err(f @ (Failure::Limit(_) | Failure::Timeout)) => return Err(f),
            Err(f) => {
                refused.insert(n, f);
            }
        }
    }
    let mut drawn = interpret(&doc, &pages, &refused, budget)?;
    for (&n, &id) in &pages {
        budget.check_page(n as usize)?;
        let page = match refused.remove(&n) {
            Some(failure) => Err(failure),
            None => drawn
                .remove(&n)
                .unwrap_or_else(|| Err(Failure::malformed("the page was not drawn")))
                .and_then(|glyphs| read_page(&doc, n, id, glyphs, budget)),
        };
        match page {
            Ok(page) if page.rows.is_empty() => {
                blank += 1;
                warnings.push(format!(
                    "page {n}: no extractable text (scanned image?): needs OCR, which Seogo does not do"
                ));
            }
            Ok(page) => read.push(page),
            Err(Failure::Timeout) => return Err(Failure::Timeout),
            Err(Failure::Limit(why)) => return Err(Failure::Limit(why)),
            Err(failure) => {
                let why = match &failure {
                    Failure::Malformed(m) | Failure::Unsupported(m) | Failure::Encrypted(m) => {
                        m.clone()
                    }
                    other => format!("{other:?}"),
                };
                warnings.push(format!("page {n}: not read ({why})"));
                first_failure.get_or_insert(failure);
            }
        }
    }
    if read.is_empty() {
        if let Some(failure) = first_failure.filter(|_| blank == 0) {
            return Err(failure);
        }
        return Err(Failure::Unsupported(format!(
            "no extractable text on any of {} pages: a scanned PDF needs OCR, which Seogo does not do",
            pages.len()
        )));
    }

    let mut outline = Outline::new();
    emit(&mut outline, read);
    let mut extracted = Extracted::from_outline(outline);
    let metadata = metadata(&doc);
    if let Some(title) = metadata.get("title") {
        extracted.title = Some(title.clone());
    }
    extracted.metadata = metadata;
    extracted.warnings = warnings;
    extracted.pages = Some(pages.len() as u32);
    Ok(extracted)
}

/// Parses and, when it is encrypted with an empty user password (allowed
/// to open, protected against copying or printing), decrypts.
fn load(bytes: &[u8]) -> Result<Document, Failure> {
    let loaded = catch_unwind(|| Document::load_mem(bytes))
        .map_err(|_| Failure::malformed("the PDF parser failed on this file"))?;
    let mut doc = loaded.map_err(|e| match e {
        lopdf::Error::Decryption(e) => encrypted(&e.to_string()),
        e => Failure::malformed(format!("not a readable PDF ({e})")),
    })?;
    if doc.is_encrypted() {
        doc.decrypt("").map_err(|e| encrypted(&e.to_string()))?;
    }
    Ok(doc)
}

fn encrypted(why: &str) -> Failure {
    Failure::Encrypted(format!(
        "password-protected PDF: it opens only with its password ({why})"
    ))
}

/// The glyphs of every page: one pass of pdf-extract over the document
/// (it looks each page up through the whole page tree, so page by page
/// costs the square of the page count), then page by page for those the
/// pass did not finish (it stops at the first page that fails) or when
/// some page was refused.
fn interpret(
    doc: &Document,
    pages: &BTreeMap<u32, lopdf::ObjectId>,
    refused: &BTreeMap<u32, Failure>,
    budget: &Budget,
) -> Result<BTreeMap<u32, Result<Vec<Glyph>, Failure>>, Failure> {
    let mut out = BTreeMap::new();
    if refused.is_empty() {
        let mut dev = Collector::new(budget);
        let _ = catch_unwind(AssertUnwindSafe(|| pdf_extract::output_doc(doc, &mut dev)));
        stopped(&dev)?;
        out.extend(dev.done.into_iter().map(|(n, g)| (n, Ok(g))));
    }
    for &n in pages.keys() {
        if out.contains_key(&n) || refused.contains_key(&n) {
            continue;
        }
        out.insert(n, interpret_page(doc, n, budget)?);
    }
    Ok(out)
}

fn stopped(dev: &Collector) -> Result<(), Failure> {
    match dev.stopped {
        Some(Stop::Time) => Err(Failure::Timeout),
        Some(Stop::TooMuch) => Err(Failure::Limit(
            "a page draws more than two million glyphs".into(),
        )),
        None => Ok(()),
    }
}

/// One page's glyphs; the outer error stops the file, the inner one the page.
fn interpret_page(
    doc: &Document,
    n: u32,
    budget: &Budget,
) -> Result<Result<Vec<Glyph>, Failure>, Failure> {
    let mut dev = Collector::new(budget);
    let run = catch_unwind(AssertUnwindSafe(|| {
        pdf_extract::output_doc_page(doc, &mut dev, n)
    }));
    stopped(&dev)?;
    let glyphs = dev.done.remove(&n).unwrap_or(dev.glyphs);
    Ok(match run {
        Err(panic) => Err(Failure::malformed(format!(
            "the content interpreter failed: {}",
            crate::limits::panic_reason(&*panic)
        ))),
        Ok(Err(e)) if glyphs.is_empty() => Err(Failure::malformed(format!(
            "content could not be read: {e:?}"
        ))),
        _ => Ok(glyphs),
    })
}

fn read_page(
    doc: &Document,
    n: u32,
    id: lopdf::ObjectId,
    all: Vec<Glyph>,
    budget: &Budget,
) -> Result<Page, Failure> {
    // Read in the direction most text is written (a page drawn turned).
    let mut by_turn = [0usize; 4];
    for g in &all {
        by_turn[g.quarter as usize] += 1;
    }
    let main = (0..4u8).max_by_key(|q| by_turn[*q as usize]).unwrap_or(0);
    let (main_glyphs, others): (Vec<_>, Vec<_>) = all.iter().partition(|g| g.quarter == main);
    let mut glyphs: Vec<_> = main_glyphs
        .iter()
        .map(|g| layout::turn_glyph(main, g))
        .collect();
    let rules: Vec<_> = paths::rules(doc, id, budget)?
        .iter()
        .map(|r| layout::turn_rule(main, r))
        .collect();
    budget.check_time()?;
    let found = table::find(&rules, &mut glyphs);
    let mut items: Vec<Item> = layout::lines(glyphs).into_iter().map(Item::Line).collect();
    let mut tables = Vec::new();
    for (index, f) in found.into_iter().enumerate() {
        items.push(Item::Table {
            index,
            x0: f.x0,
            x1: f.x1,
            top: f.top,
            bottom: f.bottom,
        });
        tables.push(f.table);
    }
    let mut rows = layout::reading_order(items);
    // Text in other directions (a turned caption or axis label) follows.
    for q in (0..4u8).filter(|q| *q != main) {
        let turned: Vec<_> = others
            .iter()
            .filter(|g| g.quarter == q)
            .map(|g| layout::turn_glyph(q, g))
            .collect();
        // Size 0: never a heading.
        rows.extend(
            layout::lines(turned)
                .into_iter()
                .map(|l| vec![Item::Line(Line { size: 0.0, ..l })]),
        );
    }
    Ok(Page { n, rows, tables })
}

/// The size most body text has: the character-weighted median line size.
fn body_size(pages: &[Page]) -> f64 {
    let mut sizes: Vec<(f64, usize)> = pages
        .iter()
        .flat_map(|p| p.rows.iter().flatten())
        .filter_map(|i| match i {
            Item::Line(l) => Some((l.size, l.text.chars().count())),
            Item::Table { .. } => None,
        })
        .collect();
    sizes.sort_by(|a, b| a.0.total_cmp(&b.0));
    let half = sizes.iter().map(|s| s.1).sum::<usize>() / 2;
    let mut seen = 0;
    for (size, n) in sizes {
        seen += n;
        if seen > half {
            return size;
        }
    }
    10.0
}

fn is_heading(line: &Line, body: f64) -> bool {
    let len = line.text.chars().count();
    line.size >= body * 1.08
        && line.size - body >= 0.75
        && (2..=150).contains(&len)
        && line.text.chars().filter(|c| c.is_alphabetic()).count() >= 2
        // Contact lines and addresses set large are not headings.
        && !line.text.contains('@')
        && !line.text.contains("://")
}

fn emit(outline: &mut Outline, pages: Vec<Page>) {
    let body = body_size(&pages);
    // Heading levels by size rank, largest first.
    let mut sizes: Vec<f64> = Vec::new();
    for p in &pages {
        for row in &p.rows {
            if let [Item::Line(l)] = &row[..] {
                let s = (l.size * 2.0).round() / 2.0;
                if is_heading(l, body) && !sizes.contains(&s) {
                    sizes.push(s);
                }
            }
        }
    }
    sizes.sort_by(|a, b| b.total_cmp(a));
    let level = |size: f64| {
        let s = (size * 2.0).round() / 2.0;
        sizes
            .iter()
            .position(|x| *x == s)
            .map_or(6, |i| (i + 1).min(6) as u8)
    };
    for page in pages {
        outline.page(page.n);
        let mut para = String::new();
        let mut heading: Option<(f64, String)> = None;
        let mut last: Option<Line> = None;
        let mut last_multi = false;
        let mut tables: Vec<Option<Table>> = page.tables.into_iter().map(Some).collect();
        for row in page.rows {
            // Rows of side-by-side items (an unruled table) keep their
            // line breaks; prose lines are joined.
            let multi = row.len() > 1;
            let line = match &row[..] {
                [Item::Table { index, .. }] => {
                    flush(outline, &mut para, &mut heading, level);
                    if let Some(t) = tables.get_mut(*index).and_then(Option::take) {
                        outline.table(t, Some(format!("page {}", page.n)));
                    }
                    last = None;
                    continue;
                }
                [Item::Line(l)] => l.clone(),
                _ => {
                    // Side by side: cells of an unruled table, or a label
                    // and its value.
                    let parts: Vec<&str> = row
                        .iter()
                        .filter_map(|i| match i {
                            Item::Line(l) => Some(l.text.as_str()),
                            Item::Table { .. } => None,
                        })
                        .collect();
                    let first = row.iter().find_map(|i| match i {
                        Item::Line(l) => Some(l.clone()),
                        Item::Table { .. } => None,
                    });
                    let Some(mut l) = first else { continue };
                    l.text = parts.join("  ");
                    l.size = l.size.min(body);
                    l
                }
            };
            if is_heading(&line, body) {
                let joins = heading
                    .as_ref()
                    .is_some_and(|(s, _)| (s - line.size).abs() < 0.5);
                if joins {
                    if let Some((_, text)) = heading.as_mut() {
                        text.push(' ');
                        text.push_str(&line.text);
                    }
                } else {
                    flush(outline, &mut para, &mut heading, level);
                    heading = Some((line.size, line.text.clone()));
                }
                last = Some(line);
                continue;
            }
            if heading.is_some() {
                flush(outline, &mut para, &mut heading, level);
            }
            let new_para = last.as_ref().is_none_or(|p| {
                let pitch = p.y - line.y;
                pitch < 0.0
                    || pitch > 1.7 * line.size.max(p.size)
                    || (p.size - line.size).abs() > 0.2 * body
            });
            if new_para && !para.is_empty() {
                outline.paragraph(&para);
                para.clear();
            }
            if (multi || last_multi) && !para.is_empty() {
                para.push('\n');
                para.push_str(&line.text);
            } else {
                join_line(&mut para, &line.text);
            }
            last_multi = multi;
            last = Some(line);
        }
        flush(outline, &mut para, &mut heading, level);
    }
}

fn flush(
    outline: &mut Outline,
    para: &mut String,
    heading: &mut Option<(f64, String)>,
    level: impl Fn(f64) -> u8,
) {
    if !para.is_empty() {
        outline.paragraph(para);
        para.clear();
    }
    if let Some((size, text)) = heading.take() {
        outline.heading(level(size), &text);
    }
}

/// Appends a wrapped line: a word hyphenated at the line end is rejoined.
fn join_line(para: &mut String, line: &str) {
    if para.is_empty() {
        para.push_str(line);
        return;
    }
    let hyphenated = para.ends_with('-')
        && para.chars().rev().nth(1).is_some_and(char::is_alphabetic)
        && line.chars().next().is_some_and(char::is_lowercase);
    if hyphenated {
        para.pop();
    } else {
        para.push(' ');
    }
    para.push_str(line);
}

/// /Info Title, Author and CreationDate.
fn metadata(doc: &Document) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(info) = doc
        .trailer
        .get(b"Info")
        .and_then(|o| doc.dereference(o))
        .and_then(|(_, o)| o.as_dict())
    else {
        return out;
    };
    for (key, name) in [
        (&b"Title"[..], "title"),
        (b"Author", "author"),
        (b"CreationDate", "created"),
    ] {
        let value = info
            .get(key)
            .and_then(|o| doc.dereference(o))
            .and_then(|(_, o)| lopdf::decode_text_string(o));
        let Ok(value) = value else { continue };
        let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        if value.is_empty() {
            continue;
        }
        let value = if name == "created" {
            pdf_date(value)
        } else {
            value.to_string()
        };
        out.insert(name.to_string(), value);
    }
    out
}

/// `D:20151102093015-05'00'` → `2015-11-02 09:30:15 -05:00`; anything else
/// as written.
fn pdf_date(raw: &str) -> String {
    let s = raw.strip_prefix("D:").unwrap_or(raw);
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return raw.to_string();
    }
    let part = |a: usize, b: usize, default: &str| digits.get(a..b).unwrap_or(default).to_string();
    let mut out = format!(
        "{}-{}-{} {}:{}:{}",
        part(0, 4, ""),
        part(4, 6, "01"),
        part(6, 8, "01"),
        part(8, 10, "00"),
        part(10, 12, "00"),
        part(12, 14, "00")
    );
    let zone: String = s[digits.len()..].chars().filter(|c| *c != '\'').collect();
    match zone.as_str() {
        "" => {}
        z if z.starts_with('Z') => out.push_str(" UTC"),
        z if z.len() >= 3 => {
            out.push(' ');
            out.push_str(&z[..3]);
            out.push(':');
            out.push_str(z.get(3..5).unwrap_or("00"));
        }
        _ => {}
    }
    out
}
