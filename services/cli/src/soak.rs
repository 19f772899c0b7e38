//! `seogo bench soak`: serves search and ask under concurrent load while a
//! writer uploads, finds and deletes documents, for as long as asked, and
//! reports whether the server stayed healthy: error responses by kind,
//! resident memory and open files over time, search p99 per interval, and
//! a chart of them. The server is this binary's own `serve`, in a child
//! process on a scratch data directory, so what is measured is what a site
//! runs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use seogo_eval::bench::round2;
use serde::Serialize;
use serde_json::{json, Value};

/// What to run and for how long.
pub struct SoakOptions {
    /// Ingested before the server starts: what search and ask run on.
    pub corpus: PathBuf,
    /// Where the scratch data directory is made (and removed after).
    pub data_dir: PathBuf,
    pub models_dir: PathBuf,
    pub minutes: f64,
    /// Concurrent search clients (one ask client and one writer besides).
    pub clients: usize,
    pub sample_seconds: f64,
}

/// Responses of one kind of request.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Outcomes {
    pub ok: u64,
    /// 429s: the configured rate limit, not a failure.
    pub rate_limited: u64,
    pub errors: u64,
}

/// The server at one moment, and the searches of the interval before it.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub t_s: f64,
    pub rss_mb: f64,
    pub open_files: usize,
    pub searches: usize,
    pub search_p50_ms: f64,
    pub search_p99_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct SoakReport {
    pub minutes: f64,
    pub clients: usize,
    /// search, ask, upload, delete, and `visibility` (an uploaded document
    /// found by its code, a deleted one no longer).
    pub requests: BTreeMap<&'static str, Outcomes>,
    /// Upload → found → delete → gone cycles completed.
    pub write_cycles: u64,
    pub samples: Vec<Sample>,
    /// The first failures, with what was asked and what came back.
    pub failures: Vec<String>,
}

impl SoakReport {
    pub fn errors(&self) -> u64 {
        self.requests.values().map(|o| o.errors).sum()
    }
}

/// Search queries on the demo corpus and beyond it (misses are load too).
const QUERIES: [&str; 8] = [
    "냉각수 펌프 점검 주기",
    "PN-4471-A",
    "오류 코드 E-2051",
    "구내식당 석식 시간",
    "보호구 착용 기준",
    "베어링 교체 절차",
    "공정 불량 원인 분석",
    "출장비 정산",
];

const QUESTIONS: [&str; 3] = [
    "한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는?",
    "What does error code E-2051 mean?",
    "구내식당 석식은 몇 시에 시작하나요?",
];

/// Shared between the load threads and the sampler.
#[derive(Default)]
struct Tally {
    requests: BTreeMap<&'static str, Outcomes>,
    interval_search_ms: Vec<f64>,
    write_cycles: u64,
    failures: Vec<String>,
}

impl Tally {
    fn record(&mut self, kind: &'static str, status: u16, what: impl FnOnce() -> String) {
        let outcome = self.requests.entry(kind).or_default();
        match status {
            200..=299 => outcome.ok += 1,
            429 => outcome.rate_limited += 1,
            _ => {
                outcome.errors += 1;
                if self.failures.len() < 20 {
                    self.failures.push(format!("{kind} → {status}: {}", what()));
                }
            }
        }
    }
}

/// The running server child.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        // SIGTERM first, as a service manager would; SIGKILL if it hangs.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn seogo(options: &SoakOptions, data: &Path) -> anyhow::Result<Command> {
    let mut cmd = Command::new(std::env::current_exe().context("this binary's path")?);
    cmd.arg("--data-dir")
        .arg(data)
        .arg("--models-dir")
        .arg(&options.models_dir);
    Ok(cmd)
}

fn checked_output(cmd: &mut Command, what: &str) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn serve(options: &SoakOptions, data: &Path) -> anyhow::Result<Served> {
    // One key carries all the load: its per-caller limit would turn the
    // soak into a test of 429s.
    let mut child = seogo(options, data)?
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("SEOGO__SERVER__REQUESTS_PER_MINUTE", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the server")?;
    let pipe = child.stderr.take().context("server stderr")?;
    let mut lines = BufReader::new(pipe).lines();
    let mut base = None;
    for line in lines.by_ref() {
        let line = line.context("reading the server's log")?;
        if let Some(addr) = line.split("listening on ").nth(1) {
            base = Some(addr.trim().to_string());
            break;
        }
    }
    // Keep draining, so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let served = Served {
        child,
        base: base.context("the server exited before listening")?,
    };
    Ok(served)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(300)))
        .build()
        .into()
}

/// Status and body of a JSON POST (status 0: no response at all).
fn post(agent: &ureq::Agent, url: &str, key: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = agent.post(url);
    if let Some(key) = key {
        request = request.header("Authorization", &format!("Bearer {key}"));
    }
    respond(request.send_json(body))
}

fn respond(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
    match result {
        Ok(mut response) => {
            let status = response.status().as_u16();
            let body = response.body_mut().read_json().unwrap_or(Value::Null);
            (status, body)
        }
        Err(e) => (0, json!(e.to_string())),
    }
}

fn search_loop(base: &str, key: &str, client: usize, stop: &AtomicBool, tally: &Mutex<Tally>) {
    let agent = agent();
    let modes = ["hybrid", "bm25", "dense"];
    let mut n = client;
    while !stop.load(Ordering::Relaxed) {
        let body = json!({"query": QUERIES[n % QUERIES.len()], "mode": modes[n % 3], "k": 5});
        let started = Instant::now();
        let (status, reply) = post(&agent, &format!("{base}/v1/search"), Some(key), &body);
        let ms = started.elapsed().as_secs_f64() * 1e3;
        let mut tally = lock(tally);
        if status == 200 {
            tally.interval_search_ms.push(ms);
        }
        tally.record("search", status, || format!("{body} {reply}"));
        n += 1;
    }
}

fn ask_loop(base: &str, key: &str, stop: &AtomicBool, tally: &Mutex<Tally>) {
    let agent = agent();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let body = json!({"question": QUESTIONS[n % QUESTIONS.len()]});
        let (status, reply) = post(&agent, &format!("{base}/v1/ask"), Some(key), &body);
        lock(tally).record("ask", status, || format!("{body} {reply}"));
        n += 1;
    }
}

/// Upload a document with a unique code, wait for its job, find it by the
/// code, delete it, check it is gone; again until stopped.
fn write_loop(base: &str, key: &str, stop: &AtomicBool, tally: &Mutex<Tally>) {
    let agent = agent();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let code = format!("SK-{n:05}");
        let name = format!("soak-{n}.md");
        let text = format!(
            "# 점검 기록 {n}\n\n설비 점검 코드 {code}: 냉각수 유량을 확인하고 필터를 교체했다.\n"
        );
        if !upload_and_wait(&agent, base, key, &name, &text, tally) {
            continue;
        }
        let found = find_code(&agent, base, key, &code, tally);
        let Some(doc_id) = found else {
            lock(tally).record("visibility", 500, || {
                format!("{code} not found after upload")
            });
            continue;
        };
        lock(tally).record("visibility", 200, String::new);
        let url = format!(
            "{base}/v1/collections/default/documents/{}",
            percent_encode(&doc_id)
        );
        let (status, reply) = respond(
            agent
                .delete(&url)
                .header("Authorization", &format!("Bearer {key}"))
                .call(),
        );
        lock(tally).record("delete", status, || format!("{doc_id} {reply}"));
        let gone = find_code(&agent, base, key, &code, tally).is_none();
        let mut tally = lock(tally);
        tally.record("visibility", if gone { 200 } else { 500 }, || {
            format!("{code} still found after delete")
        });
        if gone && status == 200 {
            tally.write_cycles += 1;
        }
    }
}

fn upload_and_wait(
    agent: &ureq::Agent,
    base: &str,
    key: &str,
    name: &str,
    text: &str,
    tally: &Mutex<Tally>,
) -> bool {
    let boundary = "seogo-soak-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: text/markdown\r\n\r\n{text}\r\n--{boundary}--\r\n"
    );
    let (status, reply) = respond(
        agent
            .post(&format!("{base}/v1/collections/default/documents"))
            .header("Authorization", &format!("Bearer {key}"))
            .content_type(&format!("multipart/form-data; boundary={boundary}"))
            .send(body.as_bytes()),
    );
    lock(tally).record("upload", status, || format!("{name} {reply}"));
    let Some(job) = reply["job_id"].as_str().filter(|_| status < 300) else {
        return false;
    };
    loop {
        let (status, reply) = respond(
            agent
                .get(&format!("{base}/v1/jobs/{job}"))
                .header("Authorization", &format!("Bearer {key}"))
                .call(),
        );
        match reply["state"].as_str() {
            Some("running") if status == 200 => std::thread::sleep(Duration::from_millis(200)),
            Some("done") if status == 200 => return true,
            _ => {
                lock(tally).record("upload", 500, || format!("job {job}: {status} {reply}"));
                return false;
            }
        }
    }
}

/// The id of the document the code finds (BM25, exact identifier match).
fn find_code(
    agent: &ureq::Agent,
    base: &str,
    key: &str,
    code: &str,
    tally: &Mutex<Tally>,
) -> Option<String> {
    let body = json!({"query": code, "mode": "bm25", "k": 3});
    let (status, reply) = post(agent, &format!("{base}/v1/search"), Some(key), &body);
    lock(tally).record("search", status, || format!("{body} {reply}"));
    reply["results"].as_array()?.iter().find_map(|hit| {
        let text = hit["chunk"]["text"].as_str()?;
        text.contains(code)
            .then(|| hit["chunk"]["doc_id"].as_str().map(str::to_string))?
    })
}

fn percent_encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn lock(tally: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    tally
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Resident memory (MB) and open file descriptors of process `pid`.
fn process_usage(pid: u32) -> anyhow::Result<(f64, usize)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("reading the server's /proc status")?;
    let rss_kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("VmRSS")?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .context("listing the server's open files")?
        .count();
    Ok((rss_kb / 1024.0, fds))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    round2(sorted[rank.min(sorted.len() - 1)])
}

/// Runs the soak and returns its report.
pub fn soak(options: &SoakOptions) -> anyhow::Result<SoakReport> {
    let scratch = options
        .data_dir
        .join(format!("soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let result = soak_in(options, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn soak_in(options: &SoakOptions, scratch: &Path) -> anyhow::Result<SoakReport> {
    checked_output(
        seogo(options, scratch)?.arg("ingest").arg(&options.corpus),
        "ingesting the corpus",
    )?;
    let key = checked_output(
        seogo(options, scratch)?.args(["keys", "create", "--name", "soak", "--role", "ingest"]),
        "creating the writer's key",
    )?;
    let served = serve(options, scratch)?;
    let pid = served.child.id();
    let base = served.base.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let mut workers = Vec::new();
    // One key (the writer's role includes search and ask): with a key
    // configured the server admits no anonymous caller.
    let key = Arc::new(key);
    for client in 0..options.clients {
        let (base, key, stop, tally) = (base.clone(), key.clone(), stop.clone(), tally.clone());
        workers.push(std::thread::spawn(move || {
            search_loop(&base, &key, client, &stop, &tally)
        }));
    }
    {
        let (base, key, stop, tally) = (base.clone(), key.clone(), stop.clone(), tally.clone());
        workers.push(std::thread::spawn(move || {
            ask_loop(&base, &key, &stop, &tally)
        }));
    }
    {
        let (stop, tally) = (stop.clone(), tally.clone());
        workers.push(std::thread::spawn(move || {
            write_loop(&base, &key, &stop, &tally)
        }));
    }

    let started = Instant::now();
    let total = Duration::from_secs_f64(options.minutes * 60.0);
    let interval = Duration::from_secs_f64(options.sample_seconds.max(0.5));
    let mut samples = Vec::new();
    let mut next = interval;
    let sampling = (|| -> anyhow::Result<()> {
        while next <= total {
            std::thread::sleep(next.saturating_sub(started.elapsed()));
            let (rss_mb, open_files) = process_usage(pid)?;
            let mut ms = std::mem::take(&mut lock(&tally).interval_search_ms);
            ms.sort_by(f64::total_cmp);
            samples.push(Sample {
                t_s: round2(started.elapsed().as_secs_f64()),
                rss_mb: round2(rss_mb),
                open_files,
                searches: ms.len(),
                search_p50_ms: percentile(&ms, 50.0),
                search_p99_ms: percentile(&ms, 99.0),
            });
            next += interval;
        }
        Ok(())
    })();
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
    drop(served);
    sampling?;
    let tally = std::mem::take(&mut *lock(&tally));
    Ok(SoakReport {
        minutes: options.minutes,
        clients: options.clients,
        requests: tally.requests,
        write_cycles: tally.write_cycles,
        samples,
        failures: tally.failures,
    })
}

/// Two stacked line charts, resident memory and search p99 against time,
/// as a standalone SVG (no plotting crate: two polylines and their axes).
pub fn chart_svg(report: &SoakReport) -> String {
    let (width, height, left, panel) = (720.0, 440.0, 70.0, 170.0);
    let t_max = report.samples.last().map_or(1.0, |s| s.t_s).max(1.0);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"18\" font-size=\"14\">seogo bench soak: {:.0} min, {} search clients + ask + writer</text>\n",
        report.minutes, report.clients
    );
    type Panel = (&'static str, fn(&Sample) -> f64, &'static str);
    let panels: [Panel; 2] = [
        ("server RSS (MB)", |s| s.rss_mb, "#1f77b4"),
        (
            "search p99 per interval (ms)",
            |s| s.search_p99_ms,
            "#d62728",
        ),
    ];
    for (i, (label, value, colour)) in panels.iter().enumerate() {
        let top = 40.0 + i as f64 * (panel + 40.0);
        let bottom = top + panel;
        let right = width - 20.0;
        let y_max = report
            .samples
            .iter()
            .map(value)
            .fold(0.0, f64::max)
            .max(1.0)
            * 1.1;
        let points: Vec<String> = report
            .samples
            .iter()
            .map(|s| {
                let x = left + (s.t_s / t_max) * (right - left);
                let y = bottom - (value(s) / y_max) * panel;
                format!("{x:.1},{y:.1}")
            })
            .collect();
        svg.push_str(&format!(
            "<text x=\"{left}\" y=\"{}\">{label}</text>\n\
             <line x1=\"{left}\" y1=\"{bottom}\" x2=\"{right}\" y2=\"{bottom}\" stroke=\"black\"/>\n\
             <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{bottom}\" stroke=\"black\"/>\n\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{y_max:.0}</text>\n\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>\n\
             <text x=\"{right}\" y=\"{}\" text-anchor=\"end\">{:.0} min</text>\n\
             <polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
            top - 6.0,
            left - 6.0,
            top + 10.0,
            left - 6.0,
            bottom,
            bottom + 16.0,
            t_max / 60.0,
            points.join(" ")
        ));
    }
    svg.push_str("</svg>\n");
    svg
}
