//! The operator console: the page a site's administrator runs the appliance
//! from (collections, documents, search playground, sources, keys,
//! feedback, audit, evaluation). It is compiled into the binary like the
//! widget, so an air-gapped server needs no asset directory, and it calls
//! nothing but the server's own `/v1` API with the signed-in key.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

/// The page (`/console`): loads the stylesheet and the script, nothing else.
pub const PAGE: &str = include_str!("../assets/index.html");

/// `console.js`: every page of the console, built from `assets/*.js`.
pub const SCRIPT: &str = include_str!(concat!(env!("OUT_DIR"), "/console.js"));

/// `console.css`.
pub const STYLE: &str = include_str!("../assets/console.css");

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_console_is_under_150_kb_gzipped() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        for part in [PAGE, SCRIPT, STYLE] {
            gz.write_all(part.as_bytes()).expect("gzip");
        }
        let size = gz.finish().expect("gzip").len();
        assert!(size < 150 * 1024, "the console is {size} bytes gzipped");
        assert!(SCRIPT.len() > 10_000, "the script was not built");
    }

    #[test]
    fn the_console_names_no_other_server() {
        // Air-gapped: no fonts, CDNs or trackers; only the API it came from.
        for part in [PAGE, SCRIPT, STYLE] {
            for needle in ["http://", "https://", "@import", "url(", "//cdn"] {
                assert!(!part.contains(needle), "the console contains {needle}");
            }
        }
    }

    #[test]
    fn the_console_builds_dom_and_never_parses_html() {
        // What came from a document or a user is set as text, never parsed.
        for needle in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ] {
            assert!(!SCRIPT.contains(needle), "console.js uses {needle}");
        }
    }
}
