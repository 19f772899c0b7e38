// The console's frame: sign-in, the header and navigation, and the hash
// router that draws one page at a time into <main>. Each page gets a
// `view` that dies when the reader leaves it, so its polls and timers stop
// and late answers are dropped instead of drawn over the next page.

/// The navigation, in order. Admin pages call admin-only routes: an
/// ingest key never sees them (and never calls them).
const NAV = [
  { route: "overview", title: "page.overview", render: renderOverview },
  { route: "collections", title: "page.collections", render: renderCollections },
  { route: "search", title: "page.search", render: renderSearch },
  { route: "sources", title: "page.sources", render: renderSources },
  { route: "keys", title: "page.keys", admin: true, render: renderKeys },
  { route: "feedback", title: "page.feedback", admin: true, render: renderFeedback },
  { route: "audit", title: "page.audit", admin: true, render: renderAudit },
  { route: "eval", title: "page.eval", admin: true, render: renderEval },
];

const app = {
  root: null,
  main: null,
  nav: null,
  who: null,
  view: null,
  /// Focus the new page's heading (after a click, not on first load).
  moveFocus: false,
};

const isAdmin = () => Boolean(app.who && app.who.role === "admin");

/// The page heading (one per page); focusable so a route change can move
/// a screen reader to it.
function pageTitle(main, text) {
  const heading = h("h1", { tabindex: "-1" }, text);
  main.append(heading);
  document.title = `${text} · ${t("brand")}`;
  return heading;
}

/// Replaces everything after a card's heading.
function fillCard(el, ...nodes) {
  put(el, el.firstChild, nodes);
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const at = raw.indexOf("?");
  const path = at >= 0 ? raw.slice(0, at) : raw;
  const decode = (p) => {
    try {
      return decodeURIComponent(p);
    } catch (_) {
      return p;
    }
  };
  return {
    parts: path.split("/").filter((p) => p !== "").map(decode),
    query: new URLSearchParams(at >= 0 ? raw.slice(at + 1) : ""),
  };
}

/// The page for a route: its nav entry, and how to draw it.
function resolve(parts) {
  const [first, ...rest] = parts;
  if (!first) return { entry: NAV[0], render: renderOverview };
  if (first === "collections" && rest.length === 1) return { entry: NAV[1], render: renderDocuments, args: rest };
  if (first === "documents" && rest.length === 2) return { entry: NAV[1], render: renderDocument, args: rest };
  const entry = NAV.find((n) => n.route === first);
  if (entry && rest.length === 0) return { entry, render: entry.render };
  return null;
}

function leaveView() {
  if (!app.view) return;
  app.view.alive = false;
  for (const fn of app.view.cleanups) {
    try {
      fn();
    } catch (_) {
      // A cleanup's failure must not stop the next page.
    }
  }
  app.view = null;
}

function newView() {
  const view = { alive: true, cleanups: [] };
  view.isAlive = () => view.alive;
  view.onLeave = (fn) => view.cleanups.push(fn);
  view.every = (ms, fn) => {
    const id = setInterval(fn, ms);
    view.onLeave(() => clearInterval(id));
  };
  return view;
}

function route() {
  if (!app.who || !app.main) return;
  leaveView();
  const { parts, query } = parseHash();
  const found = resolve(parts);
  const main = app.main;
  main.replaceChildren();
  const view = (app.view = newView());
  for (const link of app.nav.querySelectorAll("a")) {
    if (found && link.dataset.route === found.entry.route) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!found) {
    pageTitle(main, t("notFound"));
    main.append(h("p", null, h("a", { href: "#/overview" }, t("page.overview"))));
  } else if (found.entry.admin && !isAdmin()) {
    pageTitle(main, t(found.entry.title));
    main.append(h("p", { class: "notice", role: "status" }, t("needsAdmin")));
  } else {
    try {
      found.render(main, view, { parts, query, args: found.args || [] });
    } catch (e) {
      main.append(alertBox(messageOf(e)));
    }
  }
  if (app.moveFocus) {
    const heading = main.querySelector("h1");
    if (heading) heading.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  app.moveFocus = false;
}

function languageButton() {
  const other = currentLang === "ko" ? "en" : "ko";
  return h(
    "button",
    { type: "button", class: "ghost", lang: other, onclick: () => setLang(other) },
    other === "ko" ? "한국어" : "English",
  );
}

/// Header, navigation and <main>, for a signed-in caller.
function buildShell() {
  const who = app.who;
  const header = h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: "#/overview" }, t("brand")),
    h(
      "div",
      { class: "who" },
      h("span", { class: "muted" }, t("signedInAs")),
      " ",
      h("strong", { class: "mono" }, who.id),
      " ",
      h("span", { class: ["badge", `role-${who.role}`] }, t(`role.${who.role}`)),
    ),
    h("div", { class: "actions" }, languageButton(), button(t("signOut"), () => signOut(null), { class: "ghost" })),
  );
  app.nav = h(
    "nav",
    { class: "sidenav", "aria-label": t("navLabel") },
    h(
      "ul",
      null,
      NAV.filter((n) => !n.admin || isAdmin()).map((n) =>
        h("li", null, h("a", { href: `#/${n.route}`, dataset: { route: n.route } }, t(n.title))),
      ),
    ),
  );
  app.main = h("main", { id: "main", tabindex: "-1" });
  app.root.replaceChildren(header, h("div", { class: "layout" }, app.nav, app.main), h("div", { id: "announcer", class: "sr-only", role: "status", "aria-live": "polite" }));
}

/// Says `text` to screen readers without moving focus.
function announce(text) {
  const el = document.getElementById("announcer");
  if (!el) return;
  el.textContent = "";
  setTimeout(() => (el.textContent = text), 50);
}

function showSignIn(message) {
  leaveView();
  app.main = null;
  app.nav = null;
  const input = h("input", { type: "password", autocomplete: "off", spellcheck: "false", required: true, class: "wide" });
  const slot = h("div", { class: "alert-slot" });
  const submit = h("button", { type: "submit", class: "primary" }, t("signIn"));
  const say = (text) => slot.replaceChildren(text ? alertBox(text) : "");
  const form = h(
    "form",
    {
      class: "signin-form",
      onsubmit: async (e) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        submit.disabled = true;
        say(null);
        const refused = await signIn(token);
        submit.disabled = false;
        if (refused) {
          say(refused);
          input.focus();
        }
      },
    },
    field(t("tokenLabel"), input),
    submit,
    slot,
  );
  const main = h(
    "main",
    { id: "main", class: "signin" },
    h("section", { class: "card signin-card", "aria-labelledby": "signin-title" }, h("h1", { id: "signin-title" }, t("signInTitle")), h("p", { class: "muted" }, t("signInIntro")), form),
  );
  const header = h("header", { class: "topbar" }, h("span", { class: "brand" }, t("brand")), h("div", { class: "actions" }, languageButton()));
  app.root.replaceChildren(header, main);
  document.title = `${t("signInTitle")} · ${t("brand")}`;
  if (message) say(message);
  input.focus();
}

/// Checks `token` with the server; signs in with it unless refused.
/// Returns why it was refused, or null.
async function signIn(token) {
  let who;
  try {
    who = await getJson("/v1/whoami", { token });
  } catch (e) {
    return messageOf(e);
  }
  if (!who || (who.role !== "ingest" && who.role !== "admin")) return t("queryRefused");
  auth.store(token);
  app.who = who;
  buildShell();
  if (location.hash !== "#/overview") location.hash = "#/overview";
  else route();
  return null;
}

/// Signed in already (a stored token or a provider): who is it?
async function resume() {
  app.root.replaceChildren(h("main", { id: "main" }, loadingLine()));
  let who;
  try {
    who = await getJson("/v1/whoami");
  } catch (e) {
    if (e.status === 401) {
      auth.forget();
      auth.provider = null;
      showSignIn(`${t("sessionEnded")} (${messageOf(e)})`);
    } else {
      showSignIn(messageOf(e));
    }
    return;
  }
  if (!who || (who.role !== "ingest" && who.role !== "admin")) {
    auth.forget();
    auth.provider = null;
    showSignIn(t("queryRefused"));
    return;
  }
  app.who = who;
  buildShell();
  route();
}

function signOut(message) {
  auth.forget();
  auth.provider = null;
  app.who = null;
  showSignIn(message);
}

function setLang(lang) {
  currentLang = lang;
  try {
    sessionStorage.setItem(LANG_KEY, lang);
  } catch (_) {
    // Storage blocked: this page keeps the choice.
  }
  document.documentElement.lang = lang;
  if (app.who) {
    buildShell();
    route();
  } else {
    showSignIn(null);
  }
}

/// An OIDC redirect's `#access_token=…`: taken, and removed from the URL
/// (and so from the history) before anything else runs.
function takeRedirectToken() {
  const fragment = location.hash.replace(/^#/, "");
  if (!/(^|&)access_token=/.test(fragment)) return null;
  const token = new URLSearchParams(fragment).get("access_token");
  history.replaceState(null, "", location.pathname + location.search + "#/overview");
  return token || null;
}

function start() {
  app.root = document.getElementById("app") || document.body;
  document.documentElement.lang = currentLang;
  auth.onUnauthorized = (message) => {
    if (app.who || auth.provider) signOut(`${t("sessionEnded")} (${message})`);
  };
  window.addEventListener("hashchange", () => {
    app.moveFocus = true;
    route();
  });
  const redirected = takeRedirectToken();
  auth.load();
  if (redirected) {
    showSignIn(null);
    signIn(redirected).then((refused) => refused && showSignIn(refused));
  } else if (auth.has()) {
    resume();
  } else {
    showSignIn(null);
  }
}

window.SeogoConsole = Object.freeze({
  /// `fn` returns (a promise of) a bearer token; every call asks it for a
  /// fresh one, and the sign-in form is skipped.
  setTokenProvider(fn) {
    auth.provider = typeof fn === "function" ? fn : null;
    if (!app.root) return; // before start(): it will see the provider
    if (auth.provider) resume();
    else if (!auth.token) signOut(null);
  },
});

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
