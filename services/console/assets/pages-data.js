// Pages about what the server holds: the overview, the collections, one
// collection's documents and one document as it was indexed.

const DOMAINS = ["manufacturing", "finance", "public", "general"];

/// A domain's name in the reader's language (unknown ones as they are).
function domainName(domain) {
  const key = `domain.${domain}`;
  const text = t(key);
  return text === key ? domain : text;
}

/// Links to one collection's documents and one document.
const collectionHref = (name) => `#/collections/${seg(name)}`;
const documentHref = (collection, id) => `#/documents/${seg(collection)}/${seg(id)}`;

/// "manufacturing 3 · general 2".
function domainCounts(domains) {
  const entries = Object.entries(domains || {}).filter(([, n]) => n > 0);
  return entries.length ? entries.map(([d, n]) => `${domainName(d)} ${fmtNumber(n)}`).join(" · ") : "—";
}

// ---- Overview ----

/// Counter samples kept across visits, so the rates show at once when the
/// reader comes back.
const metricSamples = [];
const RATE_METRICS = [
  ["seogo_documents_ingested_total", "rate.ingested"],
  ["seogo_answers_total", "rate.answers"],
  ["seogo_refusals_total", "rate.refusals"],
  ["seogo_ingest_failures_total", "rate.failures"],
];

function renderOverview(main, view) {
  pageTitle(main, t("page.overview"));
  const models = card(t("models"), loadingLine());
  const activity = card(t("activity"), loadingLine());
  const collections = card(t("page.collections"), loadingLine());
  main.append(h("div", { class: "grid-2" }, models, activity), collections);

  getJson("/v1/admin/status")
    .then((status) => view.alive && fillCard(models, modelFacts(status)))
    .catch((e) => view.alive && fillCard(models, alertBox(messageOf(e))));

  getJson("/v1/collections")
    .then((body) => view.alive && fillCard(collections, collectionsTable(body.collections || [], false, null)))
    .catch((e) => view.alive && fillCard(collections, alertBox(messageOf(e))));

  const sample = async () => {
    try {
      const text = await (await request("/metrics", { accept: "text/plain" })).text();
      metricSamples.push({ at: Date.now(), values: parseMetrics(text) });
      while (metricSamples.length > 2) metricSamples.shift();
      if (view.alive) fillCard(activity, rateTiles());
    } catch (e) {
      if (view.alive) fillCard(activity, alertBox(messageOf(e)));
    }
  };
  sample();
  view.every(10000, sample);
}

function modelFacts(status) {
  const facts = (rows) => h("dl", { class: "facts" }, rows.filter(Boolean).map(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
  const models = (status && status.models) || [];
  const blocks = models.map((m) => {
    const rows = [[t("model.name"), h("span", { class: "mono" }, m.name || "—")]];
    if (m.revision) rows.push([t("model.revision"), h("code", { title: m.revision }, String(m.revision).slice(0, 12))]);
    if (m.detail) rows.push([t("model.detail"), m.detail]);
    if (m.kind) rows.push([t("model.kind"), m.kind]);
    if (typeof m.loaded === "boolean") rows.push([t("model.loaded"), m.loaded ? t("yes") : t("no")]);
    if (m.role === "generator" || m.endpoint !== undefined) rows.push([t("model.endpoint"), h("span", { class: "mono" }, m.endpoint || "—")]);
    if (m.reachable !== undefined && m.reachable !== null) {
      rows.push([
        t("model.reachable"),
        m.reachable
          ? h("span", { class: "ok" }, `✓ ${t("yes")}`)
          : h("span", { class: "bad" }, `✗ ${t("no")}${m.error ? ` — ${m.error}` : ""}`),
      ]);
    }
    const label = t(`model.role.${m.role}`);
    return h("div", { class: "model" }, h("h3", null, label.startsWith("model.role.") ? m.role : label), facts(rows));
  });
  return [
    h("p", { class: "muted" }, t("version", { version: (status && status.version) || "?" })),
    blocks.length ? h("div", { class: "models" }, blocks) : h("p", { class: "empty" }, t("noModels")),
  ];
}

function rateTiles() {
  const [older, newer] = metricSamples.length === 2 ? metricSamples : [null, metricSamples[metricSamples.length - 1]];
  const minutes = older ? (newer.at - older.at) / 60000 : 0;
  const tiles = RATE_METRICS.map(([name, label]) => {
    const total = newer.values[name];
    let rate = t("rate.measuring");
    if (older && minutes > 0 && typeof total === "number" && typeof older.values[name] === "number") {
      rate = t("rate.perMinute", { n: fmtNumber(Math.max(0, total - older.values[name]) / minutes, 1) });
    }
    return h("div", { class: "tile" }, h("div", { class: "tile-label" }, t(label)), h("div", { class: "tile-value" }, fmtNumber(total)), h("div", { class: "tile-rate" }, rate));
  });
  return [h("div", { class: "tiles" }, tiles), h("p", { class: "muted small" }, t("rate.note"))];
}

/// The collections table; with `onDelete`, a delete button per row.
function collectionsTable(collections, full, onDelete) {
  const columns = [
    { label: t("col.name"), rowHeader: true, cell: (c) => h("a", { href: collectionHref(c.name) }, c.name) },
    { label: t("col.documents"), class: "num", cell: (c) => fmtNumber(c.documents) },
    { label: t("col.chunks"), class: "num", cell: (c) => fmtNumber(c.chunks) },
    { label: t("col.domains"), cell: (c) => domainCounts(c.domains) },
    { label: t("col.disk"), class: "num", cell: (c) => fmtBytes(c.disk_bytes) },
  ];
  if (full) {
    columns.push({ label: t("col.analyzer"), cell: (c) => c.analyzer || "—" });
    columns.push({ label: t("col.embedder"), cell: (c) => h("span", { class: "mono" }, (c.embedder && c.embedder.model) || "—") });
  }
  if (onDelete) {
    columns.push({
      label: t("col.actions"),
      cell: (c) => button(t("delete"), () => onDelete(c), { class: "danger small", "aria-label": t("deleteNamed", { name: c.name }) }),
    });
  }
  return table(t("page.collections"), columns, collections, { empty: t("noCollections") });
}

// ---- Collections ----

function renderCollections(main, view) {
  pageTitle(main, t("page.collections"));
  const status = statusLine();
  const list = h("div", null, loadingLine());
  const confirmSlot = h("div");

  const load = () => loadInto(list, view, "/v1/collections", (body) => collectionsTable(body.collections || [], true, isAdmin() ? askDelete : null));

  const askDelete = (collection) => {
    const input = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
    const go = h("button", { type: "submit", class: "danger", disabled: true }, t("deleteCollection"));
    const slot = h("div");
    input.addEventListener("input", () => (go.disabled = input.value !== collection.name));
    const panel = h(
      "section",
      { class: "card danger-zone", "aria-labelledby": "delete-title" },
      h("h2", { id: "delete-title" }, t("deleteTitle", { name: collection.name })),
      h("p", null, t("deleteWarning", { name: collection.name, documents: fmtNumber(collection.documents) })),
      h(
        "form",
        {
          class: "row",
          onsubmit: async (e) => {
            e.preventDefault();
            if (input.value !== collection.name) return;
            go.disabled = true;
            try {
              await del(`/v1/collections/${seg(collection.name)}`);
              confirmSlot.replaceChildren();
              status.set(t("collectionDeleted", { name: collection.name }), "ok");
              load();
            } catch (err) {
              slot.replaceChildren(alertBox(messageOf(err)));
              go.disabled = false;
            }
          },
        },
        field(t("typeToConfirm"), input, t("typeToConfirmHint", { name: collection.name })),
        go,
        button(t("cancel"), () => confirmSlot.replaceChildren()),
      ),
      slot,
    );
    confirmSlot.replaceChildren(panel);
    input.focus();
  };

  if (isAdmin()) {
    const name = h("input", { type: "text", required: true, autocomplete: "off", spellcheck: "false", pattern: "[A-Za-z0-9_\\-]{1,64}", maxlength: 64 });
    const create = h(
      "form",
      {
        class: "row",
        onsubmit: async (e) => {
          e.preventDefault();
          const wanted = name.value.trim();
          if (!wanted) return;
          status.set(t("working"));
          try {
            const made = await postJson("/v1/collections", { name: wanted });
            status.set(t(made && made.created === false ? "collectionExists" : "collectionCreated", { name: wanted }), "ok");
            name.value = "";
            load();
          } catch (err) {
            status.set("");
            main.querySelector(".create-error")?.remove();
            create.after(h("div", { class: "create-error" }, alertBox(messageOf(err))));
          }
        },
      },
      field(t("newCollectionName"), name, t("newCollectionHint")),
      h("button", { type: "submit", class: "primary" }, t("createCollection")),
    );
    main.append(card(t("newCollection"), create));
  }
  main.append(status, confirmSlot, list);
  load();
}

// ---- One collection's documents ----

const PAGE_SIZE = 50;

function renderDocuments(main, view, { args }) {
  const collection = args[0];
  main.append(h("p", { class: "crumbs" }, h("a", { href: "#/collections" }, `← ${t("page.collections")}`)));
  pageTitle(main, t("documentsOf", { name: collection }));

  const filters = { contains: "", domain: "", source: "", group: "", format: "" };
  let offset = 0;
  const results = h("div", { class: "results-area" }, loadingLine());
  const status = statusLine();

  const contains = h("input", { type: "search", autocomplete: "off" });
  const domain = select([{ value: "", label: t("all") }, ...DOMAINS.map((d) => ({ value: d, label: domainName(d) }))]);
  const source = select([{ value: "", label: t("allSources") }]);
  const group = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  const format = h("input", { type: "text", autocomplete: "off", spellcheck: "false", size: 6 });
  const failed = h("input", { type: "checkbox" });

  getJson("/v1/sources")
    .then((body) => {
      for (const s of (body.sources || []).filter((x) => x.collection === collection)) source.append(h("option", { value: s.name }, s.name));
    })
    .catch(() => {
      // No sources to offer: the filter keeps "all".
    });

  const load = async () => {
    results.setAttribute("aria-busy", "true");
    try {
      if (failed.checked) {
        const body = await getJson(`/v1/collections/${seg(collection)}/failures`);
        if (!view.alive) return;
        const list = body.failures || [];
        status.set(t("failuresCount", { n: fmtNumber(list.length) }));
        results.replaceChildren(
          table(
            t("failedFiles"),
            [
              { label: t("col.file"), rowHeader: true, cell: (f) => h("span", { class: "mono wrap" }, f.source) },
              { label: t("col.error"), cell: (f) => f.error },
              { label: t("col.when"), cell: (f) => fmtTime(f.at) },
            ],
            list,
            { empty: t("noFailures") },
          ),
        );
        return;
      }
      const page = await getJson(`/v1/collections/${seg(collection)}/documents${queryString({ ...filters, offset, limit: PAGE_SIZE })}`);
      if (!view.alive) return;
      const docs = page.documents || [];
      const total = page.total || 0;
      status.set(total ? t("docsRange", { from: fmtNumber(offset + 1), to: fmtNumber(offset + docs.length), total: fmtNumber(total) }) : "");
      const filtered = Object.values(filters).some(Boolean);
      put(results, documentsTable(collection, docs, filtered, () => load(), status), pager(total));
    } catch (e) {
      if (view.alive) results.replaceChildren(alertBox(messageOf(e)));
    } finally {
      results.removeAttribute("aria-busy");
    }
  };

  const pager = (total) => {
    if (total <= PAGE_SIZE) return null;
    const prev = button(t("previous"), () => {
      offset = Math.max(0, offset - PAGE_SIZE);
      load();
    }, { disabled: offset === 0 });
    const next = button(t("next"), () => {
      offset += PAGE_SIZE;
      load();
    }, { disabled: offset + PAGE_SIZE >= total });
    return h("div", { class: "pager" }, prev, next);
  };

  const form = h(
    "form",
    {
      role: "search",
      "aria-label": t("filters"),
      class: "filters",
      onsubmit: (e) => {
        e.preventDefault();
        Object.assign(filters, { contains: contains.value.trim(), domain: domain.value, source: source.value, group: group.value.trim(), format: format.value.trim().replace(/^\./, "") });
        offset = 0;
        load();
      },
    },
    field(t("filter.contains"), contains),
    field(t("filter.domain"), domain),
    field(t("filter.source"), source),
    field(t("filter.group"), group),
    field(t("filter.format"), format),
    h("button", { type: "submit" }, t("applyFilters")),
    check(t("filter.failed"), failed),
  );
  failed.addEventListener("change", () => {
    for (const el of [contains, domain, source, group, format]) el.disabled = failed.checked;
    load();
  });

  main.append(uploadCard(collection, view, () => !failed.checked && load()), card(t("documents"), form, status, results));
  load();
}

function documentsTable(collection, docs, filtered, reload, status) {
  const actions = (d) => {
    const cell = h("div", { class: "row-actions" });
    const ask = () => {
      const yes = button(t("confirmDelete"), async () => {
        yes.disabled = true;
        try {
          await del(`/v1/collections/${seg(collection)}/documents/${seg(d.id)}`);
          status.set(t("documentDeleted", { name: d.title || d.id }), "ok");
          reload();
        } catch (e) {
          cell.replaceChildren(alertBox(messageOf(e)), idle());
        }
      }, { class: "danger small" });
      cell.replaceChildren(h("span", null, t("deleteQuestion")), " ", yes, " ", button(t("cancel"), () => cell.replaceChildren(idle()), { class: "small" }));
      yes.focus();
    };
    const idle = () => button(t("delete"), ask, { class: "small", "aria-label": t("deleteNamed", { name: d.title || d.id }) });
    cell.append(idle());
    return cell;
  };
  return table(
    t("documents"),
    [
      { label: t("col.title"), rowHeader: true, cell: (d) => h("a", { href: documentHref(collection, d.id) }, d.title || d.id) },
      { label: t("col.source"), cell: (d) => h("span", { class: "mono wrap" }, d.source) },
      { label: t("col.chunks"), class: "num", cell: (d) => fmtNumber(d.chunks) },
      { label: t("col.acl"), cell: (d) => (d.acl || []).join(", ") || "—" },
      { label: t("col.domain"), cell: (d) => (d.domain ? domainName(d.domain) : "—") },
      { label: t("col.actions"), cell: actions },
    ],
    docs,
    { empty: filtered ? t("noMatches") : t("noDocuments") },
  );
}

// ---- One document ----

/// The heading path a chunk sits under, without a first heading that is
/// the title (shown apart), as the server's citations show it.
function sectionLabel(chunk) {
  const path = chunk.heading_path || [];
  const rest = path[0] === chunk.title ? path.slice(1) : path;
  return rest.join(" > ");
}

function renderDocument(main, view, { args }) {
  const [collection, id] = args;
  main.append(h("p", { class: "crumbs" }, h("a", { href: collectionHref(collection) }, `← ${t("documentsOf", { name: collection })}`)));
  const heading = pageTitle(main, id);
  const body = h("div", null, loadingLine());
  main.append(body);
  const path = `/v1/collections/${seg(collection)}/documents/${seg(id)}`;
  loadInto(body, view, path, (doc) => {
    heading.textContent = doc.title || doc.id;
    document.title = `${heading.textContent} · ${t("brand")}`;
    return documentView(collection, doc, path, view);
  });
}

function documentView(collection, doc, path, view) {
  // The listing's chunk count and the chunks themselves share the name
  // `chunks` in the document's JSON; the list is what arrives.
  const chunks = Array.isArray(doc.chunks) ? doc.chunks : [];
  const facts = h(
    "dl",
    { class: "facts" },
    [
      [t("col.id"), h("span", { class: "mono wrap" }, doc.id)],
      [t("col.collection"), collection],
      [t("col.source"), h("span", { class: "mono wrap" }, doc.source)],
      [t("col.acl"), (doc.acl || []).join(", ") || "—"],
      [t("col.domain"), doc.domain ? domainName(doc.domain) : "—"],
      [t("col.chunks"), fmtNumber(chunks.length)],
    ].map(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
  );
  const fileStatus = statusLine();
  const saved = h("span");
  const open = button(t("openOriginal"), async () => {
    open.disabled = true;
    fileStatus.set(t("downloading"));
    try {
      const response = await request(`${path}/file`, { accept: "*/*" });
      const blob = await response.blob();
      const name = dispositionName(response) || String(doc.source).split(/[\\/]/).pop() || "document";
      const url = URL.createObjectURL(blob);
      view.onLeave(() => URL.revokeObjectURL(url));
      const link = h("a", { href: url, download: name, class: "button" }, t("saveFile", { name }));
      saved.replaceChildren(link);
      fileStatus.set(t("downloaded", { name }), "ok");
      link.click();
    } catch (e) {
      fileStatus.set(messageOf(e), "error");
    } finally {
      open.disabled = false;
    }
  }, { class: "primary" });

  const sections = [];
  for (const chunk of chunks) {
    const label = sectionLabel(chunk);
    const last = sections[sections.length - 1];
    if (last && last.label === label) last.chunks.push(chunk);
    else sections.push({ label, chunks: [chunk] });
  }
  const toggleAll = (openAll) => () => {
    for (const d of document.querySelectorAll("details.chunk")) d.open = openAll;
  };
  return [
    card(t("aboutDocument"), facts, h("div", { class: "row" }, open, saved), fileStatus),
    h(
      "div",
      { class: "row section-tools" },
      h("h2", { class: "inline" }, t("sectionsAndChunks", { n: fmtNumber(chunks.length) })),
      button(t("expandAll"), toggleAll(true), { class: "small" }),
      button(t("collapseAll"), toggleAll(false), { class: "small" }),
    ),
    sections.length ? sections.map((sec) => h("section", { class: "doc-section" }, h("h3", null, sec.label || t("noHeading")), sec.chunks.map(chunkDetails))) : h("p", { class: "empty" }, t("noChunks")),
  ];
}

function chunkDetails(chunk) {
  const where = chunk.locator || (chunk.page ? t("pageN", { n: chunk.page }) : "");
  const preview = String(chunk.text || "").replace(/\s+/g, " ").slice(0, 90);
  const ids = chunk.identifiers || {};
  const list = (xs) => (xs && xs.length ? xs.join(", ") : "—");
  return h(
    "details",
    { class: "chunk" },
    h("summary", null, h("span", { class: "chunk-no" }, t("chunkN", { n: chunk.ordinal })), where ? h("span", { class: "muted" }, ` · ${where}`) : null, h("span", { class: "preview" }, ` ${preview}`)),
    h(
      "div",
      { class: "chunk-body" },
      h(
        "dl",
        { class: "facts" },
        [
          [t("chunk.id"), h("span", { class: "mono wrap" }, chunk.id)],
          [t("chunk.headings"), (chunk.heading_path || []).join(" > ") || "—"],
          [t("chunk.locator"), where || "—"],
          [t("col.acl"), list(chunk.acl)],
          [t("chunk.idsOwn"), list(ids.own)],
          [t("chunk.idsDocument"), list(ids.from_document)],
        ].map(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
      ),
      h("h4", null, t("chunk.bm25")),
      h("pre", { class: "indexed" }, chunk.bm25_text || ""),
      h("h4", null, t("chunk.embedded")),
      h("pre", { class: "indexed" }, chunk.embedded_text || ""),
    ),
  );
}
