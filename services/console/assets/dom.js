// Building the page: every element made with createElement, every text a
// text node and every attribute set one by one, so nothing that came from
// a document, a log line or a user can ever become markup.

let lastId = 0;

/// A fresh id for label/for and aria-labelledby pairs (unique on the page).
function uid(prefix) {
  lastId += 1;
  return `${prefix || "c"}-${lastId}`;
}

/// Properties rather than attributes: they reflect the live state.
const PROPERTIES = new Set(["value", "checked", "disabled", "hidden", "selected", "multiple", "open", "required", "readOnly", "indeterminate"]);

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "value") continue; // after the children (a select's options)
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (PROPERTIES.has(name)) el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
}

function appendAll(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/// Replaces `el`'s children (nulls left out, arrays flattened).
function put(el, ...children) {
  el.replaceChildren();
  return appendAll(el, children);
}

/// h("button", { type: "button", onclick }, "Save"): an element with its
/// attributes (on* are listeners) and children (nodes or text).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  appendAll(el, children);
  if (attrs && attrs.value !== undefined && attrs.value !== null) el.value = attrs.value;
  return el;
}

// The SVG namespace is a name, never fetched; spelt in parts so the
// script holds no address at all (a crate test checks).
const SVG_NS = ["http:", "", "www.w3.org", "2000", "svg"].join("/");

/// An SVG element (charts).
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) el.setAttribute(name, String(value));
  }
  return appendAll(el, children);
}

function button(text, onclick, attrs) {
  return h("button", { type: "button", onclick, ...(attrs || {}) }, text);
}

/// A labelled control: `<label for>` above the control, an optional hint
/// tied to it with aria-describedby.
function field(label, control, hint) {
  if (!control.id) control.id = uid("f");
  const parts = [h("label", { for: control.id }, label), control];
  if (hint) {
    const hintId = uid("hint");
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("small", { id: hintId, class: "hint" }, hint));
  }
  return h("div", { class: "field" }, parts);
}

/// A checkbox or radio with its label after it.
function check(label, input) {
  if (!input.id) input.id = uid("f");
  return h("div", { class: "check" }, input, h("label", { for: input.id }, label));
}

function select(options, attrs) {
  return h(
    "select",
    attrs,
    options.map((o) => (o instanceof Node ? o : h("option", { value: o.value }, o.label))),
  );
}

/// A card: a section named by its heading.
function card(title, ...children) {
  const id = uid("card");
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), children);
}

/// A table in a horizontally scrolling wrapper (focusable, so the
/// keyboard can scroll it too). columns: [{ label, cell(row), rowHeader, class }].
function table(caption, columns, rows, options) {
  const opts = options || {};
  if (rows.length === 0 && opts.empty) return h("p", { class: "empty" }, opts.empty);
  const head = h("tr", null, columns.map((c) => h("th", { scope: "col", class: c.class }, c.label)));
  const body = rows.map((row) => {
    const tr = h(
      "tr",
      opts.rowAttrs ? opts.rowAttrs(row) : null,
      columns.map((c) => h(c.rowHeader ? "th" : "td", { scope: c.rowHeader ? "row" : null, class: c.class }, c.cell(row))),
    );
    return tr;
  });
  return h(
    "div",
    { class: "table-wrap", role: "group", "aria-label": caption, tabindex: "0" },
    h("table", null, h("caption", { class: "sr-only" }, caption), h("thead", null, head), h("tbody", null, body)),
  );
}

/// A button that asks before it acts: the question, Yes and Cancel take
/// its place; a failure is shown beside it again.
function askFirst({ label, ariaLabel, question, yes, act }) {
  const cell = h("div", { class: "row-actions" });
  const idle = () => button(label, ask, { class: "small danger-outline", "aria-label": ariaLabel });
  const ask = () => {
    const confirm = button(yes, async () => {
      confirm.disabled = true;
      try {
        await act();
      } catch (e) {
        cell.replaceChildren(alertBox(messageOf(e)), idle());
      }
    }, { class: "danger small" });
    cell.replaceChildren(h("span", null, question), " ", confirm, " ", button(t("cancel"), () => cell.replaceChildren(idle()), { class: "small" }));
    confirm.focus();
  };
  cell.append(idle());
  return cell;
}

/// A line that says how something is going, read out politely.
function statusLine(className) {
  const el = h("p", { role: "status", "aria-live": "polite", class: ["status", className] });
  el.set = (text, kind) => {
    el.textContent = text || "";
    el.dataset.kind = kind || "";
  };
  return el;
}

/// An error, read out at once.
function alertBox(message) {
  return h("p", { role: "alert", class: "error" }, message);
}

function loadingLine() {
  return h("p", { class: "loading", role: "status" }, t("loading"));
}

/// The message of anything thrown.
function messageOf(e) {
  return (e && e.message) || String(e);
}

/// Groups typed as "a, b , c".
function splitList(text) {
  return String(text || "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

function fmtNumber(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  const locale = currentLang === "ko" ? "ko-KR" : "en-US";
  return Number(n).toLocaleString(locale, digits === undefined ? undefined : { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtBytes(bytes) {
  if (bytes === null || bytes === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${fmtNumber(value, unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/// A time as the reader's clock shows it: from RFC 3339 text, a Date or
/// Unix seconds.
function fmtTime(value) {
  if (value === null || value === undefined || value === "") return "—";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  // 2026-12-07 09:30:05 in the reader's time zone: unambiguous in both
  // languages, and it sorts.
  const two = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/// 0.7123 → "0.712"; null → "—".
function fmtScore(value, digits) {
  return typeof value === "number" ? value.toFixed(digits === undefined ? 3 : digits) : "—";
}

function fmtPercent(value) {
  return typeof value === "number" ? `${(value * 100).toFixed(1)}%` : "—";
}

/// `text` with every highlight span ([start, end) in code points) wrapped
/// in <mark>, built as nodes.
function markSpans(text, spans) {
  const chars = Array.from(text);
  const out = [];
  let at = 0;
  for (const [start, end] of [...spans].sort((a, b) => a[0] - b[0])) {
    if (start < at || end <= start) continue;
    if (start > at) out.push(chars.slice(at, start).join(""));
    out.push(h("mark", null, chars.slice(start, end).join("")));
    at = end;
  }
  if (at < chars.length) out.push(chars.slice(at).join(""));
  return out;
}

/// `text` with the words of `query` wrapped in <mark> (where the server
/// gave no highlights): split on the terms, never parsed.
function markTerms(text, query) {
  const terms = String(query || "")
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}_-]/gu, ""))
    .filter((w) => w.length >= 2)
    .sort((a, b) => b.length - a.length);
  if (terms.length === 0) return [text];
  const pattern = new RegExp("(" + terms.map(escapeRegExp).join("|") + ")", "giu");
  return text.split(pattern).map((part, i) => (i % 2 === 1 ? h("mark", null, part) : part)).filter((p) => p !== "");
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^$(){}|[\]\\/]/g, "\\$&"); // no "-": an error to escape under the u flag
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
