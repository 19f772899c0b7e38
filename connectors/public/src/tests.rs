//! What the crate's tests share: the connector with default options, and
//! files (fixtures or the shared data) through the generic parse and
//! [`Connector::refine`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use seogo_docs::parse::{inspect_bytes, ParseOptions};
use seogo_docs::{Connector, DocError, Refined, SourceFile};

use crate::PublicConnector;

/// `../shared/data`, or wherever SEOGO_SHARED_DATA points.
pub(crate) fn shared_data() -> PathBuf {
    std::env::var_os("SEOGO_SHARED_DATA").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
        PathBuf::from,
    )
}

pub(crate) fn connector() -> PublicConnector {
    PublicConnector::from_options(&serde_json::Value::Null).expect("default options")
}

/// `bytes` (named `path`) through the generic parse and `connector`.
pub(crate) fn refine_bytes(
    connector: &PublicConnector,
    path: &Path,
    bytes: &[u8],
) -> Result<Refined, DocError> {
    refine_with(connector, path, bytes, &ParseOptions::default())
}

pub(crate) fn refine_with(
    connector: &PublicConnector,
    path: &Path,
    bytes: &[u8],
    opts: &ParseOptions,
) -> Result<Refined, DocError> {
    let id = path.display().to_string();
    let parsed = inspect_bytes(path, &id, Arc::from(bytes), opts)?;
    connector.refine(SourceFile {
        path,
        doc_id: &id,
        bytes,
        parsed,
    })
}

/// A file under the shared data through the connector.
pub(crate) fn refine_shared(relative: &str) -> Refined {
    let path = shared_data().join(relative);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    refine_bytes(&connector(), &path, &bytes).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
#[ignore]
fn dump() {
    let dir = std::env::var("DUMP").unwrap_or_default();
    for entry in std::fs::read_dir(shared_data().join(&dir)).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        println!("##### {}", path.display());
        match refine_bytes(&connector(), &path, &bytes) {
            Ok(p) => {
                for d in p.documents {
                    println!("TITLE {} META {:?}", d.title, d.metadata);
                    for s in d.sections.iter().take(40) {
                        println!(
                            "-- {:?} {:?}\n{}",
                            s.heading_path,
                            s.locator,
                            s.text.chars().take(600).collect::<String>()
                        );
                    }
                }
            }
            Err(e) => println!("ERR {e}"),
        }
    }
}
