//! Evaluation from the console (admin): a retrieval or answer evaluation of
//! an uploaded set or a configured one (`server.eval_sets`), run in the
//! background one at a time, its report kept on disk with the earlier runs
//! so a site sees whether a change of chunking, model or synonyms helped.
//!
//! Runs are `<data>/eval/runs/<id>.json`; uploaded sets are kept under
//! `<data>/eval/sets/<id>/` (a run can be read again against its set).

use std::path::{Path as FsPath, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::Json;
use seogo_engine::retrieve::SearchMode;
use seogo_engine::EngineError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::routes::documents::{safe_file_name, save_field};
use crate::routes::jobs::JobProgress;
use crate::{blocking, Shared};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum EvalKind {
    /// nDCG@10, recall and MRR per search mode (`seogo eval retrieval`).
    Retrieval,
    /// Refusal, citation and answer quality through `ask` (`seogo eval
    /// answers`).
    Answers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RunState {
    Running,
    Done,
    Failed,
}

/// One evaluation run, as `GET /v1/admin/eval/{id}` shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EvalRun {
    id: String,
    kind: EvalKind,
    /// The configured set's name, or the uploaded files' names.
    set: String,
    who: String,
    state: RunState,
    started_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    modes: Vec<SearchMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit: Option<usize>,
    /// Indexing the set's corpus, while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    progress: Option<JobProgress>,
    /// `seogo eval retrieval --json` or `seogo eval answers --json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    report: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The run going now, if any: one at a time, since an evaluation takes the
/// machine's cores for minutes.
#[derive(Debug, Default)]
pub(crate) struct EvalRuns {
    live: Mutex<Option<EvalRun>>,
}

impl EvalRuns {
    fn live(&self) -> std::sync::MutexGuard<'_, Option<EvalRun>> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Runs listed, newest first.
const RUNS_LISTED: usize = 100;
/// How often a running evaluation's progress is published.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

fn eval_dir(state: &Shared) -> PathBuf {
    state.engine.config().data.dir.join("eval")
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `GET /v1/admin/eval`: the configured sets and the runs, newest first.
pub(crate) async fn list(
    State(state): State<Shared>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Admin)?;
    let dir = eval_dir(&state).join("runs");
    let live = state.evals.live().clone();
    let mut runs = blocking(move || read_runs(&dir)).await?;
    for run in &mut runs {
        settle(run, live.as_ref());
    }
    runs.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    runs.truncate(RUNS_LISTED);
    let sets: Vec<Value> = state
        .config
        .eval_sets
        .keys()
        .map(|name| json!({ "name": name }))
        .collect();
    Ok(Json(json!({ "sets": sets, "runs": runs })))
}

/// `GET /v1/admin/eval/{id}`.
pub(crate) async fn get(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EvalRun>, ApiError> {
    let path = run_file(&state, &caller, &id)?;
    let live = state.evals.live().clone();
    let mut run = blocking(move || read_run(&path))
        .await?
        .ok_or_else(|| no_such_run(&id))?;
    settle(&mut run, live.as_ref());
    Ok(Json(run))
}

/// `DELETE /v1/admin/eval/{id}`: forgets a finished run, and its uploaded
/// set with it (a configured set is the site's own and stays). The running
/// one is refused (409 `busy`).
pub(crate) async fn delete(
    State(state): State<Shared>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let file = run_file(&state, &caller, &id)?;
    if state.evals.live().as_ref().is_some_and(|l| l.id == id) {
        return Err(EngineError::Busy(format!(
            "evaluation `{id}` is running; delete it once it is done"
        ))
        .into());
    }
    let set = eval_dir(&state).join("sets").join(&id);
    let removed = blocking(move || {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(EngineError::io(&file, e)),
        }
        match std::fs::remove_dir_all(&set) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(EngineError::io(&set, e)),
            _ => Ok(true),
        }
    })
    .await?;
    if !removed {
        return Err(no_such_run(&id));
    }
    state.audit.record(crate::audit::AuditEntry {
        who: caller.id.clone(),
        route: "/v1/admin/eval/{id}".into(),
        detail: Some(json!({ "run": id, "deleted": true })),
        status: 200,
        ..Default::default()
    });
    Ok(Json(json!({ "id": id, "deleted": true })))
}

/// The live run as it stands now (its progress); a run recorded as running
/// that is not the live one was cut off by a restart.
fn settle(run: &mut EvalRun, live: Option<&EvalRun>) {
    if let Some(live) = live.filter(|l| l.id == run.id) {
        *run = live.clone();
        return;
    }
    if run.state == RunState::Running && live.is_none_or(|l| l.id != run.id) {
        run.state = RunState::Failed;
        run.error = Some("interrupted: the server stopped during the run".into());
    }
}

/// The file of run `id`, for an admin; what is not a run's id is "not
/// found" before any path is made of it.
fn run_file(state: &Shared, caller: &Caller, id: &str) -> Result<PathBuf, ApiError> {
    caller.require(Role::Admin)?;
    let is_run_id = id
        .strip_prefix("eval_")
        .is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !is_run_id {
        return Err(no_such_run(id));
    }
    Ok(eval_dir(state).join("runs").join(format!("{id}.json")))
}

fn no_such_run(id: &str) -> ApiError {
    ApiError::not_found(format!("no evaluation run `{id}`"))
}

fn read_run(path: &FsPath) -> Result<Option<EvalRun>, EngineError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| EngineError::Corrupt(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EngineError::io(path, e)),
    }
}

fn read_runs(dir: &FsPath) -> Result<Vec<EvalRun>, EngineError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(EngineError::io(dir, e)),
    };
    let mut runs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            runs.extend(read_run(&path)?);
        }
    }
    Ok(runs)
}

fn write_run(dir: &FsPath, run: &EvalRun) -> Result<(), EngineError> {
    std::fs::create_dir_all(dir).map_err(|e| EngineError::io(dir, e))?;
    Ok(seogo_durable::write_json(
        &dir.join(format!("{}.json", run.id)),
        run,
        "eval-run",
    )?)
}

/// What the form asked for.
struct EvalForm {
    kind: EvalKind,
    modes: Vec<SearchMode>,
    limit: Option<usize>,
    set: Option<String>,
    files: Vec<String>,
}

/// Reads the form, saving uploaded files under `dir` in the layout `seogo
/// eval` reads (a qrels `.tsv` goes into `qrels/`).
async fn read_form(
    multipart: &mut Multipart,
    dir: &FsPath,
    limit_bytes: u64,
) -> Result<EvalForm, ApiError> {
    let mut form = EvalForm {
        kind: EvalKind::Retrieval,
        modes: vec![SearchMode::Bm25, SearchMode::Dense, SearchMode::Hybrid],
        limit: None,
        set: None,
        files: Vec::new(),
    };
    let bad = |e: &dyn std::fmt::Display| ApiError::bad_request(format!("reading the form: {e}"));
    while let Some(mut field) = multipart.next_field().await.map_err(|e| bad(&e))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let file = field
                .file_name()
                .and_then(safe_file_name)
                .ok_or_else(|| ApiError::bad_request("a file field needs a file name"))?;
            let target = match file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
                Some(e) if e == "tsv" => dir.join("qrels").join(&file),
                Some(e) if e == "json" || e == "jsonl" => dir.join(&file),
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "`{file}`: an evaluation set is a SQuAD-format .json, or BEIR's corpus.jsonl, queries.jsonl and a qrels .tsv"
                    )))
                }
            };
            if form.files.contains(&file) {
                return Err(ApiError::bad_request(format!("`{file}` is uploaded twice")));
            }
            if let Some(parent) = target.parent() {
                tokio::fs::create_dir_all(parent)
                    .await
                    .map_err(ApiError::internal)?;
            }
            save_field(&mut field, &target, limit_bytes).await?;
            form.files.push(file);
            continue;
        }
        let text = field.text().await.map_err(|e| bad(&e))?;
        let text = text.trim();
        match name.as_str() {
            "kind" => {
                form.kind = serde_json::from_value(json!(text)).map_err(|_| {
                    ApiError::bad_request(format!("kind `{text}`: retrieval or answers"))
                })?;
            }
            "modes" => {
                form.modes = text
                    .split(',')
                    .map(str::trim)
                    .filter(|m| !m.is_empty())
                    .map(|m| m.parse::<SearchMode>().map_err(ApiError::bad_request))
                    .collect::<Result<_, _>>()?;
            }
            "limit" if !text.is_empty() => {
                let limit = text.parse::<usize>().ok().filter(|&n| n > 0);
                form.limit = Some(limit.ok_or_else(|| {
                    ApiError::bad_request(format!("limit `{text}`: a positive number"))
                })?);
            }
            "limit" => {}
            "set" if !text.is_empty() => form.set = Some(text.to_string()),
            "set" => {}
            other => {
                return Err(ApiError::bad_request(format!(
                    "unexpected field `{other}`: send kind, modes, limit, and set or file fields"
                )))
            }
        }
    }
    if form.kind == EvalKind::Retrieval && form.modes.is_empty() {
        return Err(ApiError::bad_request(
            "modes: name at least one search mode",
        ));
    }
    match (&form.set, form.files.is_empty()) {
        (Some(_), false) => Err(ApiError::bad_request(
            "send a configured `set` or `file` fields, not both",
        )),
        (None, true) => Err(ApiError::bad_request(
            "no evaluation set: send a configured `set` name or `file` fields",
        )),
        _ => Ok(form),
    }
}

/// `POST /v1/admin/eval`: starts a run (202 with its id); 409 `busy` while
/// another runs.
pub(crate) async fn start(
    State(state): State<Shared>,
    caller: Caller,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Role::Admin)?;
    let mut multipart =
        multipart.map_err(|e| ApiError::bad_request(format!("not a multipart form: {e}")))?;
    let id = crate::random_id("eval_", 8)?;
    let mut run = EvalRun {
        id: id.clone(),
        kind: EvalKind::Retrieval,
        set: String::new(),
        who: caller.id.clone(),
        state: RunState::Running,
        started_at: now(),
        finished_at: None,
        modes: Vec::new(),
        limit: None,
        progress: None,
        report: None,
        error: None,
    };
    {
        // Claimed before the upload is read, so two forms never both run.
        let mut live = state.evals.live();
        if let Some(other) = live.as_ref() {
            return Err(EngineError::Busy(format!(
                "evaluation `{}` is running; wait for it to finish",
                other.id
            ))
            .into());
        }
        *live = Some(run.clone());
    }
    let set_dir = eval_dir(&state).join("sets").join(&id);
    let form = read_form(&mut multipart, &set_dir, state.config.max_upload_bytes).await;
    let dataset = form.and_then(|form| {
        let dataset = match &form.set {
            Some(name) => state.config.eval_sets.get(name).cloned().ok_or_else(|| {
                ApiError::not_found(format!(
                    "no evaluation set `{name}` in server.eval_sets (configured: {})",
                    state
                        .config
                        .eval_sets
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
            None => set_dir.clone(),
        };
        Ok((form, dataset))
    });
    let (form, dataset) = match dataset {
        Ok(ok) => ok,
        Err(e) => {
            *state.evals.live() = None;
            let _ = tokio::fs::remove_dir_all(&set_dir).await;
            return Err(e);
        }
    };
    run.kind = form.kind;
    run.set = form.set.clone().unwrap_or_else(|| form.files.join(", "));
    if form.kind == EvalKind::Retrieval {
        run.modes = form.modes.clone();
        run.progress = Some(JobProgress::default());
    } else {
        run.limit = form.limit;
    }
    let runs_dir = eval_dir(&state).join("runs");
    let first = run.clone();
    let dir = runs_dir.clone();
    if let Err(e) = blocking(move || write_run(&dir, &first)).await {
        *state.evals.live() = None;
        return Err(e);
    }
    *state.evals.live() = Some(run.clone());
    tokio::spawn(evaluate(state, run, form, dataset, runs_dir));
    Ok((StatusCode::ACCEPTED, Json(json!({ "run_id": id }))))
}

/// Runs the evaluation on a blocking thread, publishing progress, then
/// records the report and frees the slot.
async fn evaluate(
    state: Shared,
    run: EvalRun,
    form: EvalForm,
    dataset: PathBuf,
    runs_dir: PathBuf,
) {
    let engine = state.engine.clone();
    let publisher = state.clone();
    let uploaded = form.set.is_none();
    let outcome = blocking(move || {
        let mut progress = JobProgress::default();
        let mut published = Instant::now();
        let mut on_progress = |p| {
            progress.add(p);
            if published.elapsed() >= PROGRESS_EVERY {
                published = Instant::now();
                if let Some(live) = publisher.evals.live().as_mut() {
                    live.progress = Some(progress.clone());
                }
            }
        };
        let report = match form.kind {
            EvalKind::Retrieval => {
                let req = seogo_eval::EvalRequest {
                    dataset,
                    modes: form.modes,
                    split: None,
                    analyzer: None,
                    connector: None,
                };
                serde_json::to_value(seogo_eval::eval_retrieval(&engine, &req, &mut on_progress)?)
            }
            EvalKind::Answers => {
                let req = seogo_eval::answers::AnswerEvalRequest {
                    dataset,
                    limit: form.limit,
                    seed: 42,
                };
                serde_json::to_value(seogo_eval::answers::eval_answers(
                    &engine,
                    &req,
                    &mut on_progress,
                )?)
            }
        };
        let report = report.map_err(|e| EngineError::Corrupt(e.to_string()))?;
        Ok((report, progress))
    })
    .await;
    let mut done = run;
    done.finished_at = Some(now());
    match outcome {
        Ok((mut report, progress)) => {
            done.state = RunState::Done;
            // An uploaded set is named as uploaded, not by where the
            // server keeps it.
            if let Some(fields) = report.as_object_mut().filter(|_| uploaded) {
                fields.insert("dataset".into(), json!(done.set));
            }
            done.report = Some(report);
            if done.progress.is_some() {
                done.progress = Some(progress);
            }
        }
        Err(e) => {
            done.state = RunState::Failed;
            done.error = Some(e.message);
        }
    }
    state.audit.record(crate::audit::AuditEntry {
        who: done.who.clone(),
        route: "/v1/admin/eval".into(),
        detail: Some(json!({
            "run": done.id,
            "kind": done.kind,
            "set": done.set,
            "state": done.state,
        })),
        status: if done.state == RunState::Done {
            200
        } else {
            500
        },
        ..Default::default()
    });
    let record = done.clone();
    if let Err(e) = blocking(move || write_run(&runs_dir, &record)).await {
        tracing::error!(run = %done.id, error = %e.message, "the evaluation's report was not saved");
    }
    *state.evals.live() = None;
}
