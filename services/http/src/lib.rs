//! seogo-http: the one blocking HTTP client Seogo uses to reach other
//! servers (EDGAR, OpenDART, the law information service; later the
//! OpenAI-compatible model server).
//!
//! Every remote in an on-prem install is somebody else's service with its
//! own quota, so the behaviour that keeps Seogo a good citizen lives here,
//! once: a request rate limit shared by all threads using the client,
//! retries with exponential backoff on connection errors, 429 and 5xx
//! (honouring `Retry-After`), a bounded response size, an end-to-end
//! timeout, and TLS that can trust a site's own CA. Blocking, because the
//! engine is synchronous; rustls on ring, which the tree already builds.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ureq::http::Response;
use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};
use ureq::{Agent, Body};

/// How a client talks to one remote: rate, retries, timeouts, TLS.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Requests started per second at most, across all threads (0 = no
    /// limit). SEC asks for ≤ 10; OpenDART allows about 1,000 per minute.
    pub requests_per_second: f64,
    /// Further attempts after a connection error, 429 or 5xx.
    pub retries: u32,
    /// Wait before the first retry; doubled each time, capped at
    /// `max_backoff_ms`. A longer `Retry-After` from the server wins (up
    /// to the same cap).
    pub backoff_ms: u64,
    /// The longest wait between retries.
    pub max_backoff_ms: u64,
    /// Whole request, connect to last byte.
    pub timeout_secs: u64,
    /// PEM file of root certificates to trust instead of the public roots
    /// (a site's own CA in front of an internal mirror or model server).
    pub ca_file: Option<PathBuf>,
    /// Sent as `User-Agent` (SEC requires a contact address in it).
    pub user_agent: String,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            requests_per_second: 5.0,
            retries: 4,
            backoff_ms: 500,
            max_backoff_ms: 30_000,
            timeout_secs: 60,
            ca_file: None,
            user_agent: concat!("Seogo/", env!("CARGO_PKG_VERSION")).into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server answered with an error status (after any retries).
    #[error("{url}: HTTP {status}{}", if .body.is_empty() { String::new() } else { format!(": {}", .body) })]
    Status {
        url: String,
        status: u16,
        /// The start of the error body, for the message.
        body: String,
    },
    /// No answer: refused, reset, timed out, TLS failure (after retries).
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url}: response larger than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("HTTP settings: {0}")]
    Settings(String),
}

/// A rate-limited, retrying client for one remote. Cheap to share by
/// reference across threads; the rate limit is for all of them together.
#[derive(Debug)]
pub struct HttpClient {
    agent: Agent,
    settings: HttpSettings,
    /// When the next request may start.
    next_start: Mutex<Instant>,
    headers: Vec<(String, String)>,
}

impl HttpClient {
    pub fn new(settings: &HttpSettings) -> Result<Self, HttpError> {
        if !(settings.requests_per_second >= 0.0 && settings.requests_per_second.is_finite()) {
            return Err(HttpError::Settings(format!(
                "requests_per_second must be ≥ 0, not {}",
                settings.requests_per_second
            )));
        }
        let mut tls = TlsConfig::builder();
        if let Some(path) = &settings.ca_file {
            tls = tls.root_certs(read_roots(path)?);
        }
        let agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(settings.timeout_secs.max(1))))
            .user_agent(settings.user_agent.as_str())
            .tls_config(tls.build())
            .build()
            .into();
        Ok(Self {
            agent,
            settings: settings.clone(),
            next_start: Mutex::new(Instant::now()),
            headers: Vec::new(),
        })
    }

    /// Sends `name: value` with every request (an API key header).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// GETs `url` with `query` appended and returns at most `max_bytes` of
    /// body; any non-2xx status is an error.
    pub fn get(
        &self,
        url: &str,
        query: &[(&str, &str)],
        max_bytes: u64,
    ) -> Result<Vec<u8>, HttpError> {
        let response = self.send(url, |agent| {
            let mut request = agent.get(url);
            for (name, value) in query {
                request = request.query(*name, *value);
            }
            for (name, value) in &self.headers {
                request = request.header(name.as_str(), value.as_str());
            }
            request.call()
        })?;
        read_body(url, response, max_bytes)
    }

    /// POSTs `body` as JSON and returns the response for the caller to read
    /// (a stream of server-sent events, say); any non-2xx status is an
    /// error, retried like a GET.
    pub fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
    ) -> Result<Response<Body>, HttpError> {
        self.send(url, |agent| {
            let mut request = agent.post(url);
            for (name, value) in &self.headers {
                request = request.header(name.as_str(), value.as_str());
            }
            request.send_json(body)
        })
    }

    /// Runs `attempt` under the rate limit until it gives a 2xx, a status
    /// not worth retrying, or the retries are spent.
    fn send(
        &self,
        url: &str,
        attempt: impl Fn(&Agent) -> Result<Response<Body>, ureq::Error>,
    ) -> Result<Response<Body>, HttpError> {
        let shown = without_query(url);
        let mut tries = 0;
        loop {
            self.wait_turn();
            let (error, retry_after) = match attempt(&self.agent) {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let body = error_snippet(response);
                    let error = HttpError::Status {
                        url: shown.clone(),
                        status,
                        body,
                    };
                    if !(status == 429 || (500..600).contains(&status)) {
                        return Err(error);
                    }
                    (error, retry_after)
                }
                Err(e) => (
                    HttpError::Transport {
                        url: shown.clone(),
                        reason: e.to_string(),
                    },
                    None,
                ),
            };
            if tries >= self.settings.retries {
                return Err(error);
            }
            std::thread::sleep(self.backoff(tries, retry_after));
            tries += 1;
        }
    }

    /// Exponential backoff for retry number `tries` (0-based), or the
    /// server's `Retry-After` when longer; both capped.
    fn backoff(&self, tries: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self
            .settings
            .backoff_ms
            .saturating_mul(1u64 << tries.min(20));
        let wait = Duration::from_millis(exponential).max(retry_after.unwrap_or_default());
        wait.min(Duration::from_millis(self.settings.max_backoff_ms))
    }

    /// Blocks until this request may start under the rate limit.
    fn wait_turn(&self) {
        if self.settings.requests_per_second <= 0.0 {
            return;
        }
        let interval = Duration::from_secs_f64(1.0 / self.settings.requests_per_second);
        let start = {
            let mut next = self.next_start.lock().unwrap_or_else(|e| e.into_inner());
            let start = (*next).max(Instant::now());
            *next = start + interval;
            start
        };
        let now = Instant::now();
        if start > now {
            std::thread::sleep(start - now);
        }
    }
}

fn read_roots(path: &std::path::Path) -> Result<RootCerts, HttpError> {
    let pem = std::fs::read(path)
        .map_err(|e| HttpError::Settings(format!("ca_file {}: {e}", path.display())))?;
    let mut certs = Vec::new();
    for item in parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => {
                return Err(HttpError::Settings(format!(
                    "ca_file {}: {e}",
                    path.display()
                )))
            }
        }
    }
    if certs.is_empty() {
        return Err(HttpError::Settings(format!(
            "ca_file {}: no certificate in it",
            path.display()
        )));
    }
    Ok(RootCerts::Specific(Arc::new(certs)))
}

fn read_body(
    url: &str,
    mut response: Response<Body>,
    max_bytes: u64,
) -> Result<Vec<u8>, HttpError> {
    response
        .body_mut()
        .with_config()
        .limit(max_bytes)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(limit) => HttpError::TooLarge {
                url: without_query(url),
                limit,
            },
            e => HttpError::Transport {
                url: without_query(url),
                reason: e.to_string(),
            },
        })
}

/// The first 300 characters of an error response, on one line.
fn error_snippet(mut response: Response<Body>) -> String {
    let mut bytes = Vec::new();
    let _ = response
        .body_mut()
        .as_reader()
        .take(2048)
        .read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(300)
        .collect()
}

/// The URL as shown in errors and logs: query strings carry API keys
/// (OpenDART's `crtfc_key`, the law service's `OC`), so they are cut.
pub fn without_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

#[cfg(test)]
mod tests;
