//! The rules a page draws, read from its content stream by us: pdf-extract
//! reports paths too, but drops even-odd fills (`f*`, `B`, `b`) and lets
//! their path leak into the next paint under another transform, and ruled
//! tables are often drawn exactly so. Only what tables need is tracked:
//! the transform (`q`, `Q`, `cm`, form XObjects), path construction and
//! painting; curves only move the current point.

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Object, ObjectId};

use crate::limits::{Budget, Failure};

/// An axis-parallel rule: horizontal when `y0 == y1`, vertical when
/// `x0 == x1`. Coordinates are PDF user space, y up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rule {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rule {
    /// Axis-parallel within half a point, at least 2 points long.
    fn new(a: (f64, f64), b: (f64, f64)) -> Option<Rule> {
        let (dx, dy) = ((b.0 - a.0).abs(), (b.1 - a.1).abs());
        if ![a.0, a.1, b.0, b.1].iter().all(|v| v.is_finite()) {
            return None;
        }
        if dy <= 0.5 && dx >= 2.0 {
            let y = (a.1 + b.1) / 2.0;
            Some(Rule {
                x0: a.0.min(b.0),
                y0: y,
                x1: a.0.max(b.0),
                y1: y,
            })
        } else if dx <= 0.5 && dy >= 2.0 {
            let x = (a.0 + b.0) / 2.0;
            Some(Rule {
                x0: x,
                y0: a.1.min(b.1),
                x1: x,
                y1: a.1.max(b.1),
            })
        } else {
            None
        }
    }

    pub fn horizontal(&self) -> bool {
        self.y0 == self.y1
    }
}

/// Rules one page may draw before the rest are ignored.
const MAX_RULES: usize = 200_000;
const MAX_DEPTH: usize = 32;

type Matrix = [f64; 6];

fn times(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

fn num(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// The page's resources, inherited through /Parent (loops are refused by
/// [`super::guard`] before this runs; the walk is bounded anyway).
pub(super) fn page_resources(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    let mut at = page;
    for _ in 0..64 {
        let dict = doc.get_dictionary(at).ok()?;
        if let Ok(res) = dict.get_deref(b"Resources", doc).and_then(Object::as_dict) {
            return Some(res);
        }
        at = dict.get(b"Parent").and_then(Object::as_reference).ok()?;
    }
    None
}

/// The rules page `page` draws.
pub(super) fn rules(doc: &Document, page: ObjectId, budget: &Budget) -> Result<Vec<Rule>, Failure> {
    let mut out = Vec::new();
    let Ok(content) = doc.get_page_content(page) else {
        return Ok(out);
    };
    let resources = page_resources(doc, page);
    walk(
        doc,
        &content,
        resources,
        [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        budget,
        &mut out,
        0,
    )?;
    Ok(out)
}

fn walk(
    doc: &Document,
    content: &[u8],
    resources: Option<&Dictionary>,
    base: Matrix,
    budget: &Budget,
    out: &mut Vec<Rule>,
    depth: usize,
) -> Result<(), Failure> {
    let Ok(content) = Content::decode(content) else {
        return Ok(());
    };
    let mut ctm = base;
    let mut stack: Vec<Matrix> = Vec::new();
    let mut segments: Vec<((f64, f64), (f64, f64))> = Vec::new();
    let (mut start, mut cur) = ((0.0, 0.0), (0.0, 0.0));
    let mut white = false;
    let mut saved_white: Vec<bool> = Vec::new();
    for (k, op) in content.operations.iter().enumerate() {
        if k.is_multiple_of(4096) {
            budget.check_time()?;
        }
        if out.len() > MAX_RULES {
            return Ok(());
        }
        let n: Vec<f64> = op.operands.iter().filter_map(num).collect();
        let at =
            |x: f64, y: f64, m: &Matrix| (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5]);
        match (op.operator.as_str(), n.len()) {
            ("q", _) => {
                stack.push(ctm);
                saved_white.push(white);
            }
            ("Q", _) => {
                ctm = stack.pop().unwrap_or(base);
                white = saved_white.pop().unwrap_or(false);
            }
            ("cm", 6) => ctm = times(&[n[0], n[1], n[2], n[3], n[4], n[5]], &ctm),
            ("m", 2) => {
                cur = at(n[0], n[1], &ctm);
                start = cur;
            }
            ("l", 2) => {
                let next = at(n[0], n[1], &ctm);
                segments.push((cur, next));
                cur = next;
            }
            ("c", 6) => cur = at(n[4], n[5], &ctm),
            ("v" | "y", 4) => cur = at(n[2], n[3], &ctm),
            ("h", _) => {
                segments.push((cur, start));
                cur = start;
            }
            ("re", 4) => {
                let (x, y, w, h) = (n[0], n[1], n[2], n[3]);
                let corners = [
                    at(x, y, &ctm),
                    at(x + w, y, &ctm),
                    at(x + w, y + h, &ctm),
                    at(x, y + h, &ctm),
                ];
                for i in 0..4 {
                    segments.push((corners[i], corners[(i + 1) % 4]));
                }
                cur = corners[0];
                start = cur;
            }
            ("g", 1) | ("rg", 3) | ("sc" | "scn", 1 | 3) => white = n.iter().all(|c| *c >= 0.99),
            ("k", 4) | ("sc" | "scn", 4) => white = n.iter().all(|c| *c <= 0.01),
            ("S" | "s", _) => {
                out.extend(segments.drain(..).filter_map(|(a, b)| Rule::new(a, b)));
            }
            ("f" | "F" | "f*" | "B" | "B*" | "b" | "b*", _) => {
                if white {
                    segments.clear();
                } else {
                    out.extend(segments.drain(..).filter_map(|(a, b)| Rule::new(a, b)));
                }
            }
            ("n", _) => segments.clear(),
            ("Do", _) if depth < MAX_DEPTH => {
                let form = op
                    .operands
                    .first()
                    .and_then(|name| name.as_name().ok())
                    .and_then(|name| {
                        let xobjects =
                            resources?.get_deref(b"XObject", doc).ok()?.as_dict().ok()?;
                        xobjects.get_deref(name, doc).ok()?.as_stream().ok()
                    })
                    .filter(
                        |s| matches!(s.dict.get(b"Subtype"), Ok(Object::Name(t)) if t == b"Form"),
                    );
                if let Some(form) = form {
                    let matrix = form
                        .dict
                        .get(b"Matrix")
                        .and_then(Object::as_array)
                        .ok()
                        .map(|a| a.iter().filter_map(num).collect::<Vec<_>>())
                        .filter(|m| m.len() == 6)
                        .map_or([1.0, 0.0, 0.0, 1.0, 0.0, 0.0], |m| {
                            [m[0], m[1], m[2], m[3], m[4], m[5]]
                        });
                    let inner = form
                        .dict
                        .get_deref(b"Resources", doc)
                        .and_then(Object::as_dict)
                        .ok()
                        .or(resources);
                    if let Ok(bytes) = form.decompressed_content() {
                        walk(
                            doc,
                            &bytes,
                            inner,
                            times(&matrix, &ctm),
                            budget,
                            out,
                            depth + 1,
                        )?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}
