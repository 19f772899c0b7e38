//! What one file may cost to parse. Hostile files are cheap to make and
//! expensive to read — a 40 KB zip that inflates to gigabytes, a PDF whose
//! objects point at each other, a 2 GB upload — so every parser draws on a
//! [`Budget`] and stops with a named [`Failure`] when it runs out, and the
//! rest of the batch goes on.

use std::cell::Cell;
use std::io::Read;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Limits per file, configurable under `[parse]` in `seogo.toml`.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Larger files are refused before they are read.
    pub max_file_bytes: u64,
    /// Bytes one file may inflate to in all (zip members, HWP streams, PDF
    /// streams together).
    pub max_expanded_bytes: u64,
    /// How many times larger than its compressed size one member or stream
    /// may inflate: zip bombs run at thousands, real documents under 100.
    pub max_expansion_ratio: u64,
    /// Pages (PDF) or sections/slides/sheets read from one file.
    pub max_pages: u32,
    /// Wall-clock seconds one file may take.
    pub max_seconds: u64,
    /// How deep attachments may nest (an e-mail in a zip in an e-mail).
    pub max_nesting: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 256 * 1024 * 1024,
            max_expanded_bytes: 1024 * 1024 * 1024,
            max_expansion_ratio: 250,
            max_pages: 10_000,
            max_seconds: 120,
            max_nesting: 4,
        }
    }
}

/// Why a parser gave up; the caller adds the file's path and format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The bytes are not a well-formed file of the detected format.
    Malformed(String),
    /// Password-protected, encrypted or distribution-protected content.
    Encrypted(String),
    /// A [`Limits`] value was reached.
    Limit(String),
    /// Well-formed, but something this build does not read.
    Unsupported(String),
    /// The time limit ran out.
    Timeout,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Malformed(r) => write!(f, "damaged: {r}"),
            Failure::Encrypted(r) => write!(f, "encrypted: {r}"),
            Failure::Limit(r) => write!(f, "refused: {r}"),
            Failure::Unsupported(r) => write!(f, "unsupported: {r}"),
            Failure::Timeout => f.write_str("took longer than parse.max_seconds"),
        }
    }
}

impl Failure {
    pub(crate) fn malformed(reason: impl std::fmt::Display) -> Self {
        Failure::Malformed(reason.to_string())
    }
}

/// The running cost of one file against its [`Limits`]. Not shared between
/// threads: a file is parsed on one.
#[derive(Debug)]
pub(crate) struct Budget {
    pub(crate) limits: Limits,
    deadline: Instant,
    expanded: Cell<u64>,
}

impl Budget {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            deadline: Instant::now() + Duration::from_secs(limits.max_seconds),
            limits: limits.clone(),
            expanded: Cell::new(0),
        }
    }

    /// Called in every parser's main loop.
    pub(crate) fn check_time(&self) -> Result<(), Failure> {
        if Instant::now() > self.deadline {
            Err(Failure::Timeout)
        } else {
            Ok(())
        }
    }

    /// Page (or sheet, slide, section) number `n`, 1-based, may be read.
    pub(crate) fn check_page(&self, n: usize) -> Result<(), Failure> {
        self.check_time()?;
        if n > self.limits.max_pages as usize {
            return Err(Failure::Limit(format!(
                "more than {} pages (parse.max_pages)",
                self.limits.max_pages
            )));
        }
        Ok(())
    }

    /// Reads a decompressing `reader` whose input was `compressed` bytes,
    /// stopping as soon as the output passes the ratio or the file's
    /// remaining expansion budget — never after. `what` names the member.
    pub(crate) fn inflate(
        &self,
        reader: impl Read,
        compressed: u64,
        what: &str,
    ) -> Result<Vec<u8>, Failure> {
        let remaining = self
            .limits
            .max_expanded_bytes
            .saturating_sub(self.expanded.get());
        let by_ratio = compressed
            .max(1024)
            .saturating_mul(self.limits.max_expansion_ratio);
        let cap = remaining.min(by_ratio);
        let mut out = Vec::new();
        reader
            .take(cap.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| Failure::malformed(format!("{what}: {e}")))?;
        if out.len() as u64 > cap {
            return Err(Failure::Limit(if cap == by_ratio {
                format!(
                    "{what} inflates more than {}× its compressed size of {compressed} bytes \
                     (parse.max_expansion_ratio): a decompression bomb?",
                    self.limits.max_expansion_ratio
                )
            } else {
                format!(
                    "more than {} bytes once decompressed (parse.max_expanded_bytes)",
                    self.limits.max_expanded_bytes
                )
            }));
        }
        self.expanded.set(self.expanded.get() + out.len() as u64);
        Ok(out)
    }
}

/// The message of a caught panic (a third-party parser's, for the error
/// that names the file; the embedding thread's, for an ingest's error).
pub fn panic_reason(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflation_stops_at_the_ratio() {
        let limits = Limits {
            max_expansion_ratio: 10,
            ..Limits::default()
        };
        let budget = Budget::new(&limits);
        let zeros = std::io::repeat(0).take(1 << 40);
        let err = budget.inflate(zeros, 100, "x.xml").expect_err("bomb");
        assert!(
            matches!(err, Failure::Limit(ref m) if m.contains("10×")),
            "{err:?}"
        );
        let ok = budget.inflate(&b"abc"[..], 3, "y").expect("small");
        assert_eq!(ok, b"abc");
    }
}
