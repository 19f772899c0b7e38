//! A pure-Rust MeCab (mecab-ko flavour) morphological analyzer.
//!
//! It reads the *compiled* binary dictionary that `mecab-dict-index`
//! produces (mecab-ko-dic 2.1.1 as shipped in the `python-mecab-ko-dic`
//! wheel: `sys.dic`, `unk.dic`, `char.bin`, `matrix.bin`, `dicrc`) and
//! reproduces MeCab 0.996's lattice construction and Viterbi search,
//! including mecab-ko's `left-space-penalty-factor`, which makes a particle
//! or ending that follows a space expensive (so `화학 이외의` stays `이외`).
//!
//! Like MeCab, line breaks are whitespace: a text is one lattice, so a
//! sentence hard-wrapped across lines is analysed as if it were not. Only
//! a text longer than 4 KiB is cut into pieces, at a
//! paragraph or sentence end where possible, to keep memory bounded; that
//! cut is the one place where the result can differ from MeCab's.

mod files;
#[cfg(test)]
mod tests;
mod viterbi;

use std::fmt;
use std::path::Path;

use crate::AnalysisError;
use files::{bad, CharInfo, CharTable, Lexicon, Matrix};

/// A compiled MeCab dictionary (sys.dic, unk.dic, char.bin, matrix.bin, dicrc).
///
/// About 100 MB in memory for mecab-ko-dic; load it once and share it (it is
/// `Send + Sync`, and [`tokenize`](Self::tokenize) takes `&self`).
pub struct Dictionary {
    sys: Lexicon,
    unk: Lexicon,
    chars: CharTable,
    matrix: Matrix,
    /// `unk.dic` token range `(first, count)` per character category, in
    /// `char.bin`'s category order.
    unk_tokens: Vec<(u32, u32)>,
    /// Extra cost for a node preceded by whitespace, by posid.
    space_penalty: Vec<i32>,
    /// The category of U+0020: characters skipped before a node.
    space: CharInfo,
}

impl fmt::Debug for Dictionary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dictionary")
            .field("entries", &self.sys.token_count())
            .field("categories", &self.chars.names)
            .field("matrix", &(self.matrix.lsize, self.matrix.rsize))
            .finish_non_exhaustive()
    }
}

impl Dictionary {
    /// Loads and validates the dictionary in `dir`. A file that is missing
    /// gives [`AnalysisError::Io`], one that is truncated or inconsistent
    /// [`AnalysisError::BadDictionary`]; both name the file.
    pub fn open(dir: &Path) -> Result<Self, AnalysisError> {
        let chars = CharTable::load(&dir.join("char.bin"))?;

        let unk_path = dir.join("unk.dic");
        let unk = Lexicon::load(&unk_path)?;
        let unk_tokens = chars
            .names
            .iter()
            .map(|name| {
                let value = unk.exact_match(name.as_bytes()).ok_or_else(|| {
                    bad(&unk_path, format!("no entry for character category {name}"))
                })?;
                let (first, count) = (value >> 8, value & 0xff);
                if (first + count) as usize > unk.token_count() {
                    return Err(bad(
                        &unk_path,
                        format!("entry {name} points past the tokens"),
                    ));
                }
                Ok((first, count))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let space_penalty = files::load_space_penalties(&dir.join("dicrc"))?;

        let matrix = Matrix::load(&dir.join("matrix.bin"))?;
        unk.validate(&unk_path, &matrix)?;

        let sys_path = dir.join("sys.dic");
        let sys = Lexicon::load(&sys_path)?;
        if sys.kind != 0 {
            return Err(bad(
                &sys_path,
                format!("dictionary type {}, not a system dictionary", sys.kind),
            ));
        }
        sys.validate(&sys_path, &matrix)?;

        let space = chars.info(' ');
        Ok(Self {
            sys,
            unk,
            chars,
            matrix,
            unk_tokens,
            space_penalty,
            space,
        })
    }

    /// Best-path morphemes of `text`, in order; byte offsets into `text`.
    /// Whitespace (line breaks included) is never part of a morpheme.
    pub fn tokenize<'d>(&'d self, text: &str) -> Vec<Morpheme<'d>> {
        let mut out = Vec::with_capacity(text.len() / 6);
        let mut lattice = viterbi::Lattice::default();
        let mut off = 0;
        while off < text.len() {
            let rest = &text[off..];
            let cut = viterbi::segment_end(rest);
            self.analyze(&rest[..cut], off, &mut lattice, &mut out);
            off += cut;
        }
        out
    }

    #[inline]
    fn penalty(&self, posid: u16) -> i32 {
        self.space_penalty
            .get(usize::from(posid))
            .copied()
            .unwrap_or(0)
    }
}

/// One morpheme of the best path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Morpheme<'d> {
    /// Byte offset of the surface in the analysed text.
    pub start: usize,
    /// Byte offset just past the surface.
    pub end: usize,
    /// The dictionary's feature CSV: POS, semantic class, final consonant
    /// (T/F), reading, type, first POS, last POS, expression.
    pub feature: &'d str,
    /// Not in the dictionary: made up from the character category
    /// (feature `SL,*,…`, `SN,*,…`, `NNG,*,…`, …).
    pub unknown: bool,
}

impl<'d> Morpheme<'d> {
    fn field(&self, i: usize) -> Option<&'d str> {
        self.feature.split(',').nth(i)
    }

    /// First feature field: "NNG", "JKS", or "VV+EP" for inflected forms.
    pub fn pos(&self) -> &'d str {
        self.field(0).unwrap_or("")
    }

    /// Fifth field (index 4): "Inflect", "Compound", "Preanalysis" or "*".
    pub fn kind(&self) -> &'d str {
        self.field(4).unwrap_or("*")
    }

    /// The expression (field index 7, e.g. "삼성/NNP/*+전자/NNG/*" or
    /// "하/VV/*+였/EP/*") split into (surface, pos) parts; empty when the
    /// field is "*" or absent.
    pub fn parts(&self) -> Vec<(&'d str, &'d str)> {
        match self.field(7) {
            None | Some("*") | Some("") => Vec::new(),
            Some(expr) => expr
                .split('+')
                .filter_map(|part| {
                    let mut it = part.split('/');
                    Some((it.next()?, it.next()?))
                })
                .collect(),
        }
    }
}
