//! The air-gapped bundle: one tar file a site carries across the gap, with
//! the binary, the model pack, a configuration template, the widget and the
//! demo corpus, and a manifest of every file's size and SHA-256.
//!
//! The manifest is the last entry, so a bundle is written in one pass
//! (each file hashed as it is copied in), and read in one pass: [`verify`]
//! and [`unpack`] hash every entry as it streams by and compare at the end.
//! A flipped byte, a truncated copy, a missing or an extra file, a link or
//! a path that climbs out of the bundle is refused, and `unpack` then
//! leaves nothing behind (it extracts into a staging folder and renames it
//! into place only when everything matched). Beside the tar, `create`
//! writes `BUNDLE.tar.sha256` for the site to compare with the number the
//! sender published: the manifest guards against damage, that number
//! against a bundle replaced whole.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The folder every entry lives under.
pub const ROOT: &str = "seogo";
/// The manifest's path in the tar.
pub const MANIFEST: &str = "seogo/BUNDLE.json";
/// The manifest format this code writes and reads.
const FORMAT: u32 = 1;
/// Largest manifest read: one line per file, not a payload.
const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// Disk space an unpacking leaves free: a bundle that needs more is
/// refused before it fills the disk the site's data lives on.
const KEEP_FREE: u64 = 256 << 20;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {cause}")]
    Io { path: PathBuf, cause: io::Error },
    /// The bundle does not match its manifest (or has none).
    #[error("{bundle}: refused: {}", problems.join("; "))]
    Refused {
        bundle: PathBuf,
        problems: Vec<String>,
    },
    #[error("{0} already exists; unpack into a new folder")]
    Exists(PathBuf),
}

fn durable_error(e: seogo_durable::DurableError) -> BundleError {
    BundleError::Io {
        path: e.path,
        cause: e.cause,
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_path_buf(),
        cause: source,
    }
}

/// What the manifest says about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub bytes: u64,
    pub sha256: String,
    /// Unpacked with the executable bit (the binary).
    #[serde(default)]
    pub executable: bool,
}

/// `seogo/BUNDLE.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// The `seogo` version that made the bundle.
    pub seogo_version: String,
    /// Paths under [`ROOT`], e.g. `bin/seogo`.
    pub files: BTreeMap<String, FileEntry>,
}

/// Where a bundled file's bytes come from.
#[derive(Debug)]
enum Source {
    File(PathBuf),
    Bytes(Vec<u8>),
}

/// The files of a bundle, by their path under [`ROOT`].
#[derive(Debug, Default)]
pub struct Contents {
    files: BTreeMap<String, (Source, bool)>,
}

impl Contents {
    /// `path` (a file) as `name`.
    pub fn file(&mut self, name: &str, path: &Path, executable: bool) {
        self.files
            .insert(name.into(), (Source::File(path.to_path_buf()), executable));
    }

    pub fn bytes(&mut self, name: &str, bytes: impl Into<Vec<u8>>) {
        self.files
            .insert(name.into(), (Source::Bytes(bytes.into()), false));
    }

    /// Every regular file under `dir`, as `name/relative/path` (hidden
    /// entries and links are left out: a bundle carries plain files).
    pub fn tree(&mut self, name: &str, dir: &Path) -> Result<(), BundleError> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io_error(dir))?
            .collect::<Result<_, _>>()
            .map_err(io_error(dir))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let kind = entry.file_type().map_err(io_error(&path))?;
            let inner = format!("{name}/{file_name}");
            if kind.is_dir() {
                self.tree(&inner, &path)?;
            } else if kind.is_file() {
                self.file(&inner, &path, false);
            }
        }
        Ok(())
    }
}

/// What `create`, `verify` or `unpack` went through.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub files: usize,
    pub bytes: u64,
    /// SHA-256 of the tar file itself.
    pub sha256: String,
}

/// Writes `contents` to `out` (through a hidden temporary file beside it, renamed when complete)
/// and `out.sha256` beside it.
pub fn create(contents: &Contents, out: &Path) -> Result<Summary, BundleError> {
    let staged = seogo_durable::Staged::create(out).map_err(durable_error)?;
    let partial = staged.temp_path().to_path_buf();
    let mut tar = tar::Builder::new(HashingWriter::new(BufWriter::new(staged)));
    let mut manifest = Manifest {
        format: FORMAT,
        seogo_version: env!("CARGO_PKG_VERSION").into(),
        files: BTreeMap::new(),
    };
    let mut total = 0u64;
    for (name, (source, executable)) in &contents.files {
        let (reader, bytes, origin): (Box<dyn Read>, u64, PathBuf) = match source {
            Source::File(path) => {
                let file = File::open(path).map_err(io_error(path))?;
                let bytes = file.metadata().map_err(io_error(path))?.len();
                (Box::new(file), bytes, path.clone())
            }
            Source::Bytes(data) => (Box::new(&data[..]), data.len() as u64, name.into()),
        };
        let mut hashing = HashingReader::new(reader.take(bytes));
        append(
            &mut tar,
            &format!("{ROOT}/{name}"),
            bytes,
            *executable,
            &mut hashing,
        )
        .map_err(io_error(&origin))?;
        if hashing.count != bytes {
            return Err(BundleError::Io {
                path: origin,
                cause: io::Error::other("the file changed size while it was bundled"),
            });
        }
        total += bytes;
        manifest.files.insert(
            name.clone(),
            FileEntry {
                bytes,
                sha256: hex::encode(hashing.hasher.finalize()),
                executable: *executable,
            },
        );
    }
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BundleError::Io {
        path: partial.clone(),
        cause: io::Error::other(e),
    })?;
    append(&mut tar, MANIFEST, json.len() as u64, false, &mut &json[..])
        .map_err(io_error(&partial))?;
    let hashing = tar.into_inner().map_err(io_error(&partial))?;
    let sha256 = hex::encode(hashing.hasher.finalize());
    hashing
        .inner
        .into_inner()
        .map_err(|e| io_error(&partial)(e.into_error()))?
        .commit("bundle")
        .map_err(durable_error)?;
    let name = out.file_name().unwrap_or_default().to_string_lossy();
    let checksum = with_suffix(out, ".sha256");
    seogo_durable::write(
        &checksum,
        format!("{sha256}  {name}\n").as_bytes(),
        "bundle",
    )
    .map_err(durable_error)?;
    Ok(Summary {
        files: manifest.files.len(),
        bytes: total,
        sha256,
    })
}

fn append(
    tar: &mut tar::Builder<impl Write>,
    path: &str,
    bytes: u64,
    executable: bool,
    data: &mut impl Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes);
    header.set_mode(if executable { 0o755 } else { 0o644 });
    header.set_entry_type(tar::EntryType::Regular);
    // Fixed times and owners: the same inputs make the same bundle.
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    tar.append_data(&mut header, path, data)
}

/// Checks every file of `bundle` against its manifest.
pub fn verify(bundle: &Path) -> Result<Summary, BundleError> {
    scan(bundle, None).map(|(summary, _)| summary)
}

/// Verifies `bundle` and extracts it to `dest/seogo` (`dest` is created;
/// `dest/seogo` must not exist). Returns the unpacked root.
pub fn unpack(bundle: &Path, dest: &Path) -> Result<(Summary, PathBuf), BundleError> {
    let root = dest.join(ROOT);
    if root.exists() {
        return Err(BundleError::Exists(root));
    }
    std::fs::create_dir_all(dest).map_err(io_error(dest))?;
    let staging = dest.join(format!(".{ROOT}.unpacking-{}", std::process::id()));
    let result = scan(bundle, Some(&staging));
    match result {
        Ok((summary, manifest)) => {
            for (name, entry) in &manifest.files {
                if entry.executable {
                    set_executable(&staging.join(name))?;
                }
            }
            seogo_durable::rename(&staging, &root).map_err(durable_error)?;
            Ok((summary, root))
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), BundleError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(io_error(path))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> Result<(), BundleError> {
    Ok(())
}

/// One pass over the tar: every entry hashed (and written under `sink`
/// when given), then compared with the manifest.
fn scan(bundle: &Path, sink: Option<&Path>) -> Result<(Summary, Manifest), BundleError> {
    let refuse = |problems: Vec<String>| BundleError::Refused {
        bundle: bundle.to_path_buf(),
        problems,
    };
    let file = File::open(bundle).map_err(io_error(bundle))?;
    let mut archive = tar::Archive::new(HashingReader::new(io::BufReader::new(file)));
    // What the destination's disk can take, less some room for the rest.
    let mut budget = sink
        .map(|dir| seogo_durable::Budget::free_space(dir, KEEP_FREE))
        .transpose()
        .map_err(durable_error)?;
    let mut seen: BTreeMap<String, (u64, String)> = BTreeMap::new();
    let mut manifest_bytes = None;
    let mut problems = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| refuse(vec![format!("not a tar file: {e}")]))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| refuse(vec![format!("damaged or incomplete: {e}")]))?;
        let path = entry
            .path()
            .map_err(|e| refuse(vec![format!("an entry's name: {e}")]))?
            .into_owned();
        let name = seogo_durable::member_under(&path, ROOT)
            .and_then(|inside| inside.to_str().map(String::from));
        let Some(name) = name else {
            problems.push(format!("{}: outside `{ROOT}/`", path.display()));
            continue;
        };
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Directory => continue,
            other => {
                problems.push(format!("{name}: a {other:?} entry (only plain files)"));
                continue;
            }
        }
        if path == Path::new(MANIFEST) {
            let mut json = Vec::new();
            (&mut entry)
                .take(MAX_MANIFEST_BYTES)
                .read_to_end(&mut json)
                .map_err(|e| refuse(vec![format!("the manifest: {e}")]))?;
            manifest_bytes = Some(json);
            continue;
        }
        let mut hashing = HashingReader::new(&mut entry);
        match (sink, budget.as_mut()) {
            (Some(dir), Some(budget)) => {
                seogo_durable::unpack_member(&mut hashing, &dir.join(&name), budget, "bundle")
                    .map_err(|e| refuse(vec![format!("{name}: not unpacked: {}", e.cause)]))?;
            }
            _ => {
                io::copy(&mut hashing, &mut io::sink())
                    .map_err(|e| refuse(vec![format!("{name}: damaged or incomplete: {e}")]))?;
            }
        }
        let digest = hex::encode(hashing.hasher.finalize());
        if seen.insert(name.clone(), (hashing.count, digest)).is_some() {
            problems.push(format!("{name}: appears twice"));
        }
    }
    let tar_sha256 = {
        let mut reader = archive.into_inner();
        // The zero blocks after the last entry belong to the file too.
        io::copy(&mut reader, &mut io::sink()).map_err(io_error(bundle))?;
        hex::encode(reader.hasher.finalize())
    };
    let Some(json) = manifest_bytes else {
        problems.push(format!("no manifest ({MANIFEST}): incomplete"));
        return Err(refuse(problems));
    };
    let manifest: Manifest = serde_json::from_slice(&json)
        .map_err(|e| refuse(vec![format!("the manifest is damaged: {e}")]))?;
    if manifest.format != FORMAT {
        problems.push(format!(
            "manifest format {} (this seogo reads {FORMAT})",
            manifest.format
        ));
    }
    for (name, expected) in &manifest.files {
        match seen.get(name) {
            None => problems.push(format!("{name}: missing")),
            Some((bytes, _)) if *bytes != expected.bytes => problems.push(format!(
                "{name}: {bytes} bytes, the manifest says {}",
                expected.bytes
            )),
            Some((_, sha256)) if *sha256 != expected.sha256 => {
                problems.push(format!("{name}: SHA-256 differs from the manifest"))
            }
            Some(_) => {}
        }
    }
    for name in seen.keys().filter(|n| !manifest.files.contains_key(*n)) {
        problems.push(format!("{name}: not in the manifest"));
    }
    if !problems.is_empty() {
        return Err(refuse(problems));
    }
    let summary = Summary {
        files: manifest.files.len(),
        bytes: manifest.files.values().map(|f| f.bytes).sum(),
        sha256: tar_sha256,
    };
    Ok((summary, manifest))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R> HashingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W> HashingWriter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
        }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests;
