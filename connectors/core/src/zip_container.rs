//! Zip containers (DOCX, XLSX, PPTX, ODF, HWPX) read under a [`Budget`]:
//! members are inflated through [`Budget::inflate`], so a bomb stops at the
//! limit instead of filling memory.

use std::io::Cursor;

use zip::ZipArchive;

use crate::limits::{Budget, Failure};

pub(crate) struct Zipped<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    budget: &'a Budget,
}

impl<'a> Zipped<'a> {
    pub(crate) fn open(bytes: &'a [u8], budget: &'a Budget) -> Result<Self, Failure> {
        let archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| Failure::malformed(format!("broken zip container: {e}")))?;
        Ok(Self { archive, budget })
    }

    /// Member names in archive order.
    pub(crate) fn names(&self) -> Vec<String> {
        self.archive
            .file_names()
            .flatten()
            .map(|n| n.into_owned())
            .collect()
    }

    /// The member's bytes, or `None` when there is no such member.
    pub(crate) fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, Failure> {
        self.budget.check_time()?;
        let Some(index) = self.archive.index_for_name(name) else {
            return Ok(None);
        };
        let member = self.archive.by_index(index).map_err(|e| match e {
            zip::result::ZipError::UnsupportedArchive(m) if m.contains("ncrypt") => {
                Failure::Encrypted(format!("{name} is encrypted"))
            }
            e => Failure::malformed(format!("{name}: {e}")),
        })?;
        if member.encrypted() {
            return Err(Failure::Encrypted(format!("{name} is encrypted")));
        }
        let compressed = member.compressed_size();
        self.budget.inflate(member, compressed, name).map(Some)
    }

    /// [`Self::read`], failing when the member is missing.
    pub(crate) fn require(&mut self, name: &str) -> Result<Vec<u8>, Failure> {
        self.read(name)?
            .ok_or_else(|| Failure::malformed(format!("no `{name}` in the container")))
    }
}

impl Zipped<'_> {
    /// Refuses a container whose declared sizes already break the limits,
    /// for libraries that inflate members themselves (calamine).
    pub(crate) fn check_declared(&mut self) -> Result<(), Failure> {
        let limits = &self.budget.limits;
        let mut total = 0u64;
        for i in 0..self.archive.len() {
            let Ok(member) = self.archive.by_index_raw(i) else {
                continue;
            };
            let (size, packed) = (member.size(), member.compressed_size().max(1024));
            if size > packed.saturating_mul(limits.max_expansion_ratio) {
                return Err(Failure::Limit(format!(
                    "{} declares {size} bytes from {} compressed, more than {}× \
                     (parse.max_expansion_ratio): a decompression bomb?",
                    member.name().unwrap_or_default(),
                    member.compressed_size(),
                    limits.max_expansion_ratio
                )));
            }
            total = total.saturating_add(size);
        }
        if total > limits.max_expanded_bytes {
            return Err(Failure::Limit(format!(
                "the container declares {total} bytes once decompressed, more than \
                 {} (parse.max_expanded_bytes)",
                limits.max_expanded_bytes
            )));
        }
        Ok(())
    }
}
