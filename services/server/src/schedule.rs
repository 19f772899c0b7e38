//! Scheduled syncs: each `[[sources]]` entry with `every_minutes` is synced
//! by the server when due, as "sync now" does it (a job, audited, one sync
//! per source at a time), with `scheduler` as the caller. A sync that
//! fails still moves the next one on, so a broken share is not retried in
//! a tight loop; its error shows in `GET /v1/sources`.

use std::time::Duration;

use crate::error::ErrorCode;
use crate::routes::sources::start_sync;
use crate::{blocking, Shared};

/// How often due sources are looked for.
const CHECK_EVERY: Duration = Duration::from_secs(15);

/// The caller scheduled syncs are audited as.
const SCHEDULER: &str = "scheduler";

/// Starts the schedule when any source has one.
pub(crate) fn spawn(state: Shared) {
    let scheduled = state
        .engine
        .config()
        .sources
        .iter()
        .any(|s| s.every_minutes.is_some());
    if !scheduled {
        return;
    }
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(CHECK_EVERY);
        loop {
            ticker.tick().await;
            let engine = state.engine.clone();
            let Ok(sources) = blocking(move || Ok(engine.sources())).await else {
                continue;
            };
            let now = seogo_engine::unix_now();
            for source in sources.into_iter().filter(|s| s.due(now)) {
                let name = source.name.clone();
                match start_sync(&state, SCHEDULER, source.name, source.collection) {
                    Ok(job) => tracing::info!(source = %name, %job, "scheduled sync started"),
                    // Someone pressed "sync now", or the last one runs on.
                    Err(e) if e.code == ErrorCode::Busy => {}
                    Err(e) => {
                        tracing::warn!(source = %name, error = %e.message, "scheduled sync not started");
                    }
                }
            }
        }
    });
}
