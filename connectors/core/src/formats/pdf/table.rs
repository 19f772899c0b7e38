//! Ruled tables: the horizontal and vertical rules a page draws are
//! merged, grouped into grids of connected rules, and each glyph inside a
//! grid goes to its cell. Where a rule between two grid cells is missing
//! the cells are one merged cell, whose text every covered cell repeats.

use super::collect::Glyph;
use super::layout::{lines, Line};
use super::paths::Rule;
use seogo_types::Table;

/// Points within which rules meet or line up.
const TOL: f64 = 2.0;

/// A table found on a page and where it is.
#[derive(Debug)]
pub(super) struct Found {
    pub table: Table,
    pub x0: f64,
    pub x1: f64,
    pub top: f64,
    pub bottom: f64,
}

/// Tables from `rules`; the glyphs they hold are taken out of `glyphs`.
pub(super) fn find(rules: &[Rule], glyphs: &mut Vec<Glyph>) -> Vec<Found> {
    let (h, v): (Vec<Rule>, Vec<Rule>) = rules.iter().partition(|r| r.horizontal());
    let h = merge(h, true);
    let v = merge(v, false);
    if h.len() < 3 || v.len() < 3 || h.len() * v.len() > 4_000_000 {
        return Vec::new();
    }
    // Connected groups of crossing rules: union-find over h then v.
    let mut parent: Vec<usize> = (0..h.len() + v.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for (i, a) in h.iter().enumerate() {
        for (j, b) in v.iter().enumerate() {
            if crosses(a, b) {
                let (ra, rb) = (root(&mut parent, i), root(&mut parent, h.len() + j));
                parent[ra] = rb;
            }
        }
    }
    let mut groups: Vec<(usize, Vec<Rule>, Vec<Rule>)> = Vec::new();
    for (i, rule) in h.iter().chain(v.iter()).enumerate() {
        let r = root(&mut parent, i);
        let at = match groups.iter().position(|g| g.0 == r) {
            Some(at) => at,
            None => {
                groups.push((r, Vec::new(), Vec::new()));
                groups.len() - 1
            }
        };
        if i < h.len() {
            groups[at].1.push(*rule);
        } else {
            groups[at].2.push(*rule);
        }
    }
    groups
        .into_iter()
        .filter_map(|(_, h, v)| grid(&h, &v, glyphs))
        .collect()
}

fn crosses(h: &Rule, v: &Rule) -> bool {
    v.x0 >= h.x0 - TOL && v.x0 <= h.x1 + TOL && h.y0 >= v.y0 - TOL && h.y0 <= v.y1 + TOL
}

/// Joins collinear rules that overlap or touch.
fn merge(mut rules: Vec<Rule>, horizontal: bool) -> Vec<Rule> {
    let key = |r: &Rule| {
        if horizontal {
            (r.y0, r.x0, r.x1)
        } else {
            (r.x0, r.y0, r.y1)
        }
    };
    rules.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    let mut out: Vec<Rule> = Vec::new();
    for r in rules {
        let (at, lo, hi) = key(&r);
        if let Some(last) = out.last_mut() {
            let (lat, _, lhi) = key(last);
            if (at - lat).abs() <= 1.0 && lo <= lhi + TOL {
                if horizontal {
                    last.x1 = last.x1.max(hi);
                } else {
                    last.y1 = last.y1.max(hi);
                }
                continue;
            }
        }
        out.push(r);
    }
    out
}

/// Sorted positions, those within [`TOL`] of each other counted once.
fn positions(mut at: Vec<f64>) -> Vec<f64> {
    at.sort_by(f64::total_cmp);
    let mut out: Vec<f64> = Vec::new();
    for x in at {
        if out.last().is_none_or(|l| x - l > TOL) {
            out.push(x);
        }
    }
    out
}

fn grid(h: &[Rule], v: &[Rule], glyphs: &mut Vec<Glyph>) -> Option<Found> {
    let xs = positions(v.iter().map(|r| r.x0).collect());
    let mut ys = positions(h.iter().map(|r| r.y0).collect());
    ys.reverse(); // top to bottom
    let (cols, rows) = (xs.len().checked_sub(1)?, ys.len().checked_sub(1)?);
    if cols < 2 || rows < 2 || cols * rows > 100_000 {
        return None;
    }
    // Cells joined where no rule separates them.
    let mut parent: Vec<usize> = (0..rows * cols).collect();
    let find = |p: &mut Vec<usize>, mut i: usize| {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    };
    for r in 0..rows {
        let ymid = (ys[r] + ys[r + 1]) / 2.0;
        for c in 0..cols {
            let xmid = (xs[c] + xs[c + 1]) / 2.0;
            let right_open = c + 1 < cols
                && !v.iter().any(|l| {
                    (l.x0 - xs[c + 1]).abs() <= TOL && l.y0 - TOL <= ymid && l.y1 + TOL >= ymid
                });
            let below_open = r + 1 < rows
                && !h.iter().any(|l| {
                    (l.y0 - ys[r + 1]).abs() <= TOL && l.x0 - TOL <= xmid && l.x1 + TOL >= xmid
                });
            if right_open {
                let (a, b) = (
                    find(&mut parent, r * cols + c),
                    find(&mut parent, r * cols + c + 1),
                );
                parent[a] = b;
            }
            if below_open {
                let (a, b) = (
                    find(&mut parent, r * cols + c),
                    find(&mut parent, (r + 1) * cols + c),
                );
                parent[a] = b;
            }
        }
    }
    let (x0, x1, top, bottom) = (xs[0], xs[cols], ys[0], ys[rows]);
    let mut cell_glyphs: Vec<Vec<Glyph>> = vec![Vec::new(); rows * cols];
    let mut taken = vec![false; glyphs.len()];
    for (k, g) in glyphs.iter().enumerate() {
        let (cx, cy) = (g.x + g.w / 2.0, g.y + 0.3 * g.size);
        if cx <= x0 || cx >= x1 || cy >= top || cy <= bottom {
            continue;
        }
        let c = xs
            .partition_point(|x| *x < cx)
            .saturating_sub(1)
            .min(cols - 1);
        let r = ys
            .partition_point(|y| *y > cy)
            .saturating_sub(1)
            .min(rows - 1);
        let cell = find(&mut parent, r * cols + c);
        cell_glyphs[cell].push(g.clone());
        taken[k] = true;
    }
    let cell_lines: Vec<Vec<Line>> = cell_glyphs.into_iter().map(lines).collect();
    let join = |ls: &[Line]| {
        ls.iter()
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut roots = vec![0; rows * cols];
    for (i, root) in roots.iter_mut().enumerate() {
        *root = find(&mut parent, i);
    }
    // Rows each cell group spans.
    let mut span = vec![(usize::MAX, 0); rows * cols];
    for (i, root) in roots.iter().enumerate() {
        let r = i / cols;
        span[*root] = (span[*root].0.min(r), span[*root].1.max(r));
    }
    // A grid whose rules leave large regions open (rounded corners drawn
    // as curves, a box around a figure) is not read as a table: its
    // merged "cells" would repeat whole paragraphs.
    let mut area = vec![(usize::MAX, 0, usize::MAX, 0, 0); rows * cols];
    for (i, root) in roots.iter().enumerate() {
        let (r, c) = (i / cols, i % cols);
        let a = &mut area[*root];
        *a = (a.0.min(r), a.1.max(r), a.2.min(c), a.3.max(c), a.4 + 1);
    }
    let full_first_row = |a: &(usize, usize, usize, usize, usize)| a.0 == 0 && a.1 == 0;
    let open = area.iter().enumerate().any(|(root, a)| {
        let (high, wide) = (a.1.saturating_sub(a.0) + 1, a.3.saturating_sub(a.2) + 1);
        if a.4 <= 1 || (full_first_row(a) && wide == cols) {
            return false; // unused entry, single cell or title row
        }
        (a.4 >= 4 && a.4 * 4 >= rows * cols)
            || (high >= 3 && wide >= 3)
            || (cols >= 3 && wide * 2 > cols && cell_lines[root].len() >= 3)
    });
    if open {
        return None;
    }
    let mut table: Vec<Vec<String>> = Vec::new();
    let (mut caption, mut header_rows) = (None, 0);
    for r in 0..rows {
        let row_roots = &roots[r * cols..(r + 1) * cols];
        if r == 0 && row_roots.iter().all(|x| *x == row_roots[0]) {
            // A title box across the whole table.
            caption = Some(join(&cell_lines[row_roots[0]])).filter(|c| !c.is_empty());
            continue;
        }
        // Rows the rules leave out: several cells with lines on shared
        // baselines (five records between two rules) become one row each.
        let own = |root: usize| span[root].0 == r && span[root].1 == r;
        let mut bases: Vec<f64> = Vec::new();
        let mut multi = 0;
        let mut seen = Vec::new();
        for &root in row_roots {
            if seen.contains(&root) || !own(root) {
                continue;
            }
            seen.push(root);
            if cell_lines[root].len() >= 2 {
                multi += 1;
            }
            bases.extend(cell_lines[root].iter().map(|l| l.y));
        }
        bases.sort_by(|a, b| b.total_cmp(a));
        bases.dedup_by(|a, b| (*b - *a).abs() <= TOL);
        let before = table.len();
        if multi >= 2 && bases.len() >= 2 {
            for base in &bases {
                table.push(
                    row_roots
                        .iter()
                        .map(|&root| {
                            if own(root) {
                                let at: Vec<Line> = cell_lines[root]
                                    .iter()
                                    .filter(|l| (l.y - base).abs() <= TOL)
                                    .cloned()
                                    .collect();
                                join(&at)
                            } else {
                                join(&cell_lines[root])
                            }
                        })
                        .collect(),
                );
            }
        } else {
            table.push(
                row_roots
                    .iter()
                    .map(|&root| join(&cell_lines[root]))
                    .collect(),
            );
        }
        if header_rows == 0 {
            header_rows = table.len() - before;
        }
    }
    // Columns empty in every row (rules drawn twice close together).
    let keep: Vec<bool> = (0..cols)
        .map(|c| table.iter().any(|row| !row[c].is_empty()))
        .collect();
    for row in &mut table {
        let mut c = 0;
        row.retain(|_| {
            c += 1;
            keep[c - 1]
        });
    }
    table.retain(|row| row.iter().any(|c| !c.is_empty()));
    let filled: usize = table
        .iter()
        .map(|row| row.iter().filter(|c| !c.is_empty()).count())
        .sum();
    if table.len() < 2 || keep.iter().filter(|k| **k).count() < 2 || filled < 3 {
        return None;
    }
    let mut k = 0;
    glyphs.retain(|_| {
        k += 1;
        !taken[k - 1]
    });
    Some(Found {
        table: Table {
            header_rows: header_rows.max(1),
            rows: table,
            caption,
        },
        x0,
        x1,
        top,
        bottom,
    })
}
