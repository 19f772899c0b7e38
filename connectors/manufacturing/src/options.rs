//! `[[sources]] options = { … }` for the manufacturing connector: how a
//! source's work-order / failure-log tables map onto records, and how
//! procedures are cut into steps.

use std::collections::BTreeMap;

use serde::Deserialize;

/// Options under `[[sources]] options = { … }` were not understood.
#[derive(Debug, thiserror::Error)]
#[error("manufacturing connector options: {0}")]
pub struct OptionsError(pub(crate) String);

/// The parsed options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Options {
    /// Column mappings, tried in order on every table: a source may hold
    /// work orders and sensor failure logs side by side.
    pub records: Vec<Mapping>,
    /// Steps are grouped until a group would exceed this many tokens (0:
    /// every step on its own).
    pub group_tokens: usize,
}

/// Short steps are grouped up to this size: a one-line step ("3. 밸브를
/// 닫는다") makes a poor chunk on its own (too little for the embedder to
/// place), while a page-sized group would bury the step number again.
const DEFAULT_GROUP_TOKENS: usize = 200;

impl Default for Options {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            group_tokens: DEFAULT_GROUP_TOKENS,
        }
    }
}

/// Which rows of a mapped table become records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Include {
    /// Rows whose failure flag is set (or, without a flag column, rows
    /// with a failure code).
    Failures,
    /// Every row.
    All,
}

/// How one table's columns map onto a record's fields. Every column named
/// must be in the table's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mapping {
    pub equipment_id: Vec<String>,
    /// Columns holding a failure code (E-2051), or 0/1 flag columns named
    /// after one (AI4I's TWF, HDF, …).
    pub failure_mode: Vec<String>,
    /// A 0/1 column saying whether the row is a failure.
    pub failure_flag: Option<String>,
    pub date: Vec<String>,
    /// Free-text columns (작업내용, 조치내용), each on its own line.
    pub text: Vec<String>,
    /// The record's own number (작업지시번호, UDI): its id and citation.
    pub id: Vec<String>,
    pub include: Include,
    /// Names of failure codes, added to the built-in AI4I ones.
    pub failure_names: BTreeMap<String, String>,
}

impl Mapping {
    /// Every column the mapping names, with the option that names it.
    pub(crate) fn columns(&self) -> Vec<(&'static str, &str)> {
        let fields: [(&'static str, &[String]); 6] = [
            ("equipment_id", &self.equipment_id),
            ("failure_mode", &self.failure_mode),
            ("failure_flag", self.failure_flag.as_slice()),
            ("date", &self.date),
            ("text", &self.text),
            ("id", &self.id),
        ];
        fields
            .into_iter()
            .flat_map(|(field, cols)| cols.iter().map(move |c| (field, c.as_str())))
            .collect()
    }
}

/// A column or a list of columns.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Columns {
    One(String),
    Many(Vec<String>),
}

impl Columns {
    fn into_vec(self) -> Vec<String> {
        let cols = match self {
            Columns::One(c) => vec![c],
            Columns::Many(cs) => cs,
        };
        cols.into_iter()
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default)]
    equipment_id: Option<Columns>,
    #[serde(default)]
    failure_mode: Option<Columns>,
    #[serde(default)]
    failure_flag: Option<String>,
    #[serde(default)]
    date: Option<Columns>,
    #[serde(default)]
    text: Option<Columns>,
    #[serde(default)]
    id: Option<Columns>,
    #[serde(default)]
    include: Option<Include>,
    #[serde(default)]
    failure_names: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSteps {
    #[serde(default)]
    group_tokens: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOptions {
    #[serde(default)]
    records: Option<serde_json::Value>,
    #[serde(default)]
    steps: Option<RawSteps>,
}

impl Options {
    pub(crate) fn parse(value: &serde_json::Value) -> Result<Self, OptionsError> {
        if value.is_null() {
            return Ok(Self::default());
        }
        let raw: RawOptions =
            serde_json::from_value(value.clone()).map_err(|e| OptionsError(e.to_string()))?;
        let mut options = Self::default();
        if let Some(steps) = raw.steps {
            options.group_tokens = steps.group_tokens.unwrap_or(DEFAULT_GROUP_TOKENS);
        }
        if let Some(records) = raw.records {
            // Parsed in two steps so a mistake inside a mapping is reported
            // as itself, not as "did not match any variant".
            let raws = match records {
                serde_json::Value::Array(items) => items,
                other => vec![other],
            };
            for (n, raw) in raws.into_iter().enumerate() {
                let raw: RawMapping = serde_json::from_value(raw)
                    .map_err(|e| OptionsError(format!("records[{n}]: {e}")))?;
                options.records.push(mapping(raw, n)?);
            }
        }
        Ok(options)
    }
}

fn mapping(raw: RawMapping, n: usize) -> Result<Mapping, OptionsError> {
    let cols = |c: Option<Columns>| c.map(Columns::into_vec).unwrap_or_default();
    let failure_flag = raw
        .failure_flag
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let include = raw.include.unwrap_or(if failure_flag.is_some() {
        Include::Failures
    } else {
        Include::All
    });
    let m = Mapping {
        equipment_id: cols(raw.equipment_id),
        failure_mode: cols(raw.failure_mode),
        failure_flag,
        date: cols(raw.date),
        text: cols(raw.text),
        id: cols(raw.id),
        include,
        failure_names: raw.failure_names,
    };
    if m.columns().is_empty() {
        return Err(OptionsError(format!("records[{n}]: names no column")));
    }
    if m.include == Include::Failures && m.failure_flag.is_none() && m.failure_mode.is_empty() {
        return Err(OptionsError(format!(
            "records[{n}]: include = \"failures\" needs failure_flag or failure_mode"
        )));
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_mapping_or_many_and_named_errors() {
        let o = Options::parse(&json!({"records": {"equipment_id": "설비번호", "failure_mode": ["TWF", "HDF"], "failure_flag": "Machine failure"}})).expect("ok");
        assert_eq!(o.records[0].equipment_id, ["설비번호"]);
        assert_eq!(o.records[0].include, Include::Failures);
        let o = Options::parse(&json!({"records": [{"id": "UDI"}, {"id": "작업지시번호"}], "steps": {"group_tokens": 0}})).expect("ok");
        assert_eq!((o.records.len(), o.group_tokens), (2, 0));
        assert_eq!(o.records[1].include, Include::All);
        assert_eq!(
            Options::parse(&serde_json::Value::Null)
                .expect("null")
                .group_tokens,
            200
        );
        for (bad, said) in [
            (json!({"recods": {}}), "unknown field `recods`"),
            (
                json!({"records": {"equipment": "x"}}),
                "records[0]: unknown field `equipment`",
            ),
            (
                json!({"records": [{"id": "a"}, {}]}),
                "records[1]: names no column",
            ),
            (
                json!({"records": {"id": "a", "include": "failures"}}),
                "needs failure_flag",
            ),
            (
                json!({"records": {"id": "a", "include": "some"}}),
                "unknown variant `some`",
            ),
            (json!({"steps": {"group_tokens": -1}}), "invalid value"),
        ] {
            let err = Options::parse(&bad).expect_err("bad").to_string();
            assert!(
                err.starts_with("manufacturing connector options: ") && err.contains(said),
                "{err}"
            );
        }
    }
}
