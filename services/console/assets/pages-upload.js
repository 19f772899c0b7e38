// Uploading into a collection: files or whole folders, dropped or picked.
// Each file is its own POST, so it has its own progress bar and fails on
// its own; then its ingest job is followed until the file is indexed or
// the server says why it could not read it.

const UPLOADS_AT_ONCE = 3;

/// Every file under a dropped entry (folders walked; hidden names, which
/// the server refuses, left out).
async function filesOfEntry(entry) {
  if (!entry || entry.name.startsWith(".")) return [];
  if (entry.isFile) return new Promise((resolve) => entry.file((f) => resolve([f]), () => resolve([])));
  if (!entry.isDirectory) return [];
  const reader = entry.createReader();
  const children = [];
  // readEntries hands out a folder in batches until one comes back empty.
  for (;;) {
    const batch = await new Promise((resolve) => reader.readEntries(resolve, () => resolve([])));
    if (batch.length === 0) break;
    children.push(...batch);
  }
  return (await Promise.all(children.map(filesOfEntry))).flat();
}

function uploadCard(collection, view, onAllDone) {
  const acl = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
  const files = h("input", { type: "file", multiple: true });
  const folder = h("input", { type: "file", multiple: true, webkitdirectory: true });
  const list = h("ul", { class: "uploads", "aria-label": t("uploads") });
  const summary = statusLine();
  const queue = [];
  let active = 0;
  let tally = { done: 0, failed: 0 };

  const row = (file) => {
    const name = file.webkitRelativePath || file.name;
    const bar = h("progress", { max: 100, value: 0, "aria-label": t("uploadProgress", { name }) });
    const state = h("span", { class: "upload-state" }, t("queued"));
    const li = h("li", { class: "upload", dataset: { state: "queued", file: file.name } }, h("span", { class: "fname mono wrap" }, name), bar, state);
    const set = (kind, text) => {
      li.dataset.state = kind;
      state.textContent = text;
    };
    return {
      file,
      li,
      bar,
      set,
      fail: (message) => {
        bar.max = 100;
        bar.value = 0;
        set("error", t("uploadFailed", { error: message }));
        return false;
      },
    };
  };

  const uploadOne = async (r) => {
    const percent = (f) => Math.round(f * 100);
    r.set("uploading", t("uploadingPct", { pct: 0 }));
    let accepted;
    try {
      accepted = await uploadFile(`/v1/collections/${seg(collection)}/documents`, r.file, splitList(acl.value).join(","), (f) => {
        r.bar.value = percent(f);
        r.set("uploading", t("uploadingPct", { pct: percent(f) }));
      });
    } catch (e) {
      return r.fail(messageOf(e));
    }
    r.bar.removeAttribute("value"); // indeterminate while it is indexed
    r.set("indexing", t("indexing"));
    let job;
    try {
      job = await pollJob(accepted.job_id, view.isAlive, (j) => {
        const p = j.progress;
        if (j.state === "running" && p && p.chunks_planned > 0) {
          r.bar.max = p.chunks_planned;
          r.bar.value = p.chunks_indexed || 0;
          r.set("indexing", t("indexingChunks", { indexed: p.chunks_indexed || 0, planned: p.chunks_planned }));
        }
      });
    } catch (e) {
      return r.fail(messageOf(e));
    }
    if (!job) return null; // the page was left
    if (job.state === "failed") return r.fail(job.error || t("failed"));
    const report = job.report || {};
    const failures = report.failures || [];
    if (failures.length) return r.fail(failures.map((f) => f.error).join("; "));
    const warnings = (report.warnings || []).length;
    const written = (report.added || 0) + (report.updated || 0);
    // Read without failing, yet nothing came of it: as good as failed.
    if (written === 0 && !report.unchanged) return r.fail((report.warnings || []).join("; ") || t("nothingIndexed"));
    r.bar.max = 100;
    r.bar.value = 100;
    let text = written === 0 && report.unchanged ? t("unchanged") : t(report.chunks_written === 1 ? "indexedChunk" : "indexedChunks", { n: fmtNumber(report.chunks_written || 0) });
    if (warnings) text += ` · ${t("warnings", { n: warnings })}`;
    r.set("done", text);
    return true;
  };

  const finished = () => {
    const text = t("uploadSummary", { done: tally.done, failed: tally.failed });
    summary.set(text, tally.failed ? "error" : "ok");
    tally = { done: 0, failed: 0 };
    if (view.alive) onAllDone();
  };

  const pump = () => {
    while (active < UPLOADS_AT_ONCE && queue.length) {
      const next = queue.shift();
      active += 1;
      uploadOne(next)
        .then((ok) => {
          if (ok === true) tally.done += 1;
          else if (ok === false) tally.failed += 1;
        })
        .finally(() => {
          active -= 1;
          if (!view.alive) return;
          if (active === 0 && queue.length === 0) finished();
          else pump();
        });
    }
  };

  const start = (picked) => {
    const rows = picked.filter((f) => !f.name.startsWith(".")).map(row);
    if (rows.length === 0) return;
    summary.set(t("uploadingN", { n: rows.length }));
    for (const r of rows) list.append(r.li);
    clear.hidden = false;
    queue.push(...rows);
    pump();
  };

  for (const input of [files, folder]) {
    input.addEventListener("change", () => {
      start([...input.files]);
      input.value = ""; // the same file can be chosen again
    });
  }

  const zone = h(
    "div",
    { class: "dropzone" },
    h("p", { class: "drop-hint" }, t("dropHere")),
    h("div", { class: "row" }, field(t("chooseFiles"), files), field(t("chooseFolder"), folder)),
  );
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    // The entries must be taken before the first await: the drop's data
    // is gone once the handler returns.
    const entries = [...(e.dataTransfer.items || [])].map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null)).filter(Boolean);
    const plain = [...(e.dataTransfer.files || [])];
    const picked = entries.length ? (await Promise.all(entries.map(filesOfEntry))).flat() : plain;
    start(picked);
  });

  const clear = button(t("clearFinished"), () => {
    for (const li of [...list.children]) if (li.dataset.state === "done" || li.dataset.state === "error") li.remove();
    summary.set("");
    clear.hidden = list.children.length === 0;
  }, { class: "small", hidden: true });

  return card(t("upload"), field(t("aclGroups"), acl, t("aclHint")), zone, summary, list, h("div", { class: "row" }, clear));
}
