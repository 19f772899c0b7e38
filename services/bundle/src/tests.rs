use super::*;

fn sample(dir: &Path) -> Contents {
    let models = dir.join("models");
    std::fs::create_dir_all(models.join("e5")).expect("mkdir");
    std::fs::write(models.join("e5/model.safetensors"), vec![7u8; 100_000]).expect("write");
    std::fs::write(models.join("MANIFEST.json"), "{}").expect("write");
    std::fs::write(models.join(".hidden"), "left out").expect("write");
    let binary = dir.join("seogo-binary");
    std::fs::write(&binary, b"\x7fELF pretend").expect("write");
    let mut contents = Contents::default();
    contents.file("bin/seogo", &binary, true);
    contents.tree("models", &models).expect("tree");
    contents.bytes("config/seogo.toml", "[server]\n");
    contents
}

fn built(dir: &Path) -> PathBuf {
    let out = dir.join("seogo.tar");
    let summary = create(&sample(dir), &out).expect("create");
    assert_eq!(summary.files, 4, "the hidden file is left out");
    let published = std::fs::read_to_string(with_suffix(&out, ".sha256")).expect("sha256 file");
    assert_eq!(published, format!("{}  seogo.tar\n", summary.sha256));
    out
}

fn problems(result: Result<Summary, BundleError>) -> String {
    match result {
        Err(BundleError::Refused { problems, .. }) => problems.join("; "),
        other => panic!("not refused: {other:?}"),
    }
}

/// The byte offset of `name`'s data in the tar.
fn offset_of(bundle: &Path, name: &str) -> u64 {
    let mut archive = tar::Archive::new(File::open(bundle).expect("open"));
    let entries = archive.entries().expect("entries");
    for entry in entries {
        let entry = entry.expect("entry");
        if entry.path().expect("path") == Path::new(name) {
            return entry.raw_file_position();
        }
    }
    panic!("{name} not in the bundle")
}

#[test]
fn a_bundle_verifies_and_unpacks_to_the_same_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = built(dir.path());
    let checked = verify(&out).expect("verify");
    assert_eq!(checked.files, 4);
    assert_eq!(checked.bytes, 100_000 + 2 + 12 + 9);
    let (_, root) = unpack(&out, &dir.path().join("site")).expect("unpack");
    assert_eq!(root, dir.path().join("site/seogo"));
    assert_eq!(
        std::fs::read(root.join("models/e5/model.safetensors")).expect("model"),
        vec![7u8; 100_000]
    );
    assert_eq!(
        std::fs::read_to_string(root.join("config/seogo.toml")).expect("config"),
        "[server]\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(root.join("bin/seogo"))
            .expect("binary")
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "the binary is executable");
    }
    assert!(matches!(
        unpack(&out, &dir.path().join("site")),
        Err(BundleError::Exists(_))
    ));
}

#[test]
fn one_flipped_byte_is_refused_and_unpack_leaves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = built(dir.path());
    let mut bytes = std::fs::read(&out).expect("read");
    let at = offset_of(&out, "seogo/models/e5/model.safetensors") as usize + 5_000;
    bytes[at] ^= 1;
    let tampered = dir.path().join("tampered.tar");
    std::fs::write(&tampered, &bytes).expect("write");
    let why = problems(verify(&tampered));
    assert!(
        why.contains("models/e5/model.safetensors: SHA-256 differs"),
        "{why}"
    );
    let site = dir.path().join("site");
    assert!(unpack(&tampered, &site).is_err());
    let left: Vec<_> = std::fs::read_dir(&site).expect("site").collect();
    assert!(left.is_empty(), "unpack left {left:?}");
}

#[test]
fn a_truncated_bundle_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = built(dir.path());
    let bytes = std::fs::read(&out).expect("read");
    for keep in [bytes.len() / 2, bytes.len() - 2048, 600] {
        let cut = dir.path().join("cut.tar");
        std::fs::write(&cut, &bytes[..keep]).expect("write");
        let why = problems(verify(&cut));
        assert!(
            why.contains("incomplete") || why.contains("damaged"),
            "{keep}: {why}"
        );
    }
}

/// A tar made by hand: `entries` of (path, type, data), then the real
/// manifest of `sample`.
fn forged(dir: &Path, extra: &[(&str, tar::EntryType, &[u8])]) -> PathBuf {
    let out = built(dir);
    let mut original = tar::Archive::new(File::open(&out).expect("open"));
    let forged = dir.join("forged.tar");
    let mut builder = tar::Builder::new(File::create(&forged).expect("create"));
    for entry in original.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let header = entry.header().clone();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("read");
        builder.append(&header, &data[..]).expect("copy");
    }
    for (path, kind, data) in extra {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(*kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        // Written raw: `set_path` refuses `..` itself.
        let name = &mut header.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        if *kind == tar::EntryType::Symlink {
            header.set_link_name("/etc/passwd").expect("link");
        }
        header.set_cksum();
        builder.append(&header, *data).expect("append");
    }
    builder.finish().expect("finish");
    forged
}

#[test]
fn extra_files_links_and_climbing_paths_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let forged = forged(
        dir.path(),
        &[
            ("seogo/bin/helper", tar::EntryType::Regular, b"#!/bin/sh"),
            ("seogo/../evil", tar::EntryType::Regular, b"x"),
            ("seogo/link", tar::EntryType::Symlink, b""),
        ],
    );
    let why = problems(verify(&forged));
    assert!(why.contains("bin/helper: not in the manifest"), "{why}");
    assert!(why.contains("seogo/../evil: outside"), "{why}");
    assert!(why.contains("link: a Symlink entry"), "{why}");
    assert!(unpack(&forged, &dir.path().join("site")).is_err());
    assert!(!dir.path().join("evil").exists());
}
