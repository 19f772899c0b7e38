//! Who is calling: an API key (`Authorization: Bearer sgo_…`), an OIDC
//! bearer token, or nobody (only where `server.anonymous` allows it). The
//! caller's principals — a key's groups, a token's groups claim — are the
//! ACL filter of every query it makes; the request body cannot add to them,
//! and no role reads past them: an admin manages collections, it does not
//! read documents its groups do not cover.

pub mod keys;
pub mod oidc;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use seogo_engine::retrieve::Scope;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ErrorCode};
use crate::Shared;
use keys::KeyStore;
use oidc::Oidc;

/// What a caller may do; each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Search, ask, read documents (within its groups).
    Query,
    /// Also upload and delete documents.
    Ingest,
    /// Also create and delete collections.
    Admin,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Query => "query",
            Role::Ingest => "ingest",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "query" => Ok(Role::Query),
            "ingest" => Ok(Role::Ingest),
            "admin" => Ok(Role::Admin),
            _ => Err(format!("`{s}`: expected query, ingest or admin")),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `key:<id>`, `oidc:<subject>` or `anonymous`: the audit's "who".
    pub id: String,
    pub role: Role,
    /// Collections it may use; `None` = all.
    collections: Option<Vec<String>>,
    /// Its groups: the ACL filter of everything it reads.
    pub principals: Vec<String>,
}

impl Caller {
    pub(crate) fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::RoleForbidden,
                format!(
                    "this needs the {} role; the caller has {}",
                    role.name(),
                    self.role.name()
                ),
            ))
        }
    }

    /// The scope a request of this caller runs in: `collection` (refused
    /// outside the caller's collections) with the caller's groups as the
    /// ACL filter — never groups a request names.
    pub(crate) fn scope(
        &self,
        collection: String,
        filters: Vec<String>,
    ) -> Result<Scope, ApiError> {
        self.may_use(&collection)?;
        Ok(Scope {
            collection,
            filters,
            principals: self.principals.clone(),
        })
    }

    /// Refuses a collection outside the caller's scope. An evaluation
    /// collection holds whatever set an operator evaluated, so a caller
    /// below admin uses one only where its key names it.
    pub(crate) fn may_use(&self, collection: &str) -> Result<(), ApiError> {
        match &self.collections {
            Some(allowed) if !allowed.iter().any(|c| c == collection) => Err(ApiError::new(
                ErrorCode::CollectionForbidden,
                format!("this key may not use collection `{collection}`"),
            )),
            None if self.role < Role::Admin
                && collection.starts_with(seogo_eval::EVAL_COLLECTION_PREFIX) =>
            {
                Err(ApiError::new(
                    ErrorCode::CollectionForbidden,
                    format!("`{collection}` is an evaluation collection: admins only"),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The collections it may use; `None` = all.
    pub(crate) fn collections(&self) -> Option<&[String]> {
        self.collections.as_deref()
    }

    pub(crate) fn sees_collection(&self, collection: &str) -> bool {
        self.may_use(collection).is_ok()
    }
}

/// The key file as it is now: re-read when its modification time changes,
/// so `seogo keys revoke` takes effect on the next request, not at restart.
#[derive(Debug)]
struct LiveKeys {
    path: PathBuf,
    loaded: RwLock<(Option<SystemTime>, Arc<KeyStore>)>,
}

impl LiveKeys {
    fn open(path: PathBuf) -> Result<Self, keys::KeyError> {
        let modified = modified(&path);
        let store = KeyStore::load(&path)?;
        Ok(Self {
            path,
            loaded: RwLock::new((modified, Arc::new(store))),
        })
    }

    fn current(&self) -> Arc<KeyStore> {
        let now = modified(&self.path);
        if let Ok(loaded) = self.loaded.read() {
            if loaded.0 == now {
                return loaded.1.clone();
            }
        }
        match KeyStore::load(&self.path) {
            Ok(store) => {
                let store = Arc::new(store);
                if let Ok(mut loaded) = self.loaded.write() {
                    *loaded = (now, store.clone());
                }
                store
            }
            Err(e) => {
                // A half-written or broken file must not lock everyone
                // out, nor let revoked keys back in: keep what was loaded.
                tracing::error!(error = %e, "key file unreadable; keeping the keys loaded before");
                self.loaded.read().map(|l| l.1.clone()).unwrap_or_default()
            }
        }
    }
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Authentication as configured.
#[derive(Debug)]
pub struct Authenticator {
    keys: LiveKeys,
    oidc: Option<Oidc>,
    anonymous: bool,
    requests_per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Authenticator {
    /// `anonymous`: `None` allows anonymous callers only when neither keys
    /// nor OIDC are configured.
    pub fn new(
        keys_file: PathBuf,
        oidc: Option<Oidc>,
        anonymous: Option<bool>,
        requests_per_minute: u32,
    ) -> Result<Self, keys::KeyError> {
        let keys = LiveKeys::open(keys_file)?;
        let no_keys = keys.current().keys.is_empty();
        let anonymous = anonymous.unwrap_or(no_keys && oidc.is_none());
        Ok(Self {
            keys,
            oidc,
            anonymous,
            requests_per_minute,
            windows: Mutex::new(HashMap::new()),
        })
    }

    pub fn allows_anonymous(&self) -> bool {
        self.anonymous
    }

    /// Whether no credential could be checked: anonymous callers allowed,
    /// no key in the key file (read now: keys may be created while
    /// serving) and no OIDC provider.
    pub fn unauthenticated(&self) -> bool {
        self.anonymous && self.oidc.is_none() && self.keys.current().keys.is_empty()
    }

    /// The caller presenting `authorization` (the header's value).
    ///
    /// On a server with nothing to check credentials against (see
    /// [`Self::unauthenticated`]) any header is ignored and the caller is
    /// anonymous: standard OpenAI clients always send a bearer token, a
    /// dummy one included, and refusing it would lock them out of a demo
    /// server that lets everyone read its public documents anyway.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Caller, ApiError> {
        let anonymous = || Caller {
            id: "anonymous".into(),
            role: Role::Query,
            collections: None,
            principals: Vec::new(),
        };
        if self.unauthenticated() {
            return Ok(anonymous());
        }
        let Some(value) = authorization else {
            if self.anonymous {
                return Ok(anonymous());
            }
            return Err(ApiError::unauthorized(
                "credentials required: send `Authorization: Bearer <API key or token>`",
            ));
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthorized("the Authorization header is not `Bearer …`"))?;
        if token.starts_with("sgo_") {
            let keys = self.keys.current();
            let key = keys
                .verify(token)
                .ok_or_else(|| ApiError::unauthorized("unknown or revoked API key"))?;
            return Ok(Caller {
                id: format!("key:{}", key.id),
                role: key.role,
                collections: (!key.collections.is_empty()).then(|| key.collections.clone()),
                principals: key.groups.clone(),
            });
        }
        let oidc = self
            .oidc
            .as_ref()
            .ok_or_else(|| ApiError::unauthorized("not an API key, and no OIDC is configured"))?;
        let identity = oidc
            .verify(token)
            .map_err(|e| ApiError::unauthorized(e.to_string()))?;
        let config = oidc.config();
        let member = |groups: &[String]| identity.groups.iter().any(|g| groups.contains(g));
        let role = if member(&config.admin_groups) {
            Role::Admin
        } else if member(&config.ingest_groups) {
            Role::Ingest
        } else {
            Role::Query
        };
        Ok(Caller {
            id: format!("oidc:{}", identity.subject),
            role,
            collections: None,
            principals: identity.groups,
        })
    }

    /// Counts a request against the caller's per-minute allowance.
    fn admit(&self, caller: &Caller) -> Result<(), ApiError> {
        if self.requests_per_minute == 0 {
            return Ok(());
        }
        let mut windows = self
            .windows
            .lock()
            .map_err(|_| ApiError::internal("rate-limit lock poisoned"))?;
        let now = Instant::now();
        // Forget idle callers so the table cannot grow without bound.
        if windows.len() > 10_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let (start, count) = windows.entry(caller.id.clone()).or_insert((now, 0));
        if now.duration_since(*start) >= Duration::from_secs(60) {
            *start = now;
            *count = 0;
        }
        *count += 1;
        if *count > self.requests_per_minute {
            let wait = 60u64
                .saturating_sub(now.duration_since(*start).as_secs())
                .max(1);
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                format!(
                    "more than {} requests in a minute; retry in {wait} s",
                    self.requests_per_minute
                ),
            ));
        }
        Ok(())
    }
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        let authorization = match parts.headers.get(header::AUTHORIZATION) {
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?,
            ),
            None => None,
        };
        let caller = state.auth.authenticate(authorization);
        let caller = match caller {
            Ok(c) => c,
            Err(e) => {
                state.metrics.auth_failure();
                return Err(e);
            }
        };
        state.auth.admit(&caller)?;
        Ok(caller)
    }
}
