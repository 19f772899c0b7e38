// The widget: a launcher button and a chat panel in a shadow root, added to
// any page by one script tag. Answers stream token by token, then the
// verified answer replaces the raw text with its [n] citation markers; a
// marker opens the source card. The conversation lives in sessionStorage,
// so it survives navigation between the intranet's pages.

const SCRIPT = document.currentScript;
const THUMB = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" width="14" height="14"><path fill="currentColor" d="M2 10h4v11H2zm6 11h9.3a2 2 0 0 0 2-1.6l1.6-7.2A2 2 0 0 0 19 10h-5.3l.8-4.2A2 2 0 0 0 12.5 3.5L8 9.2z"/></svg>';
const ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z"/></svg>';

function settings() {
  const data = (SCRIPT && SCRIPT.dataset) || {};
  const src = new URL((SCRIPT && SCRIPT.src) || location.href, location.href);
  // The API sits where the script came from, under any path prefix a
  // reverse proxy adds (…/seogo/widget.js → …/seogo/v1/ask).
  const prefix = src.pathname.replace(/\/[^/]*$/, "");
  return {
    base: src.origin + prefix,
    collection: data.collection || "default",
    key: data.key || null,
    lang: data.lang,
    title: data.title,
    color: data.color,
  };
}

const encode = encodeURIComponent;

/// The answer as shown: an extract's label ("문서 발췌 [1]:", there for
/// clients without a badge) becomes the badge, its marker follows the
/// document's words.
function shownText(message) {
  const label = message.extractive && String(message.text).match(/^[^\n]*?(\[\d+\]):\n([\s\S]*)$/);
  return label ? `${label[2]}\n\n${label[1]}` : message.text;
}

class Widget {
  constructor(config) {
    this.config = config;
    this.t = strings(config.lang);
    this.api = new Api(config.base, config.key);
    this.storageKey = `seogo:${config.base}:${config.collection}`;
    this.state = this.load();
    this.nodes = new Map();
    this.controller = null;
    this.composing = false;
    this.build();
    this.renderAll();
    if (this.state.open) this.open(false);
  }

  load() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.storageKey) || "null");
      if (saved && Array.isArray(saved.messages)) {
        // An answer cut off by leaving the page cannot resume.
        for (const m of saved.messages) if (m.state === "streaming") m.state = "stopped";
        return saved;
      }
    } catch (_) {
      // Unreadable or blocked storage: start afresh.
    }
    return { conversationId: null, messages: [], open: false };
  }

  save() {
    try {
      sessionStorage.setItem(this.storageKey, JSON.stringify(this.state));
    } catch (_) {
      // Storage full or blocked: the chat works, it just will not persist.
    }
  }

  build() {
    const t = this.t;
    this.host = document.createElement("seogo-widget");
    this.shadow = this.host.attachShadow({ mode: "open" });
    this.shadow.append(el("style", "", CSS));
    const root = (this.root = el("div", "root"));
    root.lang = t === STRINGS.ko ? "ko" : "en";
    if (this.config.color) root.style.setProperty("--accent", this.config.color);

    this.launcher = el("button", "launcher");
    this.launcher.type = "button";
    this.launcher.innerHTML = ICON; // a constant, not content
    this.launcher.setAttribute("aria-label", t.open);
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.setAttribute("aria-controls", "seogo-panel");
    this.launcher.addEventListener("click", () => (this.panel.hidden ? this.open() : this.close()));

    const panel = (this.panel = el("section", "panel"));
    panel.id = "seogo-panel";
    panel.hidden = true;
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-modal", "true");
    panel.setAttribute("aria-labelledby", "seogo-title");
    panel.addEventListener("keydown", (e) => this.onPanelKey(e));

    const header = el("header");
    const title = el("h2", "", this.config.title || t.title);
    title.id = "seogo-title";
    const fresh = this.button("new", t.newChat, () => this.reset());
    const close = this.button("close", "×", () => this.close());
    close.setAttribute("aria-label", t.close);
    header.append(title, fresh, close);

    this.log = el("div", "log");
    this.log.setAttribute("role", "log");
    this.log.setAttribute("aria-label", this.config.title || t.title);

    this.card = el("div", "card");
    this.card.hidden = true;
    this.card.setAttribute("role", "region");
    this.card.setAttribute("aria-labelledby", "seogo-card-title");

    const form = el("form", "composer");
    const label = el("label", "sr", t.label);
    label.htmlFor = "seogo-input";
    this.input = el("textarea");
    this.input.id = "seogo-input";
    this.input.rows = 1;
    this.input.placeholder = t.placeholder;
    this.input.addEventListener("compositionstart", () => (this.composing = true));
    this.input.addEventListener("compositionend", () => (this.composing = false));
    this.input.addEventListener("keydown", (e) => this.onInputKey(e));
    this.input.addEventListener("input", () => this.fitInput());
    this.sendButton = el("button", "send", t.send);
    this.sendButton.type = "submit";
    this.stopButton = this.button("stop", t.stop, () => this.controller && this.controller.abort());
    this.stopButton.hidden = true;
    form.append(label, this.input, this.sendButton, this.stopButton);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send(this.input.value);
    });

    this.announcer = el("div", "sr");
    this.announcer.setAttribute("role", "status");
    this.announcer.setAttribute("aria-live", "polite");

    panel.append(header, this.log, this.card, form, this.announcer);
    root.append(this.launcher, panel);
    this.shadow.append(root);
    document.body.append(this.host);
  }

  button(className, text, onClick) {
    const b = el("button", className, text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  open(focus = true) {
    this.panel.hidden = false;
    this.root.classList.add("open");
    this.launcher.setAttribute("aria-expanded", "true");
    this.state.open = true;
    this.save();
    this.scrollDown(true);
    if (focus) this.input.focus();
  }

  close() {
    this.closeCard(false);
    this.panel.hidden = true;
    this.root.classList.remove("open");
    this.launcher.setAttribute("aria-expanded", "false");
    this.state.open = false;
    this.save();
    this.launcher.focus();
  }

  reset() {
    if (this.controller) this.controller.abort();
    this.state = { conversationId: null, messages: [], open: !this.panel.hidden };
    this.save();
    this.closeCard(false);
    this.renderAll();
    this.input.focus();
  }

  /// Enter sends, Shift+Enter breaks the line, and Enter that commits a
  /// Hangul (or any IME) composition does neither.
  onInputKey(e) {
    if (e.key !== "Enter" || e.shiftKey) return;
    if (e.isComposing || this.composing || e.keyCode === 229) return;
    e.preventDefault();
    this.send(this.input.value);
  }

  /// Escape closes the card, then the panel; Tab stays inside the panel.
  onPanelKey(e) {
    if (e.key === "Escape") {
      e.preventDefault();
      if (!this.card.hidden) this.closeCard(true);
      else this.close();
      return;
    }
    if (e.key !== "Tab") return;
    const focusable = [...this.panel.querySelectorAll("button, textarea, a[href], [tabindex='0']")].filter(
      (n) => !n.disabled && !n.closest("[hidden]") && !n.closest("[inert]") && n.getClientRects().length > 0,
    );
    if (focusable.length === 0) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = this.shadow.activeElement;
    const inside = focusable.includes(active);
    if (e.shiftKey && (active === first || !inside)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !inside)) {
      e.preventDefault();
      first.focus();
    }
  }

  fitInput() {
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight, 120) + "px";
  }

  send(text) {
    const question = String(text || "").trim();
    if (!question || this.controller) return;
    this.input.value = "";
    this.fitInput();
    this.state.messages.push({ role: "user", text: question });
    const reply = { role: "assistant", question, text: "", state: "streaming" };
    this.state.messages.push(reply);
    this.save();
    this.renderAll();
    this.ask(reply, true);
  }

  async ask(reply, mayRestart) {
    const t = this.t;
    this.controller = new AbortController();
    this.sendButton.hidden = true;
    this.stopButton.hidden = false;
    this.announce(t.thinking);
    const body = { question: reply.question, collection: this.config.collection, stream: true };
    if (this.state.conversationId) body.conversation_id = this.state.conversationId;
    try {
      const response = await this.api.call("/v1/ask", {
        method: "POST",
        body,
        accept: "text/event-stream",
        signal: this.controller.signal,
      });
      for await (const { event, data } of events(response)) {
        if (event === "sources") {
          // Retrieval is done: the evidence is shown while the model writes.
          reply.sources = data.sources || [];
          this.rerender(reply);
        } else if (event === "token") {
          reply.text += data.text || "";
          this.showStreaming(reply);
        } else if (event === "answer") {
          reply.text = data.answer || "";
          reply.state = data.grounded ? "done" : "declined";
          reply.extractive = Boolean(data.extractive);
          reply.citations = data.citations || [];
          reply.closest = data.closest || [];
          if (data.conversation_id) this.state.conversationId = data.conversation_id;
        } else if (event === "error") {
          const error = data.error || {};
          throw new ApiFailure(0, error.code || "error", error.message || t.failed);
        }
      }
      if (reply.state === "streaming") throw new ApiFailure(0, "incomplete", t.failed);
    } catch (e) {
      if (e.name === "AbortError") {
        reply.state = "stopped";
      } else if (mayRestart && e.status === 404 && this.state.conversationId) {
        // The server forgot the conversation (a restart): start a new one.
        this.state.conversationId = null;
        this.controller = null;
        return this.ask(reply, false);
      } else {
        reply.state = "error";
        reply.error = e instanceof ApiFailure ? e.message : t.offline;
      }
    }
    this.controller = null;
    this.sendButton.hidden = false;
    this.stopButton.hidden = true;
    this.save();
    this.rerender(reply);
    if (reply.state === "done") this.announce(`${t.ready}: ${reply.text.slice(0, 300)}`);
    else if (reply.state === "declined") this.announce(t.declined);
    else if (reply.state === "error") this.announce(`${t.failed}: ${reply.error}`);
    else this.announce(t.stopped);
  }

  announce(text) {
    this.announcer.textContent = "";
    setTimeout(() => (this.announcer.textContent = text), 60);
  }

  renderAll() {
    this.nodes.clear();
    const nodes = this.state.messages.map((m) => this.render(m));
    this.log.replaceChildren(el("p", "welcome", this.t.welcome), ...nodes);
    this.scrollDown(true);
  }

  rerender(message) {
    const old = this.nodes.get(message);
    const fresh = this.render(message);
    if (old) old.replaceWith(fresh);
    this.scrollDown(false);
  }

  showStreaming(message) {
    const node = this.nodes.get(message);
    if (node) node.querySelector(".body").textContent = message.text;
    this.scrollDown(false);
  }

  scrollDown(always) {
    const log = this.log;
    if (always || log.scrollHeight - log.scrollTop - log.clientHeight < 80) log.scrollTop = log.scrollHeight;
  }

  render(message) {
    const t = this.t;
    const node = el("article", "msg " + message.role);
    this.nodes.set(message, node);
    if (message.role === "user") {
      node.setAttribute("aria-label", t.you);
      node.textContent = message.text;
      return node;
    }
    node.dataset.state = message.state;
    node.setAttribute("aria-label", t.assistant);
    const body = el("div", "body");
    if (message.state === "declined") {
      node.classList.add("declined");
      node.append(el("strong", "badge", t.declined));
    }
    if (message.state === "done" && message.extractive) {
      // The document's own words, not the model's.
      node.classList.add("extract");
      node.append(el("strong", "badge", t.extract));
    }
    if (message.state === "error") {
      node.classList.add("error");
      body.textContent = message.error;
    } else if (message.state === "streaming") {
      body.textContent = message.text;
      node.setAttribute("aria-busy", "true");
    } else if (message.state === "stopped") {
      body.textContent = message.text;
      body.append(el("p", "", t.stopped));
    } else {
      body.append(renderMarkdown(shownText(message), (n) => this.citeButton(message, n)));
    }
    node.append(body);
    if (message.state === "streaming" && message.sources && message.sources.length) {
      node.append(el("strong", "badge", t.sources), this.sourceList(message.sources, "sources", true));
    }
    if (message.state === "declined" && message.closest && message.closest.length) {
      node.append(el("strong", "badge", t.closest), this.sourceList(message.closest, "closest", false));
    }
    if (message.state !== "streaming") node.append(this.actions(message));
    return node;
  }

  /// Sources as buttons that open their card; with `snippets`, each with
  /// its section and the start of its evidence.
  sourceList(sources, kind, snippets) {
    const list = el("ul", kind);
    for (const c of sources) {
      const item = list.appendChild(el("li"));
      item.append(this.button("", c.title || c.doc_id, (e) => this.showCard(c, e.currentTarget)));
      if (snippets) {
        if (c.section) item.append(el("span", "where", c.section));
        if (c.quote) item.append(el("p", "snippet", c.quote.slice(0, 160)));
      }
    }
    return list;
  }

  citeButton(message, n) {
    const citation = (message.citations || []).find((c) => c.n === n);
    if (!citation) return `[${n}]`;
    const b = this.button("cite", String(n), (e) => this.showCard(citation, e.currentTarget));
    b.setAttribute("aria-label", this.t.cite(n));
    return b;
  }

  actions(message) {
    const t = this.t;
    const row = el("div", "actions");
    const copy = this.button("copy", t.copy, () => this.copy(message, copy));
    const retry = this.button("retry", t.retry, () => this.retry(message));
    row.append(copy, retry);
    if (message.state === "done" || message.state === "declined") {
      for (const [rating, text] of [["up", t.up], ["down", t.down]]) {
        const b = this.button("rate " + rating, undefined, () => this.feedback(message, rating));
        b.innerHTML = THUMB; // a constant, not content
        b.setAttribute("aria-label", text);
        b.setAttribute("aria-pressed", String(message.feedback === rating));
        row.append(b);
      }
    }
    return row;
  }

  retry(message) {
    if (this.controller) return;
    Object.assign(message, { text: "", state: "streaming", sources: [], citations: [], closest: [], extractive: false, error: undefined });
    this.rerender(message);
    this.ask(message, true);
  }

  async copy(message, button) {
    const sources = (message.citations || []).map((c) => `[${c.n}] ${c.title}${c.section ? " — " + c.section : ""}`);
    const text = [shownText(message), ...sources].join("\n");
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      // No clipboard API (plain http intranet): the old way.
      const area = el("textarea", "sr", text);
      this.shadow.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = this.t.copied;
    setTimeout(() => (button.textContent = this.t.copy), 1500);
  }

  async feedback(message, rating) {
    message.feedback = rating;
    this.save();
    this.rerender(message);
    try {
      await this.api.call("/v1/feedback", {
        method: "POST",
        body: {
          rating,
          collection: this.config.collection,
          conversation_id: this.state.conversationId || undefined,
          question: message.question,
          answer: message.text.slice(0, 4000),
          cited: (message.citations || []).map((c) => c.chunk_id),
        },
      });
      this.announce(this.t.thanks);
    } catch (e) {
      this.announce(`${this.t.failed}: ${e.message}`);
    }
  }

  showCard(citation, from) {
    const t = this.t;
    this.cardReturn = from;
    const title = el("h3", "", citation.title || citation.doc_id);
    title.id = "seogo-card-title";
    title.tabIndex = -1;
    const where = [citation.section, citation.page ? t.page(citation.page) : "", citation.locator || ""].filter(Boolean);
    const quotes = [citation.quote, ...(citation.more_quotes || [])].filter(Boolean).map((q) => {
      const block = el("blockquote");
      if (/^\s*\|.*\|\s*$/.test(q)) {
        // A table row is quoted as the row it is, cell by cell.
        const row = block.appendChild(el("table")).appendChild(el("tr"));
        for (const cell of cells(q)) row.appendChild(el("td")).append(el("mark", "", cell));
      } else {
        block.append(el("mark", "", q));
      }
      return block;
    });
    const note = el("p", "where");
    note.setAttribute("role", "alert");
    const row = el("div", "row");
    row.append(
      this.button("primary original", t.openOriginal, () => this.openOriginal(citation, note)),
      this.button("back", t.back, () => this.closeCard(true)),
    );
    this.card.replaceChildren(el("p", "where", t.source + (citation.n ? ` ${citation.n}` : "")), title, el("p", "where", where.join(" · ")), ...quotes, row, note);
    this.card.hidden = false;
    this.log.inert = true;
    title.focus();
  }

  closeCard(returnFocus) {
    if (this.card.hidden) return;
    this.card.hidden = true;
    this.log.inert = false;
    if (returnFocus && this.cardReturn && this.cardReturn.isConnected) this.cardReturn.focus();
  }

  /// The original file, fetched with the caller's credentials (a plain link
  /// could not carry them) and shown from a blob.
  async openOriginal(citation, note) {
    const path = `/v1/collections/${encode(this.config.collection)}/documents/${encode(citation.doc_id)}/file`;
    try {
      const response = await this.api.call(path, { accept: "*/*" });
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      // The server types only what a browser shows without running it
      // (PDF, images, text); anything else is saved, not opened.
      if (/^(application\/pdf|image\/|text\/plain)/.test(blob.type)) {
        window.open(url, "_blank", "noopener");
      } else {
        const link = el("a");
        link.href = url;
        link.download = citation.doc_id.split(/[\\/]/).pop() || "document";
        this.shadow.append(link);
        link.click();
        link.remove();
      }
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      note.textContent = e.status === 404 || e.status === 403 ? this.t.noAccess : `${this.t.failed}: ${e.message}`;
    }
  }
}

function start() {
  if (window.Seogo) return; // the script was included twice
  const widget = new Widget(settings());
  window.Seogo = Object.freeze({
    open: () => widget.open(),
    close: () => widget.close(),
    ask: (question) => {
      widget.open();
      widget.send(question);
    },
    reset: () => widget.reset(),
    setToken: (token) => {
      widget.api.token = token;
      widget.api.provider = null;
    },
    setTokenProvider: (provider) => {
      widget.api.provider = provider;
    },
  });
  window.dispatchEvent(new CustomEvent("seogo:ready"));
}

if (document.body) start();
else document.addEventListener("DOMContentLoaded", start, { once: true });
