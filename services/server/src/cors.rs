//! CORS for the widget: only origins on `server.cors_origins` may call the
//! API from a browser. Preflights from them are answered here; a request
//! from any other origin gets no CORS headers, so the browser withholds the
//! response from the page.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

#[derive(Debug, Clone)]
pub(crate) struct Cors {
    origins: Arc<Vec<String>>,
}

impl Cors {
    pub(crate) fn new(origins: &[String]) -> Self {
        Self {
            origins: Arc::new(
                origins
                    .iter()
                    .map(|o| o.trim_end_matches('/').to_string())
                    .collect(),
            ),
        }
    }

    fn allowed(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin || o == "*")
    }
}

pub(crate) async fn apply(State(cors): State<Cors>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .filter(|o| cors.allowed(o))
        .and_then(|o| HeaderValue::from_str(o).ok());
    let Some(origin) = origin else {
        return next.run(request).await;
    };
    let mut response = if request.method() == Method::OPTIONS {
        let mut preflight = Response::new(Body::empty());
        *preflight.status_mut() = StatusCode::NO_CONTENT;
        let headers = preflight.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, accept"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        preflight
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(header::VARY, HeaderValue::from_static("origin"));
    response
}
