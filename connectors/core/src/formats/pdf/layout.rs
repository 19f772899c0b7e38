//! Glyphs to lines to reading order: glyphs on one baseline become a line,
//! split where a gap is wider than an em (columns, unruled table cells);
//! lines and tables are then ordered by recursive XY cuts, a vertical cut
//! only between columns of prose so unruled tables still read row by row.

use super::collect::Glyph;
use super::paths::Rule;

/// A run of text on one baseline, in the reading frame (y up).
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub text: String,
    pub x0: f64,
    pub x1: f64,
    pub y: f64,
    /// The size most of its characters have.
    pub size: f64,
}

impl Line {
    fn top(&self) -> f64 {
        self.y + 0.8 * self.size
    }
    fn bottom(&self) -> f64 {
        self.y - 0.25 * self.size
    }
}

/// What a page shows, in the reading frame.
#[derive(Debug, Clone)]
pub(super) enum Item {
    Line(Line),
    /// Index into the page's tables, with its box.
    Table {
        index: usize,
        x0: f64,
        x1: f64,
        top: f64,
        bottom: f64,
    },
}

impl Item {
    fn x0(&self) -> f64 {
        match self {
            Item::Line(l) => l.x0,
            Item::Table { x0, .. } => *x0,
        }
    }
    fn x1(&self) -> f64 {
        match self {
            Item::Line(l) => l.x1,
            Item::Table { x1, .. } => *x1,
        }
    }
    fn top(&self) -> f64 {
        match self {
            Item::Line(l) => l.top(),
            Item::Table { top, .. } => *top,
        }
    }
    fn bottom(&self) -> f64 {
        match self {
            Item::Line(l) => l.bottom(),
            Item::Table { bottom, .. } => *bottom,
        }
    }
}

/// Turns a point by `quarter` quarter turns clockwise, so text written in
/// that direction reads left to right.
pub(super) fn turn(quarter: u8, x: f64, y: f64) -> (f64, f64) {
    match quarter % 4 {
        0 => (x, y),
        1 => (y, -x),
        2 => (-x, -y),
        _ => (-y, x),
    }
}

pub(super) fn turn_glyph(quarter: u8, g: &Glyph) -> Glyph {
    let (x, y) = turn(quarter, g.x, g.y);
    Glyph { x, y, ..g.clone() }
}

pub(super) fn turn_rule(quarter: u8, r: &Rule) -> Rule {
    let (ax, ay) = turn(quarter, r.x0, r.y0);
    let (bx, by) = turn(quarter, r.x1, r.y1);
    Rule {
        x0: ax.min(bx),
        y0: ay.min(by),
        x1: ax.max(bx),
        y1: ay.max(by),
    }
}

/// Lines from glyphs already in the reading frame.
pub(super) fn lines(mut glyphs: Vec<Glyph>) -> Vec<Line> {
    glyphs.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut out = Vec::new();
    let mut i = 0;
    while i < glyphs.len() {
        let (y, size) = (glyphs[i].y, glyphs[i].size);
        let mut j = i + 1;
        while j < glyphs.len() && (y - glyphs[j].y).abs() <= 0.3 * size.max(glyphs[j].size) {
            j += 1;
        }
        let mut row: Vec<&Glyph> = glyphs[i..j].iter().collect();
        row.sort_by(|a, b| a.x.total_cmp(&b.x));
        split_row(&row, y, &mut out);
        i = j;
    }
    out
}

/// Splits one baseline's glyphs at gaps wider than an em. Spaces come
/// from geometry: space glyphs only lower the gap that counts as one (some
/// producers pad cells with spaces drawn over the text).
fn split_row(row: &[&Glyph], y: f64, out: &mut Vec<Line>) {
    let mut text = String::new();
    let mut sizes: Vec<(f64, usize)> = Vec::new();
    let (mut x0, mut end): (f64, f64) = (0.0, f64::NEG_INFINITY);
    let mut last: Option<&Glyph> = None;
    let mut saw_space = false;
    for g in row {
        if g.text.trim().is_empty() {
            saw_space = true;
            continue;
        }
        if let Some(p) = last {
            // Overprinted (fake bold) glyphs are drawn twice.
            if p.text == g.text
                && (p.x - g.x).abs() < 0.2 * g.size
                && (p.y - g.y).abs() < 0.2 * g.size
            {
                continue;
            }
            let gap = g.x - end;
            let em = p.size.max(g.size);
            if gap > em {
                push_line(&mut text, x0, end, y, &sizes, out);
                sizes.clear();
            } else if gap > 0.15 * em || (saw_space && gap > 0.08 * em) {
                text.push(' ');
            }
        }
        if text.is_empty() {
            x0 = g.x;
        }
        text.push_str(&g.text);
        let rounded = (g.size * 2.0).round() / 2.0;
        match sizes.iter_mut().find(|(s, _)| *s == rounded) {
            Some((_, n)) => *n += 1,
            None => sizes.push((rounded, 1)),
        }
        let w = if g.w > 0.0 { g.w } else { 0.5 * g.size };
        end = end.max(g.x + w + g.space);
        last = Some(g);
        saw_space = false;
    }
    push_line(&mut text, x0, end, y, &sizes, out);
}

fn push_line(
    text: &mut String,
    x0: f64,
    x1: f64,
    y: f64,
    sizes: &[(f64, usize)],
    out: &mut Vec<Line>,
) {
    let t = text.trim();
    if let (false, Some(&(size, _))) = (t.is_empty(), sizes.iter().max_by_key(|(_, n)| *n)) {
        out.push(Line {
            text: t.to_string(),
            x0,
            x1,
            y,
            size,
        });
    }
    text.clear();
}

/// Items in reading order, grouped in rows (items side by side on one
/// baseline, e.g. cells of an unruled table, share a row).
pub(super) fn reading_order(items: Vec<Item>) -> Vec<Vec<Item>> {
    let mut out = Vec::new();
    cut(items, &mut out, 0);
    out
}

fn median_size(items: &[Item]) -> f64 {
    let mut sizes: Vec<f64> = items
        .iter()
        .filter_map(|i| match i {
            Item::Line(l) => Some(l.size),
            Item::Table { .. } => None,
        })
        .collect();
    sizes.sort_by(f64::total_cmp);
    sizes.get(sizes.len() / 2).copied().unwrap_or(10.0)
}

fn cut(items: Vec<Item>, out: &mut Vec<Vec<Item>>, depth: usize) {
    if items.len() > 1 && depth < 200 {
        let m = median_size(&items);
        if let Some(x) = vertical_cut(&items, m) {
            let (left, right) = items.into_iter().partition(|i| i.x1() <= x);
            cut(left, out, depth + 1);
            cut(right, out, depth + 1);
            return;
        }
        if let Some(y) = horizontal_cut(&items, m) {
            let (upper, lower) = items.into_iter().partition(|i| i.bottom() >= y);
            cut(upper, out, depth + 1);
            cut(lower, out, depth + 1);
            return;
        }
    }
    rows(items, out);
}

/// The widest gap between merged intervals, at least `min` wide.
fn gaps(mut spans: Vec<(f64, f64)>, min: f64) -> Vec<(f64, f64)> {
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut found = Vec::new();
    let mut reach = f64::NEG_INFINITY;
    for (a, b) in spans {
        if reach.is_finite() && a - reach >= min {
            found.push((reach, a));
        }
        reach = reach.max(b);
    }
    found
}

/// A gutter (half an em or more) between two columns of prose: both sides at least twelve ems
/// wide, their lines filling half their width on average.
fn vertical_cut(items: &[Item], m: f64) -> Option<f64> {
    let spans = items.iter().map(|i| (i.x0(), i.x1())).collect();
    let mut best: Option<(f64, f64)> = None;
    for (a, b) in gaps(spans, (0.5 * m).max(3.0)) {
        let mid = (a + b) / 2.0;
        let prose = |left: bool| {
            let side: Vec<&Item> = items.iter().filter(|i| (i.x1() <= mid) == left).collect();
            let lo = side.iter().map(|i| i.x0()).fold(f64::INFINITY, f64::min);
            let hi = side
                .iter()
                .map(|i| i.x1())
                .fold(f64::NEG_INFINITY, f64::max);
            // Footnote marks and stray symbols do not count.
            let long: Vec<f64> = side
                .iter()
                .filter(|i| matches!(i, Item::Line(l) if l.text.chars().count() >= 4))
                .map(|i| i.x1() - i.x0())
                .collect();
            let width: f64 = long.iter().sum();
            long.len() >= 2 && hi - lo >= 12.0 * m && width / long.len() as f64 >= 0.5 * (hi - lo)
        };
        if prose(true) && prose(false) && best.is_none_or(|(w, _)| b - a > w) {
            best = Some((b - a, mid));
        }
    }
    best.map(|(_, x)| x)
}

/// The widest blank band across the region, at least an em high.
fn horizontal_cut(items: &[Item], m: f64) -> Option<f64> {
    let spans = items.iter().map(|i| (i.bottom(), i.top())).collect();
    gaps(spans, m)
        .into_iter()
        .max_by(|a, b| (a.1 - a.0).total_cmp(&(b.1 - b.0)))
        .map(|(a, b)| (a + b) / 2.0)
}

fn rows(mut items: Vec<Item>, out: &mut Vec<Vec<Item>>) {
    items.sort_by(|a, b| b.top().total_cmp(&a.top()));
    let mut row: Vec<Item> = Vec::new();
    let mut base = 0.0;
    for item in items {
        let (y, tol) = match &item {
            Item::Line(l) => (l.y, 0.4 * l.size),
            Item::Table { .. } => (f64::NAN, 0.0),
        };
        let joins = !row.is_empty()
            && !y.is_nan()
            && (y - base).abs() <= tol
            && matches!(row[0], Item::Line(_));
        if !joins && !row.is_empty() {
            row.sort_by(|a, b| a.x0().total_cmp(&b.x0()));
            out.push(std::mem::take(&mut row));
        }
        if row.is_empty() {
            base = y;
        }
        row.push(item);
    }
    if !row.is_empty() {
        row.sort_by(|a, b| a.x0().total_cmp(&b.x0()));
        out.push(row);
    }
}
