//! The operator console (`/console`): its page, script and stylesheet, all
//! compiled into the binary. The page is public like any login page; what
//! it can do is what the key or token signed in with may do, through the
//! same `/v1` routes a script would call.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The page may load its own script and stylesheet and call this server,
/// nothing else: no inline script or style, no other origin, no framing.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// `GET /console`.
pub(crate) async fn page() -> Response {
    asset("text/html; charset=utf-8", seogo_console::PAGE, "no-cache")
}

/// `GET /console/console.js`.
pub(crate) async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        seogo_console::SCRIPT,
        "no-cache",
    )
}

/// `GET /console/console.css`.
pub(crate) async fn style() -> Response {
    asset("text/css; charset=utf-8", seogo_console::STYLE, "no-cache")
}

fn asset(content_type: &'static str, body: &'static str, cache: &'static str) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, cache),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
