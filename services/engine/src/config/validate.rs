//! One pass over the whole configuration when it loads, so a typo fails at
//! start with the key named (`lexical.identifiers.required[0]: unknown
//! identifier kind `part_nmuber``) instead of deep in a request, and no
//! limit is silently clamped later. `seogo config --check` runs it alone.

use std::collections::BTreeSet;
use std::path::Path;

use super::{EngineConfig, IdentifierConfig, VectorsConfig};

/// Everything wrong with a configuration, each problem naming its key.
#[derive(Debug, thiserror::Error)]
#[error("the configuration has {} problem{}:\n  {}", .problems.len(), if .problems.len() == 1 { "" } else { "s" }, .problems.join("\n  "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

/// Collects problems as `key: what is wrong`. Public so that a section
/// kept by another crate (the server's `[server]`) is checked the same
/// way and reported in the same list.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn add(&mut self, key: &str, problem: impl std::fmt::Display) {
        self.0.push(format!("{key}: {problem}"));
    }

    /// `value` must be at least `min`.
    pub fn at_least<T: PartialOrd + std::fmt::Display>(&mut self, key: &str, value: T, min: T) {
        if value < min {
            self.add(key, format_args!("{value} is below the minimum {min}"));
        }
    }

    /// `value` must be a finite number in `[min, max]`.
    pub fn within(&mut self, key: &str, value: f32, min: f32, max: f32) {
        if !value.is_finite() || value < min || value > max {
            self.add(key, format_args!("{value} is outside {min}..={max}"));
        }
    }

    /// A required address must be given; `example` shows one.
    pub fn not_blank(&mut self, key: &str, value: &str, example: &str) {
        if value.trim().is_empty() {
            self.add(key, format_args!("empty: give {example}"));
        }
    }

    /// A file or folder the operator named must exist.
    pub fn exists(&mut self, key: &str, path: Option<&Path>) {
        if let Some(path) = path {
            if !path.exists() {
                self.add(key, format_args!("{} does not exist", path.display()));
            }
        }
    }

    /// Every problem found, or none.
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems: self.0 })
        }
    }
}

impl EngineConfig {
    /// Checks every value that can be wrong on its own: identifier kinds,
    /// domain and connector names, duplicate `[[sources]]`, numbers out of
    /// range, files named but missing, patterns that do not compile.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut p = Problems::default();
        self.check(&mut p);
        p.finish()
    }

    /// [`validate`](Self::validate)'s checks, adding to `p`.
    pub fn check(&self, p: &mut Problems) {
        self.check_numbers(p);
        self.check_lexical(p);
        self.check_sources(p);
    }

    fn check_numbers(&self, p: &mut Problems) {
        p.at_least("data.commit_chunks", self.data.commit_chunks, 1);
        p.at_least("models.embed_batch", self.models.embed_batch, 1);
        let device = self.models.device.as_str();
        let cuda_ordinal = device
            .strip_prefix("cuda:")
            .is_some_and(|n| n.parse::<usize>().is_ok());
        if !matches!(device, "cpu" | "cuda") && !cuda_ordinal {
            p.add(
                "models.device",
                format_args!("`{device}` is not `cpu`, `cuda` or `cuda:N`"),
            );
        }
        p.at_least("chunking.max_tokens", self.chunking.max_tokens, 16);
        if self.chunking.overlap_tokens >= self.chunking.max_tokens {
            p.add(
                "chunking.overlap_tokens",
                format_args!(
                    "{} is not below chunking.max_tokens ({})",
                    self.chunking.overlap_tokens, self.chunking.max_tokens
                ),
            );
        }
        let r = &self.retrieval;
        p.at_least("retrieval.lexical_k", r.lexical_k, 1);
        p.at_least("retrieval.dense_k", r.dense_k, 1);
        p.within("retrieval.lexical_weight", r.lexical_weight, 0.0, 100.0);
        p.within("retrieval.dense_weight", r.dense_weight, 0.0, 100.0);
        p.within("retrieval.rerank_weight", r.rerank_weight, 0.0, 1.0);
        let a = &self.answer;
        p.at_least("answer.max_sources", a.max_sources, 1);
        p.at_least("answer.max_tokens", a.max_tokens, 1);
        if let Some(tokens) = a.evidence_tokens {
            p.at_least("answer.evidence_tokens", tokens, 1);
        }
        p.within("answer.min_evidence", a.min_evidence, 0.0, 1.0);
        p.within("answer.min_coverage", a.min_coverage, 0.0, 1.0);
        // Above 1 turns the extractive floor off, as documented.
        p.within(
            "answer.extract_min_coverage",
            a.extract_min_coverage,
            0.0,
            2.0,
        );
        let l = &self.parse;
        p.at_least("parse.max_file_bytes", l.max_file_bytes, 1);
        p.at_least("parse.max_expanded_bytes", l.max_expanded_bytes, 1);
        p.at_least("parse.max_expansion_ratio", l.max_expansion_ratio, 1);
        p.at_least("parse.max_pages", l.max_pages, 1);
        p.at_least("parse.max_seconds", l.max_seconds, 1);
        match &self.vectors {
            VectorsConfig::Embedded { hnsw_ef } => p.at_least("vectors.hnsw_ef", *hnsw_ef, 1),
            VectorsConfig::Qdrant(q) => {
                p.not_blank(
                    "vectors.url",
                    &q.url,
                    "the gRPC endpoint, e.g. http://qdrant:6334",
                );
                p.at_least("vectors.shards", q.shards, 1);
                p.at_least("vectors.replication_factor", q.replication_factor, 1);
                p.at_least(
                    "vectors.write_consistency_factor",
                    q.write_consistency_factor,
                    1,
                );
                if q.write_consistency_factor > q.replication_factor {
                    p.add(
                        "vectors.write_consistency_factor",
                        format_args!(
                            "{} is above vectors.replication_factor ({}): no write could succeed",
                            q.write_consistency_factor, q.replication_factor
                        ),
                    );
                }
                p.at_least("vectors.upsert_batch", q.upsert_batch, 1);
                p.at_least("vectors.hnsw_ef", q.hnsw_ef, 1);
            }
        }
        p.exists("models.embedder", self.models.embedder.as_deref());
        p.exists("models.generator", self.models.generator.as_deref());
        if let super::GeneratorConfig::OpenAi(openai) = &self.generator {
            p.not_blank(
                "generator.base_url",
                &openai.base_url,
                "the API root, e.g. http://gpu-node:8000/v1",
            );
            p.at_least("generator.context_length", openai.context_length, 256);
            p.at_least("generator.max_concurrent", openai.max_concurrent, 1);
            p.exists("generator.tokenizer", openai.tokenizer.as_deref());
        }
    }

    fn check_lexical(&self, p: &mut Problems) {
        let lexical = &self.lexical;
        p.exists("lexical.dictionary", lexical.dictionary.as_deref());
        p.exists("lexical.synonyms", lexical.synonyms.as_deref());
        identifier_kinds(p, "lexical.identifiers", &lexical.identifiers);
        for (domain, cfg) in &lexical.domains {
            let key = format!("lexical.domains.{domain}");
            if serde_json::from_value::<seogo_docs::Domain>(serde_json::json!(domain)).is_err() {
                p.add(
                    &key,
                    "unknown domain (general, manufacturing, finance or public)",
                );
            }
            if let Some(identifiers) = &cfg.identifiers {
                identifier_kinds(p, &format!("{key}.identifiers"), identifiers);
            }
            p.exists(&format!("{key}.synonyms"), cfg.synonyms.as_deref());
        }
    }

    fn check_sources(&self, p: &mut Problems) {
        let mut names = BTreeSet::new();
        for (i, source) in self.sources.iter().enumerate() {
            let key = format!("sources[{i}]");
            if source.name.trim().is_empty() {
                p.add(&format!("{key}.name"), "empty");
            } else if !names.insert(source.name.as_str()) {
                p.add(
                    &format!("{key}.name"),
                    format_args!(
                        "`{}` names two [[sources]] entries; `seogo sync {}` would take only the first",
                        source.name, source.name
                    ),
                );
            }
            if let Err(e) = crate::validate_name(&source.collection) {
                p.add(&format!("{key}.collection"), e);
            }
            if let Some(connector) = &source.connector {
                if !crate::connectors::CONNECTORS.contains(&connector.as_str()) {
                    p.add(
                        &format!("{key}.connector"),
                        format_args!(
                            "unknown connector `{connector}` (expected {})",
                            crate::connectors::CONNECTORS.join(", ")
                        ),
                    );
                }
            }
            if let Err(e) = crate::connectors::FileFilter::new(&source.include, &source.exclude) {
                p.add(&format!("{key}.include/exclude"), e);
            }
            if let Some(every) = source.every_minutes {
                p.at_least(&format!("{key}.every_minutes"), every, 1);
            }
        }
    }
}

/// Every kind named must be one the extractor knows; required kinds must
/// also be extracted.
fn identifier_kinds(p: &mut Problems, key: &str, cfg: &IdentifierConfig) {
    use seogo_analyzer::identifiers::IdentifierKind;
    for (field, names) in [("kinds", &cfg.kinds), ("required", &cfg.required)] {
        for (i, name) in names.iter().enumerate() {
            if let Err(e) = name.parse::<IdentifierKind>() {
                p.add(&format!("{key}.{field}[{i}]"), e);
            }
        }
    }
    for name in &cfg.required {
        if !cfg.kinds.contains(name) && name.parse::<IdentifierKind>().is_ok() {
            p.add(
                &format!("{key}.required"),
                format_args!("`{name}` is required but not in {key}.kinds, so never extracted"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        EngineConfig::default().validate().expect("defaults");
    }

    #[test]
    fn each_problem_names_its_key() {
        let mut config = EngineConfig::default();
        config.lexical.identifiers.required = vec!["part_nmuber".into()];
        config.chunking.overlap_tokens = config.chunking.max_tokens;
        config.models.device = "gpu".into();
        config.lexical.synonyms = Some("/nonexistent/synonyms.txt".into());
        let source = |name: &str| super::super::SourceConfig {
            name: name.into(),
            path: "/srv/share".into(),
            include: vec!["**/*.{pdf".into()],
            exclude: Vec::new(),
            connector: Some("retail".into()),
            options: serde_json::Value::Null,
            domain: None,
            acl: Vec::new(),
            collection: "default".into(),
            fetch: None,
            every_minutes: Some(0),
        };
        config.sources = vec![source("manuals"), source("manuals")];
        let problems = config.validate().expect_err("invalid").problems;
        let text = problems.join("\n");
        for key in [
            "lexical.identifiers.required[0]: ",
            "chunking.overlap_tokens: ",
            "models.device: `gpu`",
            "lexical.synonyms: /nonexistent/synonyms.txt does not exist",
            "sources[1].name: `manuals` names two",
            "sources[0].connector: unknown connector `retail`",
            "sources[0].include/exclude: ",
            "sources[0].every_minutes: 0 is below the minimum 1",
        ] {
            assert!(text.contains(key), "no {key:?} in\n{text}");
        }
        assert!(text.contains("part_nmuber"), "{text}");
    }
}
