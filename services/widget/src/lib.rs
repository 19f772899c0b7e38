//! The chat widget an intranet page embeds with one script tag, and the demo
//! page that shows it. Both are compiled into the binary, so an air-gapped
//! server needs no asset directory and the widget requests nothing but the
//! Seogo API it came from.
#![cfg_attr(test, allow(clippy::disallowed_methods))] // tests write scratch files

/// `widget.js`: launcher, chat panel (Shadow DOM), streaming, citations.
pub const SCRIPT: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.js"));

/// The demo host page (`/demo`). `{{SCRIPT_ATTRIBUTES}}` takes the script
/// tag's extra attributes.
const DEMO_PAGE: &str = include_str!("../assets/demo.html");

/// The demo page, its widget using `key` when given (an API key, checked
/// to be one so nothing else reaches the HTML).
pub fn demo_page(key: Option<&str>) -> String {
    let attributes = match key {
        Some(key) if is_api_key(key) => format!(" data-key=\"{key}\""),
        _ => String::new(),
    };
    DEMO_PAGE.replace("{{SCRIPT_ATTRIBUTES}}", &attributes)
}

fn is_api_key(key: &str) -> bool {
    key.strip_prefix("sgo_").is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_widget_is_under_60_kb_gzipped() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(SCRIPT.as_bytes()).expect("gzip");
        let size = gz.finish().expect("gzip").len();
        assert!(size < 60 * 1024, "widget.js is {size} bytes gzipped");
        assert!(SCRIPT.len() > 10_000, "the script was not built");
    }

    #[test]
    fn the_widget_names_no_other_server() {
        // Air-gapped: no fonts, CDNs or trackers; only the API it came from.
        for needle in ["http://", "https://", "@import", "url("] {
            assert!(!SCRIPT.contains(needle), "widget.js contains {needle}");
        }
    }

    #[test]
    fn only_an_api_key_reaches_the_demo_page() {
        let page = demo_page(Some("sgo_abc123_DEF"));
        assert!(page.contains("data-key=\"sgo_abc123_DEF\""));
        for hostile in ["\"><script>alert(1)</script>", "sgo_\" onload=\"x", "sgo_"] {
            let page = demo_page(Some(hostile));
            assert!(!page.contains("data-key"), "{hostile}");
        }
        assert!(!demo_page(None).contains("{{"));
    }
}
