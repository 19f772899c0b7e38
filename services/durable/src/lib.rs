//! Every file Seogo keeps (manifests, keys, sync and batch state, backups,
//! model files) is written here, and only here (`clippy.toml` refuses
//! `std::fs::write`, `rename` and `File::create` elsewhere): a temporary
//! file in the same directory, written, fsynced, renamed over the target,
//! and the directory fsynced. A reader — or the process after a power cut —
//! sees the old file or the new one, never an empty or half-written one.
//!
//! Without the directory fsync a rename can be lost at a power cut even
//! though the data was synced (ext4 with `data=ordered` keeps the order of
//! data and metadata within a file, not a directory entry's durability).
#![allow(clippy::disallowed_methods)] // this module is where they are allowed

mod unpack;

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use unpack::{member_under, unpack_member, Budget};

/// A file that could not be written, with its path (printed once).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {cause}")]
pub struct DurableError {
    pub path: PathBuf,
    pub cause: io::Error,
}

impl DurableError {
    fn new(path: &Path, cause: io::Error) -> Self {
        Self {
            path: path.to_path_buf(),
            cause,
        }
    }
}

/// Attaches the path to an I/O error, once: `std::fs::read(p).at(p)?`.
/// The crates whose errors convert from [`DurableError`] (the engine, the
/// models) use it instead of a `map_err` per call, so every I/O error
/// reads `PATH: REASON` the same way.
pub trait PathContext<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T, DurableError>;
}

impl<T> PathContext<T> for io::Result<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T, DurableError> {
        self.map_err(|cause| DurableError::new(path.as_ref(), cause))
    }
}

/// Writes `bytes` to `path` atomically and durably. `kind` names the file
/// for crash points (`SEOGO_CRASH_AT=before-rename:<kind>`).
pub fn write(path: &Path, bytes: &[u8], kind: &str) -> Result<(), DurableError> {
    Staged::create(path)?.write_whole(bytes, kind)
}

/// [`write`], readable and writable by the owner only from the first byte
/// (API key hashes, credentials).
pub fn write_private(path: &Path, bytes: &[u8], kind: &str) -> Result<(), DurableError> {
    Staged::create_private(path)?.write_whole(bytes, kind)
}

/// Writes `value` as compact JSON to `path` atomically and durably.
pub fn write_json<T: serde::Serialize>(
    path: &Path,
    value: &T,
    kind: &str,
) -> Result<(), DurableError> {
    let bytes =
        serde_json::to_vec(value).map_err(|e| DurableError::new(path, io::Error::other(e)))?;
    write(path, &bytes, kind)
}

/// A file being written under a temporary name beside its target; it
/// replaces the target only at [`Staged::commit`]. Dropped uncommitted,
/// the temporary file is removed and the target is untouched.
#[derive(Debug)]
pub struct Staged {
    file: Option<File>,
    tmp: PathBuf,
    target: PathBuf,
}

impl Staged {
    /// Starts writing `target` (its directory must exist).
    pub fn create(target: &Path) -> Result<Self, DurableError> {
        Self::open(target, false)
    }

    /// [`Staged::create`] with mode 0600 (owner only) on Unix.
    pub fn create_private(target: &Path) -> Result<Self, DurableError> {
        Self::open(target, true)
    }

    fn open(target: &Path, private: bool) -> Result<Self, DurableError> {
        let name = target
            .file_name()
            .ok_or_else(|| DurableError::new(target, io::Error::other("not a file path")))?;
        sweep_stale_temps(target, name);
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp-{}", std::process::id()));
        let tmp = target.with_file_name(tmp_name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let file = options.open(&tmp).at(&tmp)?;
        Ok(Self {
            file: Some(file),
            tmp,
            target: target.to_path_buf(),
        })
    }

    /// The temporary file's path (for error messages).
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// fsyncs the data, renames it over the target, fsyncs the directory.
    pub fn commit(mut self, kind: &str) -> Result<(), DurableError> {
        let file = self.file.take().expect("a Staged is committed once");
        file.sync_all().at(&self.tmp)?;
        drop(file);
        rename_synced(&self.tmp, &self.target, kind)
    }

    fn write_whole(mut self, bytes: &[u8], kind: &str) -> Result<(), DurableError> {
        self.write_all(bytes).at(&self.tmp)?;
        self.commit(kind)
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().map_or(Ok(0), |f| f.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Removes the `.NAME.tmp-PID` files beside `target` that a process left
/// when it died between its write and its rename (a power cut, a kill):
/// nothing else would, and each is as large as the file. A temporary file
/// of a process still running is left alone; where processes cannot be
/// seen (not Linux), every one is.
fn sweep_stale_temps(target: &Path, name: &OsStr) {
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let pid = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !process_alive(pid) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    true
}

/// Makes `tmp`, a file another library wrote (a workbook), durable and
/// renames it over `target`: the end of [`Staged::commit`] for files that
/// could not be written through a [`Staged`].
pub fn replace_with(tmp: &Path, target: &Path, kind: &str) -> Result<(), DurableError> {
    File::open(tmp).and_then(|f| f.sync_all()).at(tmp)?;
    rename_synced(tmp, target, kind)
}

/// The end of every durable write: `tmp` (already fsynced) takes the
/// target's name, and the directory is fsynced.
fn rename_synced(tmp: &Path, target: &Path, kind: &str) -> Result<(), DurableError> {
    #[cfg(feature = "crash-points")]
    crash_point(&format!("before-rename:{kind}"));
    #[cfg(not(feature = "crash-points"))]
    let _ = kind;
    std::fs::rename(tmp, target).at(target)?;
    sync_parent(target)
}

/// Renames `from` to `to` (files or whole directories, on one file
/// system) and fsyncs the directories involved.
pub fn rename(from: &Path, to: &Path) -> Result<(), DurableError> {
    std::fs::rename(from, to).at(to)?;
    sync_parent(to)?;
    match (from.parent(), to.parent()) {
        (Some(a), Some(b)) if a != b => sync_parent(from),
        _ => Ok(()),
    }
}

/// Makes a rename, creation or removal in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<(), DurableError> {
    File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

fn sync_parent(path: &Path) -> Result<(), DurableError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => sync_dir(Path::new(".")),
    }
}

/// Dies on the spot, as a power cut would, when `SEOGO_CRASH_AT` names
/// this point (`NAME` or `NAME:N` for its N-th passage… `:N` is only
/// taken when it is a number). Compiled in with the `crash-points` feature
/// (test builds); otherwise it does nothing.
#[cfg(feature = "crash-points")]
pub fn crash_point(name: &str) {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::OnceLock;
    static TARGET: OnceLock<Option<(String, u32)>> = OnceLock::new();
    static PASSED: AtomicU32 = AtomicU32::new(0);
    let target = TARGET.get_or_init(|| {
        let spec = std::env::var("SEOGO_CRASH_AT").ok()?;
        let numbered = spec
            .rsplit_once(':')
            .and_then(|(point, n)| Some((point.to_string(), n.parse().ok()?)));
        Some(numbered.unwrap_or((spec, 1)))
    });
    if let Some((point, nth)) = target {
        if point == name && PASSED.fetch_add(1, Ordering::SeqCst) + 1 == *nth {
            std::process::abort();
        }
    }
}

/// Without the `crash-points` feature: nothing.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn crash_point(_name: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        write(&path, b"old", "test").expect("write");
        write_json(&path, &serde_json::json!({"n": 2}), "test").expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, r#"{"n":2}"#);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn an_uncommitted_write_leaves_the_target_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.json");
        write(&path, b"before", "test").expect("write");
        {
            let mut staged = Staged::create(&path).expect("create");
            staged.write_all(b"half of the new").expect("write");
            assert!(staged.temp_path().exists());
        }
        assert_eq!(std::fs::read(&path).expect("read"), b"before");
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_the_owners_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("api-keys.json");
        write_private(&path, b"{}", "test").expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_dead_processs_temporary_file_is_swept_by_the_next_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.json");
        // No process has this id (Linux's largest is 2^22); process 1 runs.
        let dead = dir.path().join(".keys.json.tmp-4294967294");
        let live = dir.path().join(".keys.json.tmp-1");
        let other = dir.path().join(".manifest.json.tmp-4294967294");
        for stale in [&dead, &live, &other] {
            std::fs::write(stale, b"half").expect("write");
        }
        write(&path, b"new", "test").expect("write");
        assert!(!dead.exists(), "the dead process's file is removed");
        assert!(live.exists(), "a running process's file is left");
        assert!(other.exists(), "another file's temporaries are left");
    }

    #[test]
    fn errors_name_the_path_once() {
        let missing = Path::new("/nonexistent-seogo-dir/x.json");
        let e = write(missing, b"x", "test").expect_err("no directory");
        let text = e.to_string();
        assert!(text.contains("x.json"), "{text}");
        assert!(std::error::Error::source(&e).is_none());
    }
}
