//! A local HTTP server that replays recorded-format answers, so clients of
//! other servers (the API fetchers, the OpenAI-compatible generator) are
//! tested over real HTTP without the internet — and so a test can provoke
//! what a real server rarely does on cue: a 503, a stall, a malformed
//! stream. Routes match a path and some query parameters; each answers its
//! replies in order, repeating the last, so "503, then the page" is two
//! replies.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Waited before answering (to provoke a client timeout).
    pub delay: Duration,
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn status(status: u16) -> Self {
        Reply {
            body: format!("status {status}").into_bytes(),
            status,
            ..Reply::ok("")
        }
    }

    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    #[must_use]
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// The path and the decoded query, `path?k=v&…`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Route {
    path: String,
    params: Vec<(String, String)>,
    replies: VecDeque<Reply>,
}

#[derive(Default)]
struct State {
    routes: Vec<Route>,
    log: Vec<Seen>,
}

pub struct ReplayServer {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl ReplayServer {
    /// Listens on a free loopback port; each connection is served on its
    /// own thread (so concurrent clients and slow replies work).
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        ReplayServer { base, state }
    }

    /// Answers requests for `path` carrying every `params` pair with
    /// `replies` (replacing a route for the same path and params).
    pub fn route(&self, path: &str, params: &[(&str, &str)], replies: Vec<Reply>) {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut state = self.state.lock().expect("state");
        state
            .routes
            .retain(|r| !(r.path == path && r.params == params));
        state.routes.push(Route {
            path: path.into(),
            params,
            replies: replies.into(),
        });
    }

    /// Requests seen so far, as `path?decoded query`.
    pub fn requests(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.target).collect()
    }

    /// Requests seen so far, whole.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().expect("state").log.clone()
    }
}

fn serve(stream: std::net::TcpStream, state: &Mutex<State>) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
        header.clear();
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let reply = state.lock().expect("state").answer(Seen {
        method,
        target,
        headers,
        body,
    });
    std::thread::sleep(reply.delay);
    let mut stream = reader.into_inner();
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&reply.body);
}

impl State {
    fn answer(&mut self, mut seen: Seen) -> Reply {
        let (path, query) = seen
            .target
            .split_once('?')
            .map(|(p, q)| (p.to_string(), q.to_string()))
            .unwrap_or_else(|| (seen.target.clone(), String::new()));
        let params: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        seen.target = format!(
            "{path}?{}",
            params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        );
        self.log.push(seen);
        // The most specific matching route wins.
        let route = self
            .routes
            .iter_mut()
            .filter(|r| r.path == path && r.params.iter().all(|p| params.contains(p)))
            .max_by_key(|r| r.params.len());
        match route {
            Some(route) if route.replies.len() > 1 => route.replies.pop_front().expect("reply"),
            Some(route) => route
                .replies
                .front()
                .cloned()
                .unwrap_or_else(|| Reply::status(404)),
            None => Reply::status(404),
        }
    }
}

/// Percent-decoding of a query component (`+` is a space).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
