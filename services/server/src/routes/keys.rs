//! Who the caller is, and API keys managed over the API (admin): what the
//! operator console's sign-in and Keys page use, scriptable like the rest.
//! A key made over the API never grants more than its maker holds: its
//! role, collections and groups are within the caller's own, so a
//! restricted admin cannot mint a way around its restriction. Keys with
//! other groups are made on the server with `seogo keys create`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::keys::{KeyError, KeyRecord, KeyStore};
use crate::auth::{Caller, Role};
use crate::error::{ApiError, ErrorCode};
use crate::Shared;

/// `GET /v1/whoami` (any caller): its id, role, groups and collections,
/// so a client can tell what it may do before it tries.
pub(crate) async fn whoami(caller: Caller) -> Json<Value> {
    Json(json!({
        "id": caller.id,
        "role": caller.role.name(),
        "groups": caller.principals,
        "collections": caller.collections(),
    }))
}

/// A key as listed: never its hash.
fn listed(record: &KeyRecord) -> Value {
    json!({
        "id": record.id,
        "name": record.name,
        "role": record.role.name(),
        "collections": record.collections,
        "groups": record.groups,
        "created": record.created,
    })
}

fn key_error(e: KeyError) -> ApiError {
    match e {
        KeyError::NoSuchKey(_) => ApiError::not_found(e.to_string()),
        KeyError::File { .. } | KeyError::Random => ApiError::internal(e),
    }
}

/// Reads the key file, changes it with `change` and writes it back, one
/// change at a time (the lock), durably.
fn change_keys<T>(
    state: &Shared,
    change: impl FnOnce(&mut KeyStore) -> Result<T, KeyError>,
) -> Result<T, ApiError> {
    let _one_at_a_time = state
        .key_changes
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let path = state.keys_file();
    let mut store = KeyStore::load(&path).map_err(key_error)?;
    let out = change(&mut store).map_err(key_error)?;
    store.save(&path).map_err(key_error)?;
    Ok(out)
}

/// `GET /v1/admin/keys` (admin): every key, without secrets or hashes.
pub(crate) async fn list(
    State(state): State<Shared>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Admin)?;
    let store = KeyStore::load(&state.keys_file()).map_err(key_error)?;
    let keys: Vec<Value> = store.keys.iter().map(listed).collect();
    Ok(Json(json!({ "keys": keys })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewKey {
    name: String,
    #[serde(default)]
    role: Option<String>,
    /// Empty: every collection the caller may use.
    #[serde(default)]
    collections: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

/// `POST /v1/admin/keys` (admin): makes a key and returns it, the only
/// time its secret is shown; audited (never the secret).
pub(crate) async fn create(
    State(state): State<Shared>,
    caller: Caller,
    body: Result<Json<NewKey>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Role::Admin)?;
    let Json(body) = body?;
    let name = body.name.trim().to_string();
    if name.is_empty() || name.len() > 100 {
        return Err(ApiError::bad_request("`name`: 1 to 100 characters"));
    }
    let role: Role = body
        .role
        .as_deref()
        .unwrap_or("query")
        .parse()
        .map_err(|e: String| ApiError::bad_request(format!("`role`: {e}")))?;
    let outside = |what: &str, asked: &[String], held: &[String]| {
        let extra: Vec<&str> = asked
            .iter()
            .filter(|a| !held.contains(a))
            .map(String::as_str)
            .collect();
        (!extra.is_empty()).then(|| {
            ApiError::new(
                ErrorCode::RoleForbidden,
                format!(
                    "a key made over the API holds no {what} its maker does not; not yours: {} \
                     (make it on the server with `seogo keys create`)",
                    extra.join(", ")
                ),
            )
        })
    };
    if let Some(e) = outside("groups", &body.groups, &caller.principals) {
        return Err(e);
    }
    // A caller limited to some collections makes keys limited to them.
    let collections = match caller.collections() {
        Some(held) if body.collections.is_empty() => held.to_vec(),
        Some(held) => match outside("collections", &body.collections, held) {
            Some(e) => return Err(e),
            None => body.collections,
        },
        None => body.collections,
    };
    let (record, key) = change_keys(&state, |store| {
        store.create(&name, role, collections, body.groups)
    })?;
    state.audit.record(crate::audit::AuditEntry {
        who: caller.id,
        route: "/v1/admin/keys".into(),
        detail: Some(
            json!({ "created": record.id, "name": record.name, "role": record.role.name() }),
        ),
        status: 201,
        ..Default::default()
    });
    let mut body = listed(&record);
    body["key"] = Value::String(key);
    Ok((StatusCode::CREATED, Json(body)))
}

/// `DELETE /v1/admin/keys/{id}` (admin): revokes a key; the server refuses
/// it from its next request. Audited.
pub(crate) async fn revoke(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Admin)?;
    let record = change_keys(&state, |store| store.revoke(&id))?;
    state.audit.record(crate::audit::AuditEntry {
        who: caller.id,
        route: "/v1/admin/keys/{id}".into(),
        detail: Some(json!({ "revoked": record.id, "name": record.name })),
        status: 200,
        ..Default::default()
    });
    Ok(Json(json!({ "id": record.id, "revoked": true })))
}
