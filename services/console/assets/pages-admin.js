// Admin pages over the server's records: the audit log and evaluation
// runs (retrieval quality per search mode, and answer quality).

// ---- Audit log ----

const AUDITED_ROUTES = [
  "/v1/ask",
  "/v1/search",
  "/v1/chat/completions",
  "/v1/feedback",
  "/v1/collections/{name}/documents/{id}",
  "/v1/collections/{name}/documents/{id}/file",
  "/v1/sources/{name}/sync",
  "/v1/admin/keys",
  "/v1/admin/keys/{id}",
  "/v1/admin/backup",
  "/v1/admin/reindex",
  "/v1/admin/eval",
];

/// A datetime-local value (the reader's clock) as RFC 3339.
function rfc3339(local) {
  if (!local) return "";
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

/// One line's gist: its question, else its detail as "key: value".
function auditSummary(line) {
  const parts = [];
  if (line.question) parts.push(line.question);
  if (line.detail && typeof line.detail === "object") {
    const pairs = Object.entries(line.detail)
      .filter(([, v]) => v !== null && v !== undefined && v !== "")
      .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
    if (pairs.length) parts.push(pairs.join(" · "));
  }
  if (line.grounded !== undefined) parts.push(line.grounded ? t("grounded") : t("notGrounded"));
  if (line.retrieved && line.retrieved.length) parts.push(t("retrievedN", { n: line.retrieved.length }));
  const text = parts.join(" — ");
  return text.length > 300 ? `${text.slice(0, 300)}…` : text || "—";
}

function renderAudit(main, view) {
  pageTitle(main, t("page.audit"));
  const who = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  const listId = uid("routes");
  const routeInput = h("input", { type: "text", autocomplete: "off", spellcheck: "false", list: listId });
  const since = h("input", { type: "datetime-local", step: 1 });
  const until = h("input", { type: "datetime-local", step: 1 });
  const q = h("input", { type: "search", autocomplete: "off" });
  const limit = h("input", { type: "number", min: 1, max: 1000, value: "100", class: "narrow" });
  const status = statusLine();
  const results = h("div");

  const search = async () => {
    status.set(t("searching"));
    results.setAttribute("aria-busy", "true");
    try {
      const params = { who: who.value.trim(), route: routeInput.value.trim(), since: rfc3339(since.value), until: rfc3339(until.value), q: q.value.trim(), limit: limit.value || 100 };
      const body = await getJson(`/v1/admin/audit${queryString(params)}`);
      if (!view.alive) return;
      const lines = body.lines || [];
      status.set(t("linesN", { n: lines.length }));
      results.replaceChildren(
        table(
          t("page.audit"),
          [
            { label: t("col.time"), cell: (l) => h("span", { class: "nowrap" }, fmtTime(l.ts)) },
            { label: t("col.who"), cell: (l) => h("span", { class: "mono" }, l.who || "—") },
            { label: t("col.route"), cell: (l) => h("span", { class: "mono" }, l.route || "—") },
            { label: t("col.collection"), cell: (l) => l.collection || "—" },
            { label: t("col.status"), class: "num", cell: (l) => String(l.status ?? "—") },
            { label: t("col.summary"), class: "grow", cell: (l) => h("span", { class: "wrap" }, auditSummary(l)) },
          ],
          lines,
          { empty: t("noLines"), rowAttrs: (l) => ({ dataset: { route: l.route || "" } }) },
        ),
      );
    } catch (e) {
      if (!view.alive) return;
      status.set("");
      results.replaceChildren(alertBox(messageOf(e)));
    } finally {
      results.removeAttribute("aria-busy");
    }
  };

  const form = h(
    "form",
    {
      role: "search",
      "aria-label": t("page.audit"),
      class: "filters",
      onsubmit: (e) => {
        e.preventDefault();
        search();
      },
    },
    field(t("col.who"), who, t("whoHint")),
    field(t("col.route"), routeInput),
    h("datalist", { id: listId }, AUDITED_ROUTES.map((r) => h("option", { value: r }))),
    field(t("since"), since),
    field(t("until"), until),
    field(t("containsText"), q),
    field(t("limit"), limit),
    h("button", { type: "submit", class: "primary" }, t("searchButton")),
  );
  main.append(card(t("auditSearch"), form), status, results);
  search();
}

// ---- Evaluation ----

const EVAL_MODES = ["bm25", "dense", "hybrid", "rerank"];
const RATE_FIELDS = [
  ["refusal_rate_unanswerable", "m.refusalUnanswerable"],
  ["refusal_rate_answerable", "m.refusalAnswerable"],
  ["citation_precision", "m.citationPrecision"],
  ["gold_cited_rate", "m.goldCited"],
];
const MORE_RATE_FIELDS = [
  ["retrieval_recall", "m.retrievalRecall"],
  ["extractive_rate", "m.extractive"],
  ["model_refusal_rate_unanswerable", "m.modelRefusalUnanswerable"],
  ["model_refusal_rate_answerable", "m.modelRefusalAnswerable"],
];

/// The modes of a retrieval report, in the usual order.
function reportModes(report) {
  const names = Object.keys((report && report.modes) || {});
  return names.sort((a, b) => (EVAL_MODES.indexOf(a) + 1 || 99) - (EVAL_MODES.indexOf(b) + 1 || 99));
}

/// A run's figure for the history table.
function headline(run) {
  if (run.state === "running") return t("running");
  if (run.state === "failed") return run.error || t("failed");
  const r = run.report;
  if (!r) return "—";
  if (run.kind === "answers") {
    const rate = r.refusal_rate_unanswerable;
    return `${t("m.refusalUnanswerable")} ${rate ? fmtScore(rate.value) : "—"} · ${t("m.citationPrecision")} ${r.citation_precision ? fmtScore(r.citation_precision.value) : "—"}`;
  }
  const modes = reportModes(r);
  if (!modes.length) return "—";
  const best = modes.reduce((a, b) => (r.modes[b]["ndcg@10"] > r.modes[a]["ndcg@10"] ? b : a));
  return `${best} nDCG@10 ${fmtScore(r.modes[best]["ndcg@10"])}`;
}

function retrievalChart(run, caption) {
  const r = run.report;
  const modes = reportModes(r);
  const summary = `${caption}. ${t("chartSummary")}: ${modes.map((m) => `${m} ${fmtScore(r.modes[m]["ndcg@10"])} / ${fmtScore(r.modes[m]["recall@10"])}`).join("; ")}`;
  return chartFigure(
    caption,
    barChart({
      title: `${t("chartTitle")} — ${caption}`,
      summary,
      series: ["nDCG@10", "Recall@10"],
      groups: modes.map((m) => ({ label: m, bars: [{ value: r.modes[m]["ndcg@10"] }, { value: r.modes[m]["recall@10"] }] })),
    }),
  );
}

function answersChart(run, caption) {
  const r = run.report;
  const groups = RATE_FIELDS.map(([key, label]) => {
    const rate = r[key];
    return { label: t(label), bars: [rate ? { value: rate.value, low: rate.low, high: rate.high } : { value: null }] };
  });
  const summary = `${caption}. ${groups.map((g) => `${g.label} ${fmtScore(g.bars[0].value)}`).join("; ")}`;
  return chartFigure(caption, barChart({ title: `${t("answersChartTitle")} — ${caption}`, summary, series: [t("rate")], groups }));
}

function retrievalTable(report) {
  const metric = (name) => ({ label: name, class: "num", cell: (m) => fmtScore(report.modes[m][name]) });
  return table(
    t("metricsTable"),
    [
      { label: t("col.mode"), rowHeader: true, cell: (m) => m },
      metric("ndcg@10"),
      metric("recall@3"),
      metric("recall@5"),
      metric("recall@10"),
      metric("recall@100"),
      metric("mrr@10"),
      { label: "p50 ms", class: "num", cell: (m) => fmtScore((report.modes[m].latency_ms || {}).p50, 1) },
      { label: "p99 ms", class: "num", cell: (m) => fmtScore((report.modes[m].latency_ms || {}).p99, 1) },
    ],
    reportModes(report),
  );
}

function answersTable(report) {
  const rows = [...RATE_FIELDS, ...MORE_RATE_FIELDS].map(([key, label]) => {
    const rate = report[key];
    return { label: t(label), value: rate ? fmtScore(rate.value) : "—", interval: rate ? `${fmtScore(rate.low)}–${fmtScore(rate.high)}` : "—", n: rate ? String(rate.n) : "—" };
  });
  rows.push({ label: t("m.tokenF1"), value: fmtScore(report.token_f1), interval: "—", n: "—" });
  rows.push({ label: t("m.totalP50"), value: fmtScore(report.total_ms_p50, 0), interval: "—", n: "—" });
  return table(
    t("metricsTable"),
    [
      { label: t("col.metric"), rowHeader: true, cell: (r) => r.label },
      { label: t("col.value"), class: "num", cell: (r) => r.value },
      { label: t("col.interval"), class: "num", cell: (r) => r.interval },
      { label: "n", class: "num", cell: (r) => r.n },
    ],
    rows,
  );
}

function renderEval(main, view) {
  pageTitle(main, t("page.eval"));
  const formCard = card(t("newRun"), loadingLine());
  const running = h("div");
  const results = card(t("results"), h("p", { class: "empty" }, t("noRunShown")));
  const history = card(t("history"), loadingLine());
  main.append(formCard, running, results, history);
  let runs = [];
  let runButton = null;

  /// A run with its report (the list may leave reports out); finished
  /// runs do not change, so each is fetched once.
  const fetched = new Map();
  const full = async (run) => {
    if (run.report || run.state !== "done") return run;
    if (!fetched.has(run.id)) fetched.set(run.id, getJson(`/v1/admin/eval/${seg(run.id)}`));
    try {
      return await fetched.get(run.id);
    } catch (e) {
      fetched.delete(run.id);
      throw e;
    }
  };

  /// The headline of a finished run whose report the list left out.
  const headlineCell = (run) => {
    const cell = h("span", null, headline(run));
    if (run.state === "done" && !run.report && runs.indexOf(run) < 20) {
      full(run)
        .then((got) => (cell.textContent = headline(got)))
        .catch(() => {
          // The headline stays "—".
        });
    }
    return cell;
  };

  const runCaption = (run) => `${fmtTime(run.started_at)} · ${run.set || "—"}`;

  const showRun = async (run) => {
    const shown = await full(run);
    if (!view.alive) return;
    results.dataset.runId = shown.id;
    const head = h("p", { class: "muted" }, t("runFacts", { kind: t(`kind.${shown.kind}`), set: shown.set || "—", who: shown.who || "—", time: fmtTime(shown.started_at) }));
    if (shown.state === "failed") return fillCard(results, head, alertBox(shown.error || t("failed")));
    if (shown.state !== "done" || !shown.report) return fillCard(results, head, h("p", null, t("running")));
    if (shown.kind === "answers") {
      fillCard(results, head, h("p", null, t("questionsN", { n: shown.report.questions })), h("div", { class: "charts" }, answersChart(shown, runCaption(shown))), answersTable(shown.report));
      return;
    }
    const charts = h("div", { class: "charts" }, retrievalChart(shown, `${runCaption(shown)} (${t("thisRun")})`));
    const r = shown.report;
    fillCard(results, head, h("p", null, t("retrievalFacts", { queries: r.queries, analyzer: r.analyzer || "—", dataset: r.dataset || "—" })), charts, retrievalTable(r));
    // Earlier runs of the same set, beside it.
    const earlier = runs.filter((x) => x.id !== shown.id && x.kind === shown.kind && x.set === shown.set && x.state === "done" && (x.started_at || "") < (shown.started_at || "")).slice(0, 3);
    for (const other of earlier) {
      try {
        const got = await full(other);
        if (view.alive && got.report) charts.append(retrievalChart(got, runCaption(got)));
      } catch (_) {
        // An earlier run that cannot be read is left out of the comparison.
      }
    }
  };

  const drawHistory = () => {
    fillCard(
      history,
      table(
        t("history"),
        [
          { label: t("col.time"), rowHeader: true, cell: (r) => h("span", { class: "nowrap" }, fmtTime(r.started_at)) },
          { label: t("col.kind"), cell: (r) => t(`kind.${r.kind}`) },
          { label: t("col.set"), cell: (r) => h("span", { class: "wrap" }, r.set || "—") },
          { label: t("col.state"), cell: (r) => h("span", { class: `state-${r.state}` }, t(`state.${r.state}`)) },
          { label: t("col.headline"), cell: headlineCell },
          { label: t("col.who"), cell: (r) => h("span", { class: "mono" }, r.who || "—") },
          {
            label: t("col.actions"),
            cell: (r) =>
              h(
                "div",
                { class: "row-actions" },
                button(t("show"), () => showRun(r).catch((e) => fillCard(results, alertBox(messageOf(e)))), { class: "small", "aria-label": t("showRun", { time: fmtTime(r.started_at) }) }),
                r.state === "running" ? null : askFirst({ label: t("delete"), ariaLabel: t("deleteRun", { time: fmtTime(r.started_at) }), question: t("deleteRunQuestion"), yes: t("confirmDelete"), act: () => forget(r) }),
              ),
          },
        ],
        runs,
        { empty: t("noRuns") },
      ),
    );
  };

  /// Deletes a run (and its uploaded set) and draws the history again.
  const forget = async (run) => {
    await del(`/v1/admin/eval/${seg(run.id)}`);
    fetched.delete(run.id);
    if (results.dataset.runId === run.id) fillCard(results, h("p", { class: "empty" }, t("noRunShown")));
    await load();
  };

  const load = async () => {
    const body = await getJson("/v1/admin/eval");
    runs = body.runs || [];
    if (view.alive) drawHistory();
    return body;
  };

  const follow = async (id) => {
    if (runButton) runButton.disabled = true;
    const bar = h("progress", { "aria-label": t("evalProgress") });
    const line = statusLine();
    const started = Date.now();
    running.replaceChildren(h("section", { class: "card", "aria-labelledby": "eval-running" }, h("h2", { id: "eval-running" }, t("evalRunning")), bar, line));
    let run;
    try {
      run = await poll(`/v1/admin/eval/${seg(id)}`, 1000, view.isAlive, (r) => {
        const p = r.progress || {};
        if (p.chunks_planned > 0) {
          bar.max = p.chunks_planned;
          bar.value = p.chunks_indexed || 0;
        }
        line.set(t("evalCounts", { files: p.files || 0, indexed: p.chunks_indexed || 0, planned: p.chunks_planned || 0, s: Math.round((Date.now() - started) / 1000) }));
      });
    } catch (e) {
      running.replaceChildren(alertBox(messageOf(e)));
      if (runButton) runButton.disabled = false;
      return;
    }
    if (!run) return;
    if (runButton) runButton.disabled = false;
    running.replaceChildren(run.state === "failed" ? alertBox(t("evalFailed", { error: run.error || t("failed") })) : h("p", { role: "status", class: "ok" }, t("evalDone")));
    try {
      await load();
    } catch (_) {
      // The history stays as it was; the run is shown anyway.
    }
    await showRun(run);
  };

  load()
    .then((body) => {
      if (!view.alive) return;
      fillCard(formCard, evalForm(body.sets || [], follow, (b) => (runButton = b)));
      const live = runs.find((r) => r.state === "running");
      if (live) follow(live.id);
      else if (runs.length) showRun(runs[0]).catch(() => {});
    })
    .catch((e) => {
      if (!view.alive) return;
      fillCard(formCard, alertBox(messageOf(e)));
      fillCard(history, h("p", { class: "empty" }, t("noRuns")));
    });
}

function evalForm(sets, follow, keepButton) {
  const kind = select([
    { value: "retrieval", label: t("kind.retrieval") },
    { value: "answers", label: t("kind.answers") },
  ]);
  const modeBoxes = EVAL_MODES.map((m) => h("input", { type: "checkbox", name: "modes", value: m, checked: m !== "rerank" }));
  const modes = h("fieldset", { class: "inline-checks" }, h("legend", null, t("modes")), modeBoxes.map((box) => check(t(`lane.${box.value}`), box)));
  const limit = h("input", { type: "number", min: 1, class: "narrow" });
  const limitField = field(t("questionLimit"), limit, t("questionLimitHint"));
  const group = uid("set");
  const useSet = h("input", { type: "radio", name: group, value: "set", checked: sets.length > 0, disabled: sets.length === 0 });
  const useFiles = h("input", { type: "radio", name: group, value: "files", checked: sets.length === 0 });
  const setSelect = select(sets.map((x) => ({ value: x.name, label: x.name })));
  const setField = field(t("configuredSetName"), setSelect);
  const files = h("input", { type: "file", multiple: true, accept: ".json,.jsonl,.tsv" });
  const filesField = field(t("evalFiles"), files, t("evalFilesHint"));
  const errors = h("div");
  const run = h("button", { type: "submit", class: "primary" }, t("runEval"));
  keepButton(run);

  const sync = () => {
    modes.hidden = kind.value !== "retrieval";
    limitField.hidden = kind.value !== "answers";
    setField.hidden = !useSet.checked;
    filesField.hidden = !useFiles.checked;
  };
  for (const el of [kind, useSet, useFiles]) el.addEventListener("change", sync);
  sync();

  return h(
    "form",
    {
      class: "eval-form",
      onsubmit: async (e) => {
        e.preventDefault();
        errors.replaceChildren();
        const form = new FormData();
        form.append("kind", kind.value);
        if (kind.value === "retrieval") {
          const chosen = modeBoxes.filter((b) => b.checked).map((b) => b.value);
          if (!chosen.length) return errors.replaceChildren(alertBox(t("chooseMode")));
          form.append("modes", chosen.join(","));
        } else if (limit.value) {
          form.append("limit", limit.value);
        }
        if (useSet.checked) {
          form.append("set", setSelect.value);
        } else {
          if (!files.files.length) return errors.replaceChildren(alertBox(t("chooseFilesFirst")));
          for (const f of files.files) form.append("file", f, f.name);
        }
        run.disabled = true;
        try {
          const accepted = await getJson("/v1/admin/eval", { method: "POST", form });
          follow(accepted.run_id);
        } catch (err) {
          run.disabled = false;
          errors.replaceChildren(alertBox(messageOf(err)));
        }
      },
    },
    h("div", { class: "row top" }, field(t("col.kind"), kind), modes, limitField),
    h("div", { class: "row top" }, h("fieldset", { class: "inline-checks" }, h("legend", null, t("evalSet")), check(t("useConfiguredSet"), useSet), check(t("useUpload"), useFiles)), setField, filesField),
    run,
    errors,
  );
}
