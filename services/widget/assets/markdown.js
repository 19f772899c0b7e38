// Markdown for answers: paragraphs, quotes, lists, tables, code, emphasis,
// links and [n] citation markers. Sanitised by construction: every node is made with
// createElement and every piece of text is a text node, so no markup in an
// answer (or a document quoted in it) can become HTML.

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\[(\d{1,3})\])|(\[([^\]\n]+)\]\(([^)\s]+)\))|(\*[^*\s][^*\n]*\*)/g;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/// Inline spans of `text` into `parent`; `cite(n)` makes a marker's node.
function inline(parent, text, cite) {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) parent.append(text.slice(last, m.index));
    if (m[1]) parent.append(el("code", "", m[1].slice(1, -1)));
    else if (m[2]) inline(parent.appendChild(el("strong")), m[2].slice(2, -2), cite);
    else if (m[3]) parent.append(cite(Number(m[4])));
    else if (m[5]) {
      // Only web links; anything else (javascript:, data:) stays text.
      if (/^https?:/i.test(m[7])) {
        const a = el("a", "", m[6]);
        a.href = m[7];
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        parent.append(a);
      } else parent.append(m[0]);
    } else if (m[8]) inline(parent.appendChild(el("em")), m[8].slice(1, -1), cite);
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

const cells = (line) => line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim());
const isRule = (line) => /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/.test(line);
const LIST = /^\s*([-*+]|\d{1,3}[.)])\s+(.*)$/;

/// `text` as a fragment of block elements.
function renderMarkdown(text, cite) {
  const out = document.createDocumentFragment();
  const lines = String(text).replace(/\r\n?/g, "\n").split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*```/.test(line)) {
      const code = [];
      for (i++; i < lines.length && !/^\s*```/.test(lines[i]); i++) code.push(lines[i]);
      i++;
      out.append(el("pre")).lastChild.append(el("code", "", code.join("\n")));
    } else if (/^\s*\|/.test(line) && i + 1 < lines.length && isRule(lines[i + 1])) {
      const table = el("table");
      const head = table.appendChild(el("thead")).appendChild(el("tr"));
      for (const c of cells(line)) inline(head.appendChild(el("th")), c, cite);
      const body = table.appendChild(el("tbody"));
      for (i += 2; i < lines.length && /^\s*\|/.test(lines[i]); i++) {
        const row = body.appendChild(el("tr"));
        for (const c of cells(lines[i])) inline(row.appendChild(el("td")), c, cite);
      }
      out.append(table);
    } else if (/^\s*>/.test(line)) {
      // A quoted block (a document's 주의/경고 box), rendered as its lines.
      const quote = el("blockquote");
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) {
        if (quote.childNodes.length) quote.append(el("br"));
        inline(quote, lines[i].replace(/^\s*>\s?/, ""), cite);
      }
      out.append(quote);
    } else if (LIST.test(line)) {
      const ordered = /^\s*\d/.test(line);
      const list = el(ordered ? "ol" : "ul");
      for (; i < lines.length && LIST.test(lines[i]) && /^\s*\d/.test(lines[i]) === ordered; i++) {
        inline(list.appendChild(el("li")), lines[i].match(LIST)[2], cite);
      }
      out.append(list);
    } else if (line.trim() === "") {
      i++;
    } else {
      const para = [];
      for (; i < lines.length && lines[i].trim() !== "" && !LIST.test(lines[i]) && !/^\s*(```|\||>)/.test(lines[i]); i++) {
        para.push(lines[i].replace(/^\s*#{1,6}\s+/, ""));
      }
      if (para.length === 0) para.push(lines[i++]);
      const p = el("p");
      para.forEach((piece, n) => {
        if (n > 0) p.append(el("br"));
        inline(p, piece, cite);
      });
      out.append(p);
    }
  }
  return out;
}
