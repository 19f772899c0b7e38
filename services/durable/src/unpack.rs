//! Unpacking archives (air-gapped bundles, backups) safely, in one place:
//! a member lands only under its destination (its name is plain names
//! below the archive's root folder: no absolute path, no `..`), it is
//! written through a [`Staged`] file (a crash leaves no half file under the
//! final name), and every byte counts against a [`Budget`] — what the
//! destination's file system can take — so an archive that inflates
//! without end fills nothing. Links and devices are refused by the callers,
//! which know their archive format's entry types; neither ever calls the
//! format's own `unpack` (`clippy.toml` refuses it).

use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use crate::{DurableError, PathContext, Staged};

/// The name of member `path` below `root` (`root/a/b` → `a/b`), when it is
/// made of plain names only; `None` for an absolute path, `..`, a drive
/// prefix, a name outside `root` or `root` itself.
pub fn member_under(path: &Path, root: &str) -> Option<PathBuf> {
    let mut components = path.components();
    if components.next() != Some(Component::Normal(root.as_ref())) {
        return None;
    }
    let mut inside = PathBuf::new();
    for component in components {
        match component {
            Component::Normal(part) => inside.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!inside.as_os_str().is_empty()).then_some(inside)
}

/// Bytes an unpacking may still write.
#[derive(Debug)]
pub struct Budget {
    left: u64,
}

impl Budget {
    /// What the file system holding `dest` (or its nearest existing
    /// parent) has free, less `reserve` bytes kept for everything else.
    pub fn free_space(dest: &Path, reserve: u64) -> Result<Self, DurableError> {
        let existing = dest
            .ancestors()
            .find(|p| p.exists())
            .unwrap_or(Path::new("."));
        let free = fs4::available_space(existing).at(existing)?;
        Ok(Self {
            left: free.saturating_sub(reserve),
        })
    }

    /// A budget of `bytes`.
    pub fn bytes(bytes: u64) -> Self {
        Self { left: bytes }
    }
}

/// Copies `member` to `target` atomically and durably, creating its
/// folders; fails, naming `target`, when the member is larger than what
/// is left of `budget` (nothing is then left under the target's name).
/// Returns the bytes written.
pub fn unpack_member(
    member: &mut dyn Read,
    target: &Path,
    budget: &mut Budget,
    kind: &str,
) -> Result<u64, DurableError> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).at(parent)?;
    }
    let mut out = Staged::create(target)?;
    let mut limited = member.take(budget.left.saturating_add(1));
    let written = io::copy(&mut limited, &mut out).at(target)?;
    if written > budget.left {
        return Err(DurableError::new(
            target,
            io::Error::other(format!(
                "the archive holds more than the {} bytes the destination can take",
                budget.left
            )),
        ));
    }
    out.flush().at(target)?;
    out.commit(kind)?;
    budget.left -= written;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_under_the_root_are_members() {
        let under = |p: &str| member_under(Path::new(p), "seogo-bundle");
        assert_eq!(under("seogo-bundle/bin/seogo"), Some("bin/seogo".into()));
        assert_eq!(under("seogo-bundle/./a"), Some("a".into()));
        for refused in [
            "seogo-bundle",
            "other/a",
            "/seogo-bundle/a",
            "seogo-bundle/../a",
            "seogo-bundle/a/../../b",
            "../seogo-bundle/a",
        ] {
            assert_eq!(under(refused), None, "{refused}");
        }
    }

    #[test]
    fn a_member_over_the_budget_leaves_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("nested/file.bin");
        let mut budget = Budget::bytes(10);
        let written =
            unpack_member(&mut &b"0123456"[..], &target, &mut budget, "test").expect("fits");
        assert_eq!(written, 7);
        assert_eq!(std::fs::read(&target).expect("read"), b"0123456");
        let other = dir.path().join("nested/other.bin");
        let e = unpack_member(&mut &b"0123"[..], &other, &mut budget, "test")
            .expect_err("over the 3 bytes left");
        assert!(e.to_string().contains("other.bin"), "{e}");
        assert!(e.to_string().contains("3 bytes"), "{e}");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("nested"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("file.bin")]);
    }

    #[test]
    fn the_free_space_budget_reads_the_nearest_existing_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let budget = Budget::free_space(&dir.path().join("not/yet/made"), 0).expect("free space");
        assert!(budget.left > 0);
        let none = Budget::free_space(dir.path(), u64::MAX).expect("free space");
        assert_eq!(none.left, 0);
    }
}
