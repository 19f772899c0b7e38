//! `GET /v1/admin/audit`: the audit log searched, newest first, as it was
//! written (masked): by caller, route, time and text. The widget's thumbs
//! are lines of route `/v1/feedback`, so this is also where the operator
//! console reads the answers readers disliked.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::{blocking, Shared};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditQuery {
    /// The caller's id as logged (`key:<id>`, `oidc:<subject>`).
    who: Option<String>,
    /// The route as logged, e.g. `/v1/ask` or `/v1/feedback`; the routes
    /// under it match too (`/v1/admin/keys` finds `/v1/admin/keys/{id}`).
    route: Option<String>,
    /// Lines at or after this RFC 3339 time.
    since: Option<String>,
    /// Lines before this RFC 3339 time.
    until: Option<String>,
    /// Text the line contains (its question, detail, document ids).
    q: Option<String>,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    100
}

/// Most lines one search returns.
const MAX_LIMIT: usize = 1000;

/// Normalises an RFC 3339 time to the log's own format (UTC, milliseconds),
/// so times compare as text.
fn log_time(key: &str, value: &str) -> Result<String, ApiError> {
    chrono::DateTime::parse_from_rfc3339(value)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        })
        .map_err(|e| {
            ApiError::bad_request(format!(
                "`{key}`: {e} (RFC 3339, e.g. 2026-12-07T09:00:00+09:00)"
            ))
        })
}

/// Audit lines matching the query, newest first (admin). An admin limited
/// to some collections sees only lines about those.
pub(crate) async fn search(
    State(state): State<Shared>,
    caller: Caller,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Admin)?;
    let Query(query) = query?;
    if query.limit == 0 || query.limit > MAX_LIMIT {
        return Err(ApiError::bad_request(format!("`limit`: 1..={MAX_LIMIT}")));
    }
    let since = query
        .since
        .as_deref()
        .map(|t| log_time("since", t))
        .transpose()?;
    let until = query
        .until
        .as_deref()
        .map(|t| log_time("until", t))
        .transpose()?;
    let files = state.audit.files();
    let lines = blocking(move || {
        let mut found = Vec::new();
        for file in files {
            // A file rotated away meanwhile is skipped, not an error.
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for line in text.lines().rev() {
                // The line being appended may be incomplete: skipped.
                let Ok(entry) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                let field = |name: &str| entry[name].as_str().unwrap_or_default();
                let ts = field("ts");
                let wanted = query.who.as_deref().is_none_or(|w| field("who") == w)
                    && query
                        .route
                        .as_deref()
                        .is_none_or(|r| under(field("route"), r))
                    && since.as_deref().is_none_or(|s| ts >= s)
                    && until.as_deref().is_none_or(|u| ts < u)
                    && query.q.as_deref().is_none_or(|q| line.contains(q))
                    && entry["collection"]
                        .as_str()
                        .is_none_or(|c| caller.sees_collection(c));
                if wanted {
                    found.push(entry);
                    if found.len() == query.limit {
                        return Ok(found);
                    }
                }
            }
        }
        Ok(found)
    })
    .await?;
    Ok(Json(json!({ "lines": lines })))
}

/// Whether `route` is `wanted` or a route under it (at a `/`).
fn under(route: &str, wanted: &str) -> bool {
    route
        .strip_prefix(wanted.trim_end_matches('/'))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
