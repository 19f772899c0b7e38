//! What one page draws, as pdf-extract's interpreter reports it: glyphs
//! with their position, size and direction, and the straight rules
//! (stroked lines, thin filled rectangles, rectangle edges) tables are
//! drawn with. Coordinates are PDF user space, y up.

use pdf_extract::{ColorSpace, MediaBox, OutputDev, OutputError, Path, PathOp, Transform};

use crate::limits::Budget;

/// One character as drawn.
#[derive(Debug, Clone)]
pub(super) struct Glyph {
    /// Origin on the baseline.
    pub x: f64,
    pub y: f64,
    /// Advance along the writing direction.
    pub w: f64,
    /// Em size in page units.
    pub size: f64,
    /// Writing direction in quarter turns (0 = left to right).
    pub quarter: u8,
    pub text: String,
}

/// An axis-parallel rule: horizontal when `y0 == y1`, vertical when
/// `x0 == x1` (after [`Rule::normalise`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rule {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rule {
    /// Axis-parallel within half a point, at least 2 points long.
    fn normalise(x0: f64, y0: f64, x1: f64, y1: f64) -> Option<Rule> {
        let (dx, dy) = ((x1 - x0).abs(), (y1 - y0).abs());
        if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
            return None;
        }
        if dy <= 0.5 && dx >= 2.0 {
            let y = (y0 + y1) / 2.0;
            Some(Rule {
                x0: x0.min(x1),
                y0: y,
                x1: x0.max(x1),
                y1: y,
            })
        } else if dx <= 0.5 && dy >= 2.0 {
            let x = (x0 + x1) / 2.0;
            Some(Rule {
                x0: x,
                y0: y0.min(y1),
                x1: x,
                y1: y0.max(y1),
            })
        } else {
            None
        }
    }

    pub fn horizontal(&self) -> bool {
        self.y0 == self.y1
    }
}

/// Collects one page; stops the interpreter when the time runs out or the
/// page draws more than `MAX_ITEMS` things.
pub(super) struct Collector<'b> {
    budget: &'b Budget,
    pub glyphs: Vec<Glyph>,
    pub rules: Vec<Rule>,
    pub media: Option<MediaBox>,
    pub stopped: Option<Stop>,
    calls: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Stop {
    Time,
    TooMuch,
}

/// Glyphs plus rules one page may draw: far beyond any real page, small
/// enough to keep memory bounded on a hostile one.
const MAX_ITEMS: usize = 2_000_000;

impl<'b> Collector<'b> {
    pub fn new(budget: &'b Budget) -> Self {
        Self {
            budget,
            glyphs: Vec::new(),
            rules: Vec::new(),
            media: None,
            stopped: None,
            calls: 0,
        }
    }

    fn tick(&mut self) -> Result<(), OutputError> {
        self.calls = self.calls.wrapping_add(1);
        if self.calls % 256 == 0 && self.budget.check_time().is_err() {
            self.stopped = Some(Stop::Time);
        } else if self.glyphs.len() + self.rules.len() > MAX_ITEMS {
            self.stopped = Some(Stop::TooMuch);
        }
        match self.stopped {
            Some(_) => Err(OutputError::FormatError(std::fmt::Error)),
            None => Ok(()),
        }
    }

    fn add_path(&mut self, ctm: &Transform, path: &Path, filled: bool) {
        let at = |x: f64, y: f64| {
            (
                x * ctm.m11 + y * ctm.m21 + ctm.m31,
                x * ctm.m12 + y * ctm.m22 + ctm.m32,
            )
        };
        let (mut start, mut cur) = ((0.0, 0.0), (0.0, 0.0));
        for op in &path.ops {
            match *op {
                PathOp::MoveTo(x, y) => {
                    cur = at(x, y);
                    start = cur;
                }
                PathOp::LineTo(x, y) => {
                    let next = at(x, y);
                    self.push(cur, next);
                    cur = next;
                }
                PathOp::CurveTo(_, _, _, _, x, y) => cur = at(x, y),
                PathOp::Close => {
                    self.push(cur, start);
                    cur = start;
                }
                PathOp::Rect(x, y, w, h) => {
                    let (a, b) = (at(x, y), at(x + w, y + h));
                    let (wide, high) = ((b.0 - a.0).abs(), (b.1 - a.1).abs());
                    if filled && (wide <= 3.0 || high <= 3.0) {
                        // A rule drawn as a thin filled rectangle.
                        self.push(((a.0 + b.0) / 2.0, a.1), ((a.0 + b.0) / 2.0, b.1));
                        self.push((a.0, (a.1 + b.1) / 2.0), (b.0, (a.1 + b.1) / 2.0));
                    } else {
                        self.push(a, (b.0, a.1));
                        self.push((b.0, a.1), b);
                        self.push(b, (a.0, b.1));
                        self.push((a.0, b.1), a);
                    }
                    cur = a;
                    start = a;
                }
            }
        }
    }

    fn push(&mut self, a: (f64, f64), b: (f64, f64)) {
        if let Some(rule) = Rule::normalise(a.0, a.1, b.0, b.1) {
            self.rules.push(rule);
        }
    }
}

impl OutputDev for Collector<'_> {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.media = Some(*media_box);
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        char: &str,
    ) -> Result<(), OutputError> {
        self.tick()?;
        let (a, b, c, d) = (trm.m11, trm.m12, trm.m21, trm.m22);
        let size = font_size.abs() * (a * d - b * c).abs().sqrt();
        let scale = font_size.abs() * a.hypot(b);
        if !(size.is_finite() && size > 0.1 && scale.is_finite()) || char.is_empty() {
            return Ok(());
        }
        let turn = b.atan2(a).to_degrees().rem_euclid(360.0);
        let quarter = (((turn + 45.0) / 90.0) as u8) % 4;
        let w = if width.is_finite() {
            width.abs() * scale
        } else {
            0.0
        };
        self.glyphs.push(Glyph {
            x: trm.m31,
            y: trm.m32,
            w,
            size,
            quarter,
            text: char.to_string(),
        });
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn stroke(
        &mut self,
        ctm: &Transform,
        _colorspace: &ColorSpace,
        _color: &[f64],
        path: &Path,
    ) -> Result<(), OutputError> {
        self.tick()?;
        self.add_path(ctm, path, false);
        Ok(())
    }

    fn fill(
        &mut self,
        ctm: &Transform,
        _colorspace: &ColorSpace,
        color: &[f64],
        path: &Path,
    ) -> Result<(), OutputError> {
        self.tick()?;
        // White paint erases rather than rules.
        let white = matches!(color.len(), 1 | 3) && color.iter().all(|c| *c >= 0.99);
        if !white {
            self.add_path(ctm, path, true);
        }
        Ok(())
    }
}
