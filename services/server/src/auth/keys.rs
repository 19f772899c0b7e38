//! API keys: random 128-bit secrets shown once, stored as SHA-256 hashes.
//! A fast hash is the right one here: a key is random, not a password, so
//! there is nothing to brute-force that a slow hash would protect.

use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Role;

/// Key-file failures.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("no key with id `{0}`")]
    NoSuchKey(String),
    #[error("the system random generator failed")]
    Random,
}

/// One key as stored: never the secret itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyRecord {
    /// Public part of the key (`sgo_<id>_…`), shown in logs and the audit.
    pub id: String,
    /// Who or what holds it ("intranet widget", "batch-qa").
    pub name: String,
    /// SHA-256 of the whole key, hex.
    pub hash: String,
    pub role: Role,
    /// Collections it may use; empty = all.
    #[serde(default)]
    pub collections: Vec<String>,
    /// Its principals: documents whose ACL names one of these are readable.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Seconds since the Unix epoch.
    pub created: u64,
}

/// The keys file (`server.keys_file`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct KeyStore {
    pub keys: Vec<KeyRecord>,
}

fn file_error(path: &Path, reason: impl std::fmt::Display) -> KeyError {
    KeyError::File {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `bytes` from the system's secure random generator, as hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String, KeyError> {
    let mut buf = vec![0u8; bytes];
    SystemRandom::new()
        .fill(&mut buf)
        .map_err(|_| KeyError::Random)?;
    Ok(hex::encode(buf))
}

/// Compares without an early exit, so timing says nothing about how much
/// of a guessed hash matched.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl KeyStore {
    /// Reads `path`; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| file_error(path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(file_error(path, e)),
        }
    }

    /// Writes atomically (temp file, then rename), readable by the owner only.
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(|e| file_error(path, e))?;
        seogo_durable::write_private(path, &json, "keys").map_err(|e| file_error(&e.path, e.cause))
    }

    /// Creates a key and returns it: the only time the secret exists
    /// outside the caller's hands.
    pub fn create(
        &mut self,
        name: &str,
        role: Role,
        collections: Vec<String>,
        groups: Vec<String>,
    ) -> Result<(KeyRecord, String), KeyError> {
        let id = random_hex(4)?;
        let key = format!("sgo_{id}_{}", random_hex(16)?);
        let created = seogo_engine::unix_now();
        let record = KeyRecord {
            id,
            name: name.to_string(),
            hash: sha256_hex(&key),
            role,
            collections,
            groups,
            created,
        };
        self.keys.push(record.clone());
        Ok((record, key))
    }

    pub fn revoke(&mut self, id: &str) -> Result<KeyRecord, KeyError> {
        let at = self
            .keys
            .iter()
            .position(|k| k.id == id)
            .ok_or_else(|| KeyError::NoSuchKey(id.to_string()))?;
        Ok(self.keys.remove(at))
    }

    /// The record of a presented key, if it is one of ours.
    pub fn verify(&self, presented: &str) -> Option<&KeyRecord> {
        let id = presented.strip_prefix("sgo_")?.split('_').next()?;
        let hash = sha256_hex(presented);
        self.keys
            .iter()
            .find(|k| k.id == id && same(&k.hash, &hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_verify_only_as_issued_and_are_stored_hashed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys.json");
        let mut store = KeyStore::load(&path).expect("empty");
        let (record, key) = store
            .create(
                "widget",
                Role::Query,
                vec!["manuals".into()],
                vec!["staff".into()],
            )
            .expect("create");
        store.save(&path).expect("save");
        let stored = std::fs::read_to_string(&path).expect("read");
        assert!(!stored.contains(&key), "the secret must not be stored");

        let store = KeyStore::load(&path).expect("load");
        assert_eq!(store.verify(&key), Some(&record));
        let mut tampered = key.clone();
        tampered.pop();
        tampered.push(if key.ends_with('0') { '1' } else { '0' });
        assert_eq!(store.verify(&tampered), None);
        assert_eq!(store.verify("sgo_"), None);
        assert_eq!(store.verify(""), None);

        let mut store = store;
        store.revoke(&record.id).expect("revoke");
        assert_eq!(store.verify(&key), None);
        assert!(matches!(
            store.revoke(&record.id),
            Err(KeyError::NoSuchKey(_))
        ));
    }
}
