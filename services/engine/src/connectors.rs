//! The domain connectors by name, and the glob filter of a source: what
//! `[[sources]]` entries and `seogo ingest --connector` refer to.

use std::path::Path;
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use seogo_docs::Connector;

use crate::EngineError;

/// Names `connector(…)` accepts.
pub const CONNECTORS: &[&str] = &["manufacturing", "finance", "public"];

/// The connector `name`, configured with `options`.
pub fn connector(
    name: &str,
    options: &serde_json::Value,
) -> Result<Arc<dyn Connector>, EngineError> {
    let bad = |e: &dyn std::fmt::Display| EngineError::Config(e.to_string());
    Ok(match name {
        "manufacturing" => Arc::new(
            seogo_manufacturing::ManufacturingConnector::from_options(options)
                .map_err(|e| bad(&e))?,
        ),
        "finance" => {
            Arc::new(seogo_finance::FinanceConnector::from_options(options).map_err(|e| bad(&e))?)
        }
        "public" => {
            Arc::new(seogo_public::PublicConnector::from_options(options).map_err(|e| bad(&e))?)
        }
        other => {
            return Err(EngineError::Config(format!(
                "unknown connector `{other}` (expected {})",
                CONNECTORS.join(", ")
            )))
        }
    })
}

/// Which files of a folder a source takes: any `include` glob (or all, when
/// none is given) and no `exclude` glob, matched against the path relative
/// to the folder.
#[derive(Debug, Clone)]
pub struct FileFilter {
    include: Option<GlobSet>,
    exclude: GlobSet,
}

impl FileFilter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, EngineError> {
        let set = |globs: &[String]| -> Result<GlobSet, EngineError> {
            let mut builder = GlobSetBuilder::new();
            for g in globs {
                builder.add(
                    Glob::new(g).map_err(|e| EngineError::Config(format!("glob `{g}`: {e}")))?,
                );
            }
            builder
                .build()
                .map_err(|e| EngineError::Config(e.to_string()))
        };
        Ok(Self {
            include: if include.is_empty() {
                None
            } else {
                Some(set(include)?)
            },
            exclude: set(exclude)?,
        })
    }

    /// Every file.
    pub fn all() -> Self {
        Self {
            include: None,
            exclude: GlobSet::empty(),
        }
    }

    /// Whether `file` (under `root`) is taken.
    pub fn accepts(&self, root: &Path, file: &Path) -> bool {
        let relative = file.strip_prefix(root).unwrap_or(file);
        self.include
            .as_ref()
            .is_none_or(|set| set.is_match(relative))
            && !self.exclude.is_match(relative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_pick_files_under_the_root() {
        let filter = FileFilter::new(
            &["**/*.hwp".into(), "**/*.pdf".into()],
            &["**/임시/**".into()],
        )
        .expect("globs");
        let root = Path::new("/srv/share");
        assert!(filter.accepts(root, Path::new("/srv/share/a/공문.hwp")));
        assert!(filter.accepts(root, Path::new("/srv/share/b.pdf")));
        assert!(!filter.accepts(root, Path::new("/srv/share/임시/c.hwp")));
        assert!(!filter.accepts(root, Path::new("/srv/share/d.txt")));
        assert!(FileFilter::new(&["[".into()], &[]).is_err());
        assert!(connector("retail", &serde_json::Value::Null).is_err());
        assert_eq!(
            connector("public", &serde_json::Value::Null)
                .expect("public")
                .name(),
            "public"
        );
    }

    /// A connector's `Debug` is its part of the documents' hashes: equal
    /// for equal options (in any key order), different otherwise.
    #[test]
    fn connector_fingerprints_follow_their_options() {
        let build = |options: &str| {
            let value: serde_json::Value = serde_json::from_str(options).expect("json");
            format!("{:?}", connector("finance", &value).expect("finance"))
        };
        let a = build(r#"{"entity_names":{"1":"A","2":"B"},"dimensional_facts":false}"#);
        let b = build(r#"{"dimensional_facts":false,"entity_names":{"2":"B","1":"A"}}"#);
        assert_eq!(a, b);
        assert_ne!(
            a,
            build(r#"{"entity_names":{"1":"A"},"dimensional_facts":false}"#)
        );
        let public = |options: &str| {
            let value: serde_json::Value = serde_json::from_str(options).expect("json");
            format!("{:?}", connector("public", &value).expect("public"))
        };
        assert_eq!(
            public(r#"{"classification":{"비공개":["audit"],"공개":["public"]}}"#),
            public(r#"{"classification":{"공개":["public"],"비공개":["audit"]}}"#)
        );
        assert_ne!(
            public(r#"{"classification":{"비공개":["audit"]}}"#),
            public(r#"{"classification":{"비공개":["hr"]}}"#)
        );
    }
}
