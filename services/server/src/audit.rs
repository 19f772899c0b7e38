//! The audit log: one JSON line per request that reads documents — who,
//! when, what was asked, which chunks were retrieved and which cited, the
//! model — appended to `audit.log` and rotated by size. Secrets and
//! resident registration numbers (주민등록번호) are masked before a line is
//! written: the log must be safe to hand to an auditor.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::config::AuditConfig;
use regex::Regex;
use serde::Serialize;

/// Failures opening the log at start (later write failures are logged).
#[derive(Debug, thiserror::Error)]
#[error("audit log {path}: {reason}")]
pub struct AuditError {
    path: PathBuf,
    reason: String,
}

/// One audited request.
#[derive(Debug, Default, Serialize)]
pub struct AuditEntry {
    pub who: String,
    pub route: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retrieved: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cited: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grounded: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Feedback, document ids read, and the like.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
    pub status: u16,
}

#[derive(Serialize)]
struct Line<'a> {
    ts: String,
    #[serde(flatten)]
    entry: &'a AuditEntry,
}

struct Writer {
    file: File,
    size: u64,
}

pub struct Audit {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    masks: Vec<(Regex, &'static str)>,
    writer: Mutex<Writer>,
}

impl std::fmt::Debug for Audit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Audit").field("path", &self.path).finish()
    }
}

/// What is masked in every logged string, whatever the configuration adds.
const BUILT_IN_MASKS: [(&str, &str); 4] = [
    // 주민등록번호 / 외국인등록번호: birth date, then a digit 1–8 and six more.
    (
        r"\b\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s?-?\s?[1-8]\d{6}\b",
        "[주민등록번호]",
    ),
    (r"\bsgo_[0-9a-f]{8}_[0-9a-f]{32}\b", "[API key]"),
    (r"\beyJ[\w-]+\.[\w-]+\.[\w-]*", "[token]"),
    (
        r"(?i)\b(password|passwd|pwd|비밀번호|암호|api[_-]?key|secret|token)\s*[:=：]\s*\S+",
        "$1=[masked]",
    ),
];

impl Audit {
    pub fn open(dir: &Path, config: &AuditConfig) -> Result<Self, AuditError> {
        let path = dir.join("audit.log");
        let error = |reason: String| AuditError {
            path: path.clone(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| error(e.to_string()))?;
        let mut masks = Vec::new();
        for (pattern, replacement) in BUILT_IN_MASKS {
            masks.push((
                Regex::new(pattern).map_err(|e| error(e.to_string()))?,
                replacement,
            ));
        }
        for (name, pattern) in &config.mask {
            let regex = Regex::new(pattern).map_err(|e| error(format!("mask `{name}`: {e}")))?;
            masks.push((regex, "[masked]"));
        }
        let file = open_append(&path).map_err(|e| error(e.to_string()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Self {
            path,
            max_bytes: config.max_bytes.max(4096),
            keep: config.keep,
            masks,
            writer: Mutex::new(Writer { file, size }),
        })
    }

    /// The log's files, newest first: `audit.log`, then the rotated ones
    /// that exist.
    pub(crate) fn files(&self) -> Vec<PathBuf> {
        std::iter::once(self.path.clone())
            .chain((1..=self.keep).map(|n| self.numbered(n)))
            .filter(|p| p.exists())
            .collect()
    }

    /// The `n`-th rotated file: `audit.log.<n>`.
    fn numbered(&self, n: usize) -> PathBuf {
        PathBuf::from(format!("{}.{n}", self.path.display()))
    }

    /// `text` with secrets and registration numbers masked.
    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (regex, replacement) in &self.masks {
            out = regex.replace_all(&out, *replacement).into_owned();
        }
        out
    }

    pub fn record(&self, mut entry: AuditEntry) {
        entry.question = entry.question.map(|q| self.mask(&q));
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| chrono::DateTime::from_timestamp(d.as_secs() as i64, d.subsec_nanos()))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_default();
        let mut line = match serde_json::to_string(&Line { ts, entry: &entry }) {
            Ok(line) => line,
            Err(e) => {
                tracing::error!(error = %e, "audit entry not serialisable");
                return;
            }
        };
        line.push('\n');
        let Ok(mut writer) = self.writer.lock() else {
            tracing::error!("audit lock poisoned");
            return;
        };
        if writer.size + line.len() as u64 > self.max_bytes {
            if let Err(e) = self.rotate(&mut writer) {
                tracing::error!(error = %e, path = %self.path.display(), "audit rotation failed");
            }
        }
        match writer.file.write_all(line.as_bytes()) {
            Ok(()) => writer.size += line.len() as u64,
            Err(e) => {
                tracing::error!(error = %e, path = %self.path.display(), "audit write failed")
            }
        }
    }

    /// audit.log → audit.log.1 → … → audit.log.<keep> (the oldest dropped).
    fn rotate(&self, writer: &mut Writer) -> std::io::Result<()> {
        if self.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            let _ = std::fs::remove_file(self.numbered(self.keep));
            for n in (1..self.keep).rev() {
                let _ = seogo_durable::rename(&self.numbered(n), &self.numbered(n + 1));
            }
            seogo_durable::rename(&self.path, &self.numbered(1)).map_err(|e| e.cause)?;
        }
        writer.file = open_append(&self.path)?;
        writer.size = 0;
        Ok(())
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(dir: &Path, max_bytes: u64) -> Audit {
        let config = AuditConfig {
            max_bytes,
            keep: 2,
            ..AuditConfig::default()
        };
        Audit::open(dir, &config).expect("open")
    }

    #[test]
    fn registration_numbers_and_secrets_are_masked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let audit = audit(dir.path(), 1 << 20);
        let masked = audit.mask(
            "주민번호 900101-1234567 와 9001011234567, 키 sgo_0123abcd_0123456789abcdef0123456789abcdef, password: hunter2, 비밀번호=1234",
        );
        for secret in [
            "900101-1234567",
            "9001011234567",
            "sgo_0123abcd",
            "hunter2",
            "1234,",
        ] {
            assert!(!masked.contains(secret), "{secret} left in {masked}");
        }
        assert!(masked.contains("[주민등록번호]"), "{masked}");
        // An ordinary number or part code is not a registration number.
        let kept = audit.mask("점검 주기 500시간, 부품 PN-4471-A, 전화 02-2100-1234");
        assert_eq!(kept, "점검 주기 500시간, 부품 PN-4471-A, 전화 02-2100-1234");
    }

    #[test]
    fn lines_are_appended_as_json_and_rotated_by_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let audit = audit(dir.path(), 4096);
        for i in 0..60 {
            audit.record(AuditEntry {
                who: "key:0123abcd".into(),
                route: "/v1/ask".into(),
                question: Some(format!("질문 {i}: 900101-1234567")),
                status: 200,
                ..AuditEntry::default()
            });
        }
        let current = std::fs::read_to_string(dir.path().join("audit.log")).expect("log");
        let first = std::fs::read_to_string(dir.path().join("audit.log.1")).expect("rotated");
        assert!(!dir.path().join("audit.log.3").exists(), "keep = 2");
        for line in current.lines().chain(first.lines()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            assert_eq!(v["who"], "key:0123abcd");
            assert!(v["ts"].as_str().is_some_and(|t| t.ends_with('Z')), "{line}");
            assert!(!line.contains("1234567"), "{line}");
        }
        assert!(
            current.contains("질문 59"),
            "the newest line is in audit.log"
        );
        assert!(current.len() <= 4096 && first.len() <= 4096);
    }
}
