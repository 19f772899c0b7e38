//! `GET /v1/admin/status`: what the console's overview shows beside the
//! collections: the server's version and the models in use.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::{blocking, Shared};

/// Ingest role and up: the models are the operator's business, not a
/// reader's.
pub(crate) async fn status(
    State(state): State<Shared>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Ingest)?;
    let engine = state.engine.clone();
    let models = blocking(move || engine.model_status()).await?;
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "models": models,
    })))
}
