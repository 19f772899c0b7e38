//! Every error code the API serves, with its HTTP status and what it means.
//!
//! One table: [`ApiError`](super::ApiError) is only built from an
//! [`ErrorCode`], the OpenAPI document's list of codes and the reference in
//! docs/API-ERRORS.md are generated from it, so a code cannot be served
//! without being documented (meilisearch's `make_error_codes!` is the model).

use axum::http::StatusCode;

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = ($status:ident, $code:literal);)*) => {
        /// A stable, machine-readable reason an API request failed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as the JSON body carries it.
            pub fn code(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The HTTP status served with it.
            pub fn status(self) -> StatusCode {
                match self {
                    $(ErrorCode::$variant => StatusCode::$status,)*
                }
            }

            /// One line on what it means and what the caller does about it.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => concat!($($doc),*).trim_ascii(),)*
                }
            }
        }
    };
}

error_codes! {
    /// No API key or token, or one the server does not know (revoked, expired, wrong issuer).
    Unauthorized = (UNAUTHORIZED, "unauthorized");
    /// The caller's role (query < ingest < admin) is too low for this route.
    RoleForbidden = (FORBIDDEN, "role_forbidden");
    /// The key is scoped to other collections.
    CollectionForbidden = (FORBIDDEN, "collection_forbidden");
    /// The body is not JSON (a syntax error, bytes that are not UTF-8).
    BadJson = (BAD_REQUEST, "bad_json");
    /// The body is JSON but not what this route takes (a missing or unknown field, a wrong type).
    InvalidJson = (UNPROCESSABLE_ENTITY, "invalid_json");
    /// The request's Content-Type is not one this route reads (JSON, or multipart for uploads).
    UnsupportedMediaType = (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    /// The URL's query string does not parse.
    BadQuery = (BAD_REQUEST, "bad_query");
    /// A field's value is outside what the route accepts; the message names it.
    BadRequest = (BAD_REQUEST, "bad_request");
    /// A collection name outside 1-64 letters, digits, `-` or `_`.
    InvalidCollectionName = (BAD_REQUEST, "invalid_collection_name");
    /// A filter that is not KEY=VALUE.
    InvalidFilter = (BAD_REQUEST, "invalid_filter");
    /// The query or question has no text.
    EmptyQuery = (BAD_REQUEST, "empty_query");
    /// The query is longer than the engine accepts; shorten it.
    QueryTooLong = (BAD_REQUEST, "query_too_long");
    /// `k` is outside 1..=the maximum the message names.
    KOutOfRange = (BAD_REQUEST, "k_out_of_range");
    /// The prompt (question, history and evidence) does not fit the model's context; shorten the history.
    TooLong = (BAD_REQUEST, "too_long");
    /// No such route, document, job, batch or conversation (or one the caller may not see).
    NotFound = (NOT_FOUND, "not_found");
    /// The collection does not exist; ingest into it (or create it) first.
    NoSuchCollection = (NOT_FOUND, "no_such_collection");
    /// No `[[sources]]` entry of that name in the server's configuration.
    NoSuchSource = (NOT_FOUND, "no_such_source");
    /// The OpenAI-compatible `model` names neither `seogo` nor `seogo/<collection>`.
    NoSuchModel = (NOT_FOUND, "no_such_model");
    /// The document's original file is no longer where it was ingested from.
    OriginalGone = (GONE, "original_gone");
    /// The batch is still running (or queued); fetch its results when it is done.
    NotFinished = (CONFLICT, "not_finished");
    /// The collection was indexed with another embedder than the one configured; the message says how to reindex.
    EmbedderMismatch = (CONFLICT, "embedder_mismatch");
    /// The collection is busy with a change that excludes this one (a reindex); retry later.
    Busy = (CONFLICT, "busy");
    /// This store cannot do it (for example a backup of a Qdrant cluster collection); the message says what to do instead.
    Unsupported = (CONFLICT, "unsupported");
    /// The target already holds what would be written.
    Conflict = (CONFLICT, "conflict");
    /// An input file (a backup archive, an evaluation set) is not what it should be.
    BadInput = (UNPROCESSABLE_ENTITY, "bad_input");
    /// A document could not be read (damaged, encrypted, over a parse limit, an unsupported format).
    BadDocument = (UNPROCESSABLE_ENTITY, "bad_document");
    /// The body or an uploaded file is over the server's size limit.
    TooLarge = (PAYLOAD_TOO_LARGE, "too_large");
    /// More requests in a minute than the key's limit; retry after the seconds the message names.
    RateLimited = (TOO_MANY_REQUESTS, "rate_limited");
    /// A source's feed or folder could not be read; nothing was changed.
    SourceFailed = (BAD_GATEWAY, "source_failed");
    /// Every generation slot stayed busy until the request's deadline; retry later.
    Overloaded = (SERVICE_UNAVAILABLE, "overloaded");
    /// A model the request needs is not installed; an administrator runs `seogo models install`.
    NotReady = (SERVICE_UNAVAILABLE, "not_ready");
    /// The request ran past `server.request_timeout_secs`.
    Timeout = (GATEWAY_TIMEOUT, "timeout");
    /// The server's data disk is below `data.min_free_mb`; nothing was changed.
    DiskFull = (INSUFFICIENT_STORAGE, "disk_full");
    /// The server's configuration cannot serve this request (an unknown connector, a bad glob); see the server log.
    Misconfigured = (INTERNAL_SERVER_ERROR, "misconfigured");
    /// Something failed inside the server; see the server log.
    Internal = (INTERNAL_SERVER_ERROR, "internal");
}

impl ErrorCode {
    /// The Markdown reference of every code (docs/API-ERRORS.md).
    pub fn reference() -> String {
        let mut out = String::from(
            "# API error codes\n\n\
             Generated from `services/server/src/error/codes.rs` by \
             `seogo serve --error-codes`; a test fails when this file differs.\n\n\
             Every error is `{\"error\": {\"code\": …, \"message\": …}}` with the status below. \
             The code is stable; the message is for people.\n\n\
             | code | status | meaning |\n|---|---|---|\n",
        );
        for code in Self::ALL {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                code.code(),
                code.status().as_u16(),
                code.meaning()
            ));
        }
        out
    }

    /// The OpenAPI document with its error codes listed from this table.
    pub(crate) fn document(openapi: &str) -> String {
        let mut doc: serde_json::Value =
            serde_json::from_str(openapi).expect("services/server/api/openapi.json is JSON");
        let codes: Vec<&str> = Self::ALL.iter().map(|c| c.code()).collect();
        let description = Self::ALL
            .iter()
            .map(|c| format!("`{}` ({}): {}", c.code(), c.status().as_u16(), c.meaning()))
            .collect::<Vec<_>>()
            .join("\n");
        doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"] =
            serde_json::json!({"type": "string", "enum": codes, "description": description});
        serde_json::to_string_pretty(&doc).expect("a JSON value serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_explained() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "{} twice", code.code());
            assert!(
                code.code()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                code.code()
            );
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert!(code.meaning().len() > 20, "{:?} needs a meaning", code);
        }
    }

    /// Every code is built somewhere outside this table: a code nothing
    /// serves would be documented for nothing.
    #[test]
    fn every_code_is_served_somewhere() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut text = String::new();
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("codes.rs")
                {
                    text.push_str(&std::fs::read_to_string(&path).expect("read"));
                }
            }
        }
        for code in ErrorCode::ALL {
            let used = format!("ErrorCode::{code:?}");
            assert!(text.contains(&used), "{used} is never served");
        }
    }

    #[test]
    fn the_reference_is_current() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/API-ERRORS.md");
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            current == ErrorCode::reference(),
            "docs/API-ERRORS.md is stale: run `seogo serve --error-codes > docs/API-ERRORS.md`"
        );
    }
}
