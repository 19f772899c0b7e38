//! Readers for the compiled MeCab dictionary files: `sys.dic`/`unk.dic`
//! (double array + tokens + features), `char.bin`, `matrix.bin` and the
//! `left-space-penalty-factor` line of `dicrc`.
//!
//! Everything is read into owned buffers (no mmap: the workspace forbids
//! `unsafe`) and decoded little-endian on access. Every index that the
//! analyzer later uses unchecked-in-spirit (token attributes into the matrix,
//! feature offsets, character categories) is validated here, once, so that a
//! corrupt file gives a [`AnalysisError::BadDictionary`] naming it instead of
//! a panic or garbage in the middle of indexing.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::AnalysisError;

/// `magic ^ DIC_MAGIC` is the file size (dictionary.cpp).
const DIC_MAGIC: u32 = 0xef71_8f77;
const DIC_VERSION: u32 = 102;
/// Ten `u32` header words, then a 32-byte charset name.
const DIC_HEADER: usize = 40 + 32;
const TOKEN_SIZE: usize = 16;
const UNIT_SIZE: usize = 8;
/// `char.bin` maps UTF-16 code units 0..0xFFFF (exclusive).
const CHAR_MAP_LEN: usize = 0xffff;

pub(super) fn bad(path: &Path, reason: impl Into<String>) -> AnalysisError {
    AnalysisError::BadDictionary {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

fn read_all(path: &Path) -> Result<Vec<u8>, AnalysisError> {
    std::fs::read(path).map_err(|e| AnalysisError::io(path, e))
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// One entry of a dictionary's token table.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token {
    pub lc: u16,
    pub rc: u16,
    pub posid: u16,
    pub wcost: i16,
    pub feature: u32,
}

/// A compiled lexicon (`sys.dic` or `unk.dic`).
pub(super) struct Lexicon {
    /// Darts double array: units of `{base: i32, check: u32}`.
    da: Vec<u8>,
    /// Token table, [`TOKEN_SIZE`] bytes per token.
    tokens: Vec<u8>,
    /// NUL-terminated feature CSVs, validated as UTF-8 once.
    features: String,
    /// 0 = system, 1 = user, 2 = unknown-word dictionary.
    pub kind: u32,
}

impl Lexicon {
    pub fn load(path: &Path) -> Result<Self, AnalysisError> {
        let io = |e| AnalysisError::io(path, e);
        let mut file = File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if size < DIC_HEADER as u64 {
            return Err(bad(path, format!("{size} bytes, shorter than the header")));
        }
        let mut header = [0u8; DIC_HEADER];
        file.read_exact(&mut header).map_err(io)?;
        let word = |i: usize| u32_at(&header, 4 * i).unwrap_or(0);
        let (magic, version, kind) = (word(0), word(1), word(2));
        let (dsize, tsize, fsize) = (word(6) as usize, word(7) as usize, word(8) as usize);
        if u64::from(magic ^ DIC_MAGIC) != size {
            return Err(bad(
                path,
                format!(
                    "header records {} bytes but the file has {size} (truncated, or not a compiled MeCab dictionary)",
                    magic ^ DIC_MAGIC
                ),
            ));
        }
        if version != DIC_VERSION {
            return Err(bad(
                path,
                format!("version {version}, expected {DIC_VERSION}"),
            ));
        }
        let charset = &header[40..];
        let charset = &charset[..charset.iter().position(|&b| b == 0).unwrap_or(32)];
        let charset = String::from_utf8_lossy(charset).to_ascii_lowercase();
        if charset != "utf-8" && charset != "utf8" {
            return Err(bad(
                path,
                format!("charset {charset:?}, only UTF-8 is supported"),
            ));
        }
        if DIC_HEADER as u64 + dsize as u64 + tsize as u64 + fsize as u64 != size
            || dsize % UNIT_SIZE != 0
            || tsize % TOKEN_SIZE != 0
            || dsize == 0
        {
            return Err(bad(
                path,
                format!("section sizes {dsize}+{tsize}+{fsize} do not add up to the file"),
            ));
        }
        let mut read = |n: usize| -> Result<Vec<u8>, AnalysisError> {
            let mut buf = vec![0u8; n];
            file.read_exact(&mut buf).map_err(io)?;
            Ok(buf)
        };
        let da = read(dsize)?;
        let tokens = read(tsize)?;
        let features = String::from_utf8(read(fsize)?)
            .map_err(|e| bad(path, format!("feature block is not UTF-8: {e}")))?;
        Ok(Self {
            da,
            tokens,
            features,
            kind,
        })
    }

    pub fn token_count(&self) -> usize {
        self.tokens.len() / TOKEN_SIZE
    }

    #[inline]
    pub fn token(&self, i: usize) -> Option<Token> {
        let b = self.tokens.get(i * TOKEN_SIZE..(i + 1) * TOKEN_SIZE)?;
        Some(Token {
            lc: u16_at(b, 0)?,
            rc: u16_at(b, 2)?,
            posid: u16_at(b, 4)?,
            wcost: u16_at(b, 6)? as i16,
            feature: u32_at(b, 8)?,
        })
    }

    /// The feature CSV at `offset` (validated at load; "" if out of range).
    #[inline]
    pub fn feature(&self, offset: u32) -> &str {
        let rest = self.features.get(offset as usize..).unwrap_or("");
        rest.find('\0').map_or(rest, |end| &rest[..end])
    }

    /// Checks every token against the connection matrix and the feature
    /// block, so that analysis can index them without failing.
    pub fn validate(&self, path: &Path, matrix: &Matrix) -> Result<(), AnalysisError> {
        for i in 0..self.token_count() {
            let Some(t) = self.token(i) else {
                return Err(bad(path, format!("token {i} unreadable")));
            };
            if usize::from(t.rc) >= matrix.lsize || usize::from(t.lc) >= matrix.rsize {
                return Err(bad(
                    path,
                    format!(
                        "token {i} has context ids {}/{} outside matrix.bin ({}x{})",
                        t.lc, t.rc, matrix.lsize, matrix.rsize
                    ),
                ));
            }
            let off = t.feature as usize;
            if off >= self.features.len() || !self.features.is_char_boundary(off) {
                return Err(bad(
                    path,
                    format!("token {i} has a bad feature offset {off}"),
                ));
            }
        }
        Ok(())
    }

    /// Darts unit `p` as `(base, check)`; `None` past the end.
    #[inline]
    fn unit(&self, p: usize) -> Option<(i32, u32)> {
        let b = self.da.get(p * UNIT_SIZE..(p + 1) * UNIT_SIZE)?;
        Some((u32_at(b, 0)? as i32, u32_at(b, 4)?))
    }

    /// The leaf value under node `b`, if a key ends there.
    #[inline]
    fn leaf(&self, b: i32) -> Option<u32> {
        let (n, check) = self.unit(usize::try_from(b).ok()?)?;
        // A leaf stores `-value - 1` (= `!value`) as its base.
        (check == b as u32 && n < 0).then_some(!n as u32)
    }

    #[inline]
    fn child(&self, b: i32, c: u8) -> Option<i32> {
        let p = usize::try_from(b).ok()? + usize::from(c) + 1;
        let (base, check) = self.unit(p)?;
        (check == b as u32).then_some(base)
    }

    /// Darts 0.32 `commonPrefixSearch`: calls `hit(value, byte_len)` for every
    /// key that is a prefix of `key`, shortest first.
    #[inline]
    pub fn common_prefix_search(&self, key: &[u8], mut hit: impl FnMut(u32, usize)) {
        let Some((mut b, _)) = self.unit(0) else {
            return;
        };
        for (i, &c) in key.iter().enumerate() {
            if let Some(v) = self.leaf(b) {
                hit(v, i);
            }
            match self.child(b, c) {
                Some(next) => b = next,
                None => return,
            }
        }
        if let Some(v) = self.leaf(b) {
            hit(v, key.len());
        }
    }

    /// Darts `exactMatchSearch`.
    pub fn exact_match(&self, key: &[u8]) -> Option<u32> {
        let (mut b, _) = self.unit(0)?;
        for &c in key {
            b = self.child(b, c)?;
        }
        self.leaf(b)
    }
}

/// A `char.bin` entry (GCC bitfield layout, little-endian).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct CharInfo(pub u32);

impl CharInfo {
    /// Bitmask of the categories the character belongs to.
    #[inline]
    pub fn types(self) -> u32 {
        self.0 & 0x3_ffff
    }
    #[inline]
    pub fn default_type(self) -> usize {
        ((self.0 >> 18) & 0xff) as usize
    }
    #[inline]
    pub fn length(self) -> u32 {
        (self.0 >> 26) & 0xf
    }
    #[inline]
    pub fn group(self) -> bool {
        (self.0 >> 30) & 1 == 1
    }
    #[inline]
    pub fn invoke(self) -> bool {
        self.0 >> 31 == 1
    }
}

/// `char.bin`: category names and the per-character category table.
pub(super) struct CharTable {
    pub names: Vec<String>,
    map: Vec<u32>,
}

impl CharTable {
    pub fn load(path: &Path) -> Result<Self, AnalysisError> {
        let bytes = read_all(path)?;
        let csize = u32_at(&bytes, 0).unwrap_or(0) as usize;
        if csize == 0 || csize > 256 || bytes.len() != 4 + 32 * csize + 4 * CHAR_MAP_LEN {
            return Err(bad(
                path,
                format!("{} bytes do not fit {csize} categories", bytes.len()),
            ));
        }
        let names = bytes[4..4 + 32 * csize]
            .chunks_exact(32)
            .map(|raw| {
                let raw = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(32)];
                String::from_utf8(raw.to_vec()).map_err(|_| bad(path, "category name is not UTF-8"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let map: Vec<u32> = bytes[4 + 32 * csize..]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if let Some(code) = map
            .iter()
            .position(|&v| CharInfo(v).default_type() >= csize)
        {
            return Err(bad(
                path,
                format!("character U+{code:04X} has an unknown default category"),
            ));
        }
        Ok(Self { names, map })
    }

    /// MeCab maps code points outside the BMP (and U+FFFF) to entry 0.
    #[inline]
    pub fn info(&self, c: char) -> CharInfo {
        CharInfo(
            self.map
                .get(c as usize)
                .or(self.map.first())
                .copied()
                .unwrap_or(0),
        )
    }
}

/// `matrix.bin`: connection costs `costs[right_id_of_left + lsize * left_id_of_right]`.
pub(super) struct Matrix {
    pub lsize: usize,
    pub rsize: usize,
    costs: Vec<i16>,
}

impl Matrix {
    pub fn load(path: &Path) -> Result<Self, AnalysisError> {
        let bytes = read_all(path)?;
        let lsize = usize::from(u16_at(&bytes, 0).unwrap_or(0));
        let rsize = usize::from(u16_at(&bytes, 2).unwrap_or(0));
        if lsize == 0 || rsize == 0 || bytes.len() != 4 + 2 * lsize * rsize {
            return Err(bad(
                path,
                format!("{} bytes do not fit a {lsize}x{rsize} matrix", bytes.len()),
            ));
        }
        let costs = bytes[4..]
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        Ok(Self {
            lsize,
            rsize,
            costs,
        })
    }

    /// Costs of every left node (indexed by its right context id) followed
    /// by a node with left context id `lc`.
    #[inline]
    pub fn row(&self, lc: u16) -> &[i16] {
        let start = self.lsize * usize::from(lc);
        self.costs.get(start..start + self.lsize).unwrap_or(&[])
    }
}

/// `left-space-penalty-factor` from `dicrc`: the extra connection cost of
/// a node whose surface follows whitespace, indexed by posid.
pub(super) fn load_space_penalties(path: &Path) -> Result<Vec<i32>, AnalysisError> {
    let bytes = read_all(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let Some(value) = text.lines().find_map(|line| {
        let line = line.trim();
        if line.starts_with([';', '#']) {
            return None;
        }
        let (key, value) = line.split_once('=')?;
        (key.trim() == "left-space-penalty-factor").then(|| value.trim().to_string())
    }) else {
        return Ok(Vec::new());
    };
    let fields: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    let mut table = Vec::new();
    // First occurrence of a posid wins (connector.cpp scans in order).
    for pair in fields.chunks(2).rev() {
        let [posid, cost] = pair else {
            return Err(bad(
                path,
                "left-space-penalty-factor has an odd number of values",
            ));
        };
        let (Ok(posid), Ok(cost)) = (posid.parse::<u16>(), cost.parse::<i32>()) else {
            return Err(bad(
                path,
                format!("bad left-space-penalty-factor pair {posid},{cost}"),
            ));
        };
        let posid = usize::from(posid);
        if table.len() <= posid {
            table.resize(posid + 1, 0);
        }
        table[posid] = cost;
    }
    Ok(table)
}
