//! The glyphs one page draws, as pdf-extract's interpreter reports them,
//! with their position, size and direction. Coordinates are PDF user
//! space, y up.

use std::collections::BTreeMap;

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use crate::limits::Budget;

/// One character as drawn.
#[derive(Debug, Clone)]
pub(super) struct Glyph {
    /// Origin on the baseline.
    pub x: f64,
    pub y: f64,
    /// Width of the glyph along the writing direction.
    pub w: f64,
    /// Character and word spacing added after it.
    pub space: f64,
    /// Em size in page units.
    pub size: f64,
    /// Writing direction in quarter turns (0 = left to right).
    pub quarter: u8,
    pub text: String,
}

/// Collects one page; stops the interpreter when the time runs out or the
/// page draws more than `MAX_ITEMS` things.
pub(super) struct Collector<'b> {
    budget: &'b Budget,
    /// The page being drawn.
    pub glyphs: Vec<Glyph>,
    /// Pages drawn to the end, by number.
    pub done: BTreeMap<u32, Vec<Glyph>>,
    page: u32,
    pub stopped: Option<Stop>,
    calls: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Stop {
    Time,
    TooMuch,
}

/// Glyphs one page may draw: far beyond any real page, small
/// enough to keep memory bounded on a hostile one.
const MAX_ITEMS: usize = 2_000_000;

impl<'b> Collector<'b> {
    pub fn new(budget: &'b Budget) -> Self {
        Self {
            budget,
            glyphs: Vec::new(),
            done: BTreeMap::new(),
            page: 0,
            stopped: None,
            calls: 0,
        }
    }

    fn tick(&mut self) -> Result<(), OutputError> {
        self.calls = self.calls.wrapping_add(1);
        if self.calls.is_multiple_of(256) && self.budget.check_time().is_err() {
            self.stopped = Some(Stop::Time);
        } else if self.glyphs.len() > MAX_ITEMS {
            self.stopped = Some(Stop::TooMuch);
        }
        match self.stopped {
            Some(_) => Err(OutputError::FormatError(std::fmt::Error)),
            None => Ok(()),
        }
    }
}

impl OutputDev for Collector<'_> {
    fn begin_page(
        &mut self,
        page_num: u32,
        _media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.page = page_num;
        self.glyphs.clear();
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.done
            .insert(self.page, std::mem::take(&mut self.glyphs));
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        spacing: f64,
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
        // Character and word spacing widen the advance: letter-spaced text
        // is not split into words.
        let space = if spacing.is_finite() {
            (spacing * a.hypot(b)).max(0.0)
        } else {
            0.0
        };
        self.glyphs.push(Glyph {
            x: trm.m31,
            y: trm.m32,
            w,
            space,
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
}
