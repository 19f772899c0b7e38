//! A local HTTP server that replays recorded-format API answers, so the
//! fetchers are tested over real HTTP without the internet. Routes match a
//! path and some query parameters; each route answers its replies in
//! order, repeating the last, so a test can script "503, then the page".

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status: 200,
            body: body.into(),
        }
    }

    pub fn status(status: u16) -> Self {
        Reply {
            status,
            body: format!("status {status}").into_bytes(),
        }
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
    /// Every request as `path?decoded query`, in arrival order.
    log: Vec<String>,
}

pub struct ReplayServer {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl ReplayServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                let reply = shared.lock().expect("state").answer(&target);
                let mut stream = reader.into_inner();
                let head = format!(
                    "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    reply.status,
                    reply.body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&reply.body);
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

    /// Requests seen so far (path and decoded query).
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().expect("state").log.clone()
    }
}

impl State {
    fn answer(&mut self, target: &str) -> Reply {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let params: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        self.log.push(format!(
            "{path}?{}",
            params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        ));
        // The most specific matching route wins.
        let route = self
            .routes
            .iter_mut()
            .filter(|r| r.path == path && r.params.iter().all(|p| params.contains(p)))
            .max_by_key(|r| r.params.len());
        match route {
            Some(route) if route.replies.len() > 1 => route.replies.pop_front().expect("reply"),
            Some(route) => route.replies.front().cloned().unwrap_or(Reply::status(404)),
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
