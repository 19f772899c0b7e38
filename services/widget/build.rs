//! Builds `widget.js`: the stylesheet and the script parts, in order, inside
//! one strict-mode function so nothing leaks into the host page's globals
//! but `window.Seogo`. Plain modern JavaScript needs no bundler: the build
//! is a concatenation, checked by the crate's tests and the browser tests.

use std::path::Path;

/// Script parts, in dependency order.
const PARTS: [&str; 4] = ["i18n.js", "markdown.js", "api.js", "widget.js"];

fn main() {
    let assets = Path::new("assets");
    let css = std::fs::read_to_string(assets.join("widget.css")).expect("assets/widget.css");
    let mut script = String::from("/* Seogo chat widget */\n(() => {\n\"use strict\";\n");
    script.push_str("const CSS = ");
    script.push_str(&js_string(&css));
    script.push_str(";\n");
    for part in PARTS {
        let path = assets.join(part);
        println!("cargo:rerun-if-changed={}", path.display());
        script.push_str(&std::fs::read_to_string(&path).expect("widget part"));
        script.push('\n');
    }
    script.push_str("})();\n");
    println!("cargo:rerun-if-changed=assets/widget.css");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out).join("widget.js"), script).expect("write widget.js");
}

/// `text` as a double-quoted JavaScript string literal.
fn js_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            '<' => out.push_str("\\u003c"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
