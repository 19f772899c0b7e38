// Pages for running the appliance: the search playground, the configured
// sources, API keys and the readers' feedback.

// ---- Search playground ----

const LANES = [
  { mode: "bm25", title: "lane.bm25" },
  { mode: "dense", title: "lane.dense" },
  { mode: "hybrid", title: "lane.hybrid" },
];

/// A collection picker filled from /v1/collections; `wanted` is chosen
/// when it is there.
function collectionSelect(wanted) {
  const el = select([], { required: true });
  getJson("/v1/collections")
    .then((body) => {
      const names = (body.collections || []).map((c) => c.name);
      if (wanted && !names.includes(wanted)) names.unshift(wanted);
      for (const name of names) el.append(h("option", { value: name }, name));
      el.value = wanted || (names.includes("default") ? "default" : names[0] || "");
      el.dispatchEvent(new Event("seogo-ready"));
    })
    .catch(() => {
      if (wanted) el.append(h("option", { value: wanted }, wanted));
      el.dispatchEvent(new Event("seogo-ready"));
    });
  return el;
}

function renderSearch(main, view, { query }) {
  pageTitle(main, t("page.search"));
  const q = h("input", { type: "search", required: true, autocomplete: "off", class: "wide", value: query.get("q") || "" });
  const collection = collectionSelect(query.get("collection") || "");
  const groups = isAdmin() ? h("input", { type: "text", autocomplete: "off", spellcheck: "false" }) : null;
  const lanes = LANES.map((lane) => {
    const id = uid("lane");
    const status = statusLine();
    const errors = h("div");
    const list = h("ol", { class: "results" });
    const el = h("section", { class: "lane card", "aria-labelledby": id, dataset: { mode: lane.mode } }, h("h2", { id }, t(lane.title)), status, errors, list);
    return { ...lane, el, status, errors, list };
  });
  const columns = h("div", { class: "lanes" }, lanes.map((l) => l.el));
  let run = 0;

  const search = async () => {
    const text = q.value.trim();
    if (!text || !collection.value) return;
    const mine = ++run;
    history.replaceState(null, "", `#/search${queryString({ q: text, collection: collection.value })}`);
    const asGroups = groups ? splitList(groups.value) : [];
    await Promise.all(
      lanes.map(async (lane) => {
        lane.status.set(t("searching"));
        lane.errors.replaceChildren();
        lane.list.replaceChildren();
        lane.el.setAttribute("aria-busy", "true");
        try {
          const started = performance.now();
          const body = { query: text, collection: collection.value, mode: lane.mode, k: 10, snippets: true };
          if (asGroups.length) body.as_groups = asGroups;
          const found = await postJson("/v1/search", body);
          if (!view.alive || mine !== run) return;
          const results = found.results || [];
          lane.status.set(t("resultsIn", { n: results.length, ms: Math.round(performance.now() - started) }));
          if (results.length === 0) lane.list.replaceChildren();
          else lane.list.replaceChildren(...results.map((r) => resultItem(r, text, collection.value, lane.mode)));
        } catch (e) {
          if (!view.alive || mine !== run) return;
          lane.status.set("");
          lane.errors.replaceChildren(alertBox(messageOf(e)));
        } finally {
          lane.el.removeAttribute("aria-busy");
        }
      }),
    );
  };

  const form = h(
    "form",
    {
      role: "search",
      "aria-label": t("page.search"),
      class: "filters",
      onsubmit: (e) => {
        e.preventDefault();
        search();
      },
    },
    field(t("query"), q),
    field(t("col.collection"), collection),
    groups ? field(t("asGroups"), groups, t("asGroupsHint")) : null,
    h("button", { type: "submit", class: "primary" }, t("searchButton")),
  );
  main.append(card(t("searchCard"), form), columns);
  if (q.value) collection.addEventListener("seogo-ready", search, { once: true });
}

function resultItem(result, query, collection, mode) {
  const chunk = result.chunk || {};
  const where = [chunk.locator || (chunk.page ? t("pageN", { n: chunk.page }) : ""), sectionLabel(chunk)].filter(Boolean).join(" · ");
  const snippet = result.snippet;
  let text;
  if (snippet && snippet.text && (snippet.highlights || []).length) text = markSpans(snippet.text, snippet.highlights);
  else text = markTerms((snippet && snippet.text) || String(chunk.text || "").slice(0, 300), query);
  const lanesLine =
    mode === "hybrid" && (result.bm25_rank !== undefined || result.dense_rank !== undefined)
      ? h("p", { class: "muted small" }, t("laneRanks", { bm25: result.bm25_rank ?? "—", dense: result.dense_rank ?? "—" }))
      : null;
  return h(
    "li",
    { class: "result" },
    h("div", { class: "result-head" }, h("span", { class: "rank" }, `#${result.rank}`), h("span", { class: "score" }, t("scoreN", { n: fmtScore(result.score, 4) }))),
    h("a", { href: documentHref(collection, chunk.doc_id), class: "result-title" }, chunk.title || chunk.doc_id),
    where ? h("p", { class: "muted small" }, where) : null,
    h("p", { class: "snippet" }, text),
    lanesLine,
    h("p", { class: "muted small mono wrap" }, chunk.id),
  );
}

// ---- Sources ----

function renderSources(main, view) {
  pageTitle(main, t("page.sources"));
  const syncs = h("div", { class: "syncs" });
  const list = h("div", null, loadingLine());
  main.append(syncs, list);

  const load = () => loadInto(list, view, "/v1/sources", (body) => sourcesTable(body.sources || [], sync));

  const sync = async (source) => {
    const id = uid("sync");
    const bar = h("progress", { "aria-label": t("syncProgress", { name: source.name }) });
    const line = statusLine();
    const result = h("div");
    const panel = h("section", { class: "card sync", "aria-labelledby": id, dataset: { source: source.name, state: "starting" } }, h("h2", { id }, t("syncTitle", { name: source.name })), bar, line, result);
    syncs.querySelector(`[data-source="${CSS.escape(source.name)}"]`)?.remove();
    syncs.prepend(panel);
    line.set(t("syncStarting"));
    let accepted;
    try {
      accepted = await postJson(`/v1/sources/${seg(source.name)}/sync`);
    } catch (e) {
      panel.dataset.state = "failed";
      bar.remove();
      line.set("");
      result.replaceChildren(alertBox(messageOf(e)));
      return;
    }
    panel.dataset.state = "running";
    const show = (job) => {
      const p = job.progress || {};
      if (p.chunks_planned > 0) {
        bar.max = p.chunks_planned;
        bar.value = p.chunks_indexed || 0;
      }
      line.set(t("syncCounts", { files: fmtNumber(p.files || 0), indexed: fmtNumber(p.chunks_indexed || 0), planned: fmtNumber(p.chunks_planned || 0) }));
    };
    let job;
    try {
      job = await pollJob(accepted.job_id, view.isAlive, show);
    } catch (e) {
      panel.dataset.state = "failed";
      result.replaceChildren(alertBox(messageOf(e)));
      return;
    }
    if (!job) return;
    bar.max = 1;
    bar.value = job.state === "done" ? 1 : 0;
    panel.dataset.state = job.state;
    if (job.state === "failed") {
      result.replaceChildren(alertBox(job.error || t("failed")));
    } else {
      const r = job.report || {};
      const failures = r.failures || [];
      put(
        result,
        h("p", { class: "ok" }, t("syncDone", { added: r.added || 0, updated: r.updated || 0, removed: r.removed || 0, unchanged: r.unchanged || 0, failed: failures.length })),
        failures.length ? h("ul", { class: "failures" }, failures.map((f) => h("li", null, h("span", { class: "mono wrap" }, f.path), `: ${f.error}`))) : null,
      );
    }
    announce(t("syncFinished", { name: source.name }));
    load();
  };

  load();
}

function sourcesTable(sources, sync) {
  const counts = (s) => {
    const r = s.state && s.state.report;
    if (!r) return t("neverSynced");
    return t("sourceCounts", { files: r.files || 0, added: r.added || 0, updated: r.updated || 0, removed: r.removed || 0 });
  };
  const errors = (s) => {
    const st = s.state;
    if (!st) return "—";
    if (st.error) return h("span", { class: "bad" }, st.error);
    const failures = (st.report && st.report.failures) || [];
    if (!failures.length) return t("none");
    return h("details", null, h("summary", null, t("failedN", { n: failures.length })), h("ul", null, failures.map((f) => h("li", null, h("span", { class: "mono wrap" }, f.path), `: ${f.error}`))));
  };
  const schedule = (s) => {
    const parts = [];
    if (s.every_minutes) parts.push(t("everyMinutes", { n: s.every_minutes }));
    if (s.next_sync) parts.push(t("nextRun", { time: fmtTime(s.next_sync) }));
    return parts.length ? parts.join(" · ") : t("manualOnly");
  };
  return table(
    t("page.sources"),
    [
      { label: t("col.name"), rowHeader: true, cell: (s) => s.name },
      { label: t("col.collection"), cell: (s) => h("a", { href: collectionHref(s.collection) }, s.collection) },
      { label: t("col.path"), cell: (s) => h("span", { class: "mono wrap" }, s.path) },
      { label: t("col.connector"), cell: (s) => s.connector || t("generic") },
      { label: t("col.schedule"), cell: schedule },
      { label: t("col.lastSync"), cell: (s) => (s.state && s.state.last_sync ? fmtTime(s.state.last_sync) : "—") },
      { label: t("col.counts"), cell: counts },
      { label: t("col.errors"), cell: errors },
      { label: t("col.actions"), cell: (s) => button(t("syncNow"), () => sync(s), { class: "small", "aria-label": t("syncNamed", { name: s.name }) }) },
    ],
    sources,
    { empty: t("noSources") },
  );
}

// ---- Keys ----

function renderKeys(main, view) {
  pageTitle(main, t("page.keys"));
  const status = statusLine();
  const secretSlot = h("div");
  const list = h("div", null, loadingLine());

  const load = () => loadInto(list, view, "/v1/admin/keys", (body) => keysTable(body.keys || [], revoke));

  const revoke = async (key) => {
    await del(`/v1/admin/keys/${seg(key.id)}`);
    status.set(t("keyRevoked", { id: key.id }), "ok");
    load();
  };

  const name = h("input", { type: "text", required: true, maxlength: 100, autocomplete: "off" });
  const role = select(["query", "ingest", "admin"].map((r) => ({ value: r, label: t(`role.${r}`) })));
  const collections = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  const groups = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  const errorSlot = h("div");
  const form = h(
    "form",
    {
      class: "filters",
      onsubmit: async (e) => {
        e.preventDefault();
        errorSlot.replaceChildren();
        try {
          const made = await postJson("/v1/admin/keys", { name: name.value.trim(), role: role.value, collections: splitList(collections.value), groups: splitList(groups.value) });
          secretSlot.replaceChildren(secretCard(made, () => secretSlot.replaceChildren()));
          secretSlot.querySelector("input").focus();
          name.value = "";
          load();
        } catch (err) {
          errorSlot.replaceChildren(alertBox(messageOf(err)));
        }
      },
    },
    field(t("keyName"), name),
    field(t("col.role"), role),
    field(t("keyCollections"), collections, t("keyCollectionsHint")),
    field(t("keyGroups"), groups, t("keyGroupsHint")),
    h("button", { type: "submit", class: "primary" }, t("createKey")),
  );
  main.append(card(t("newKey"), form, errorSlot), secretSlot, status, list);
  load();
}

/// The new key's secret, shown this once.
function secretCard(made, dismiss) {
  const secret = h("input", { type: "text", readOnly: true, class: "mono wide", value: made.key, spellcheck: "false" });
  const copied = statusLine();
  const copy = button(t("copy"), async () => {
    try {
      await navigator.clipboard.writeText(made.key);
      copied.set(t("copied"), "ok");
    } catch (_) {
      // No clipboard permission: leave the text selected for Ctrl+C.
      secret.focus();
      secret.select();
      copied.set(t("copyByHand"));
    }
  });
  secret.addEventListener("focus", () => secret.select());
  return h(
    "section",
    { class: "card secret", "aria-labelledby": "secret-title", dataset: { keyId: made.id } },
    h("h2", { id: "secret-title" }, t("keyCreated", { name: made.name, id: made.id })),
    h("p", { class: "warn" }, t("secretOnce")),
    h("div", { class: "row" }, field(t("secret"), secret), copy, button(t("done"), dismiss)),
    copied,
  );
}

function keysTable(keys, revoke) {
  const actions = (key) =>
    askFirst({
      label: t("revoke"),
      ariaLabel: t("revokeNamed", { id: key.id }),
      question: t("revokeQuestion", { name: key.name }),
      yes: t("confirmRevoke"),
      act: () => revoke(key),
    });
  return table(
    t("page.keys"),
    [
      { label: t("col.id"), rowHeader: true, cell: (k) => h("span", { class: "mono" }, k.id) },
      { label: t("col.name"), cell: (k) => k.name },
      { label: t("col.role"), cell: (k) => t(`role.${k.role}`) },
      { label: t("col.collections"), cell: (k) => (k.collections && k.collections.length ? k.collections.join(", ") : t("allCollections")) },
      { label: t("col.groups"), cell: (k) => (k.groups && k.groups.length ? k.groups.join(", ") : "—") },
      { label: t("col.created"), cell: (k) => fmtTime(k.created) },
      { label: t("col.actions"), cell: actions },
    ],
    keys,
    { empty: t("noKeys"), rowAttrs: (k) => ({ dataset: { keyId: k.id } }) },
  );
}

// ---- Feedback ----

function renderFeedback(main, view) {
  pageTitle(main, t("page.feedback"));
  const body = h("div", null, loadingLine());
  main.append(body);
  loadInto(body, view, `/v1/admin/audit${queryString({ route: "/v1/feedback", limit: 500 })}`, (found) => {
    const lines = found.lines || [];
    const rating = (l) => (l.detail && l.detail.feedback) || "";
    const down = lines.filter((l) => rating(l) === "down");
    const up = lines.filter((l) => rating(l) !== "down");
    return [feedbackCard(t("thumbsDown", { n: down.length }), down, "down"), feedbackCard(t("thumbsUp", { n: up.length }), up, "up")];
  });
}

function feedbackCard(title, lines, kind) {
  if (!lines.length) return card(title, h("p", { class: "empty" }, t("noFeedback")));
  return card(
    title,
    h(
      "ul",
      { class: "feedback-list" },
      lines.map((l) => {
        const d = l.detail || {};
        const facts = [
          [t("fb.answer"), d.answer ? h("span", { class: "prewrap" }, d.answer) : "—"],
          [t("fb.comment"), d.comment || "—"],
          [t("fb.cited"), l.cited && l.cited.length ? h("span", { class: "mono wrap" }, l.cited.join(", ")) : "—"],
          [t("fb.who"), h("span", { class: "mono" }, l.who || "—")],
          [t("fb.when"), fmtTime(l.ts)],
          [t("col.collection"), l.collection || "—"],
        ];
        return h(
          "li",
          { class: ["feedback", kind], dataset: { rating: kind } },
          h("h3", null, l.question || t("noQuestion")),
          h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", null, k), h("dd", null, v)])),
          l.question ? h("a", { href: `#/search${queryString({ q: l.question, collection: l.collection || "default" })}` }, t("openInPlayground")) : null,
        );
      }),
    ),
  );
}
