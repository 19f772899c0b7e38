// The operator console in real headless Chromium against a real Seogo server:
//   node console.test.mjs BASE_URL ADMIN_KEY INGEST_KEY QUERY_KEY OUT_DIR FILES_DIR
// FILES_DIR holds good-1.md, good-2.txt, broken.pdf (not a PDF inside) and
// eval-small.json (a small SQuAD-format set). The server has a source named
// `manuals` (collection `synced`), the fixture's `default` collection and a
// thumbs-down feedback whose question mentions 냉각수. Steps run in order on
// one page under the console's real Content-Security-Policy, as an operator
// would use it; the first failure ends the run with a non-zero exit. axe-core
// runs last, in a context of its own that bypasses the CSP (it is injected).

import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { launch, Run } from "./run.mjs";

const [base, adminKey, ingestKey, queryKey, outDir, filesDir] = process.argv.slice(2);
if (!base || !adminKey || !ingestKey || !queryKey || !outDir || !filesDir) {
  throw new Error("usage: console.test.mjs BASE_URL ADMIN_KEY INGEST_KEY QUERY_KEY OUT_DIR FILES_DIR");
}
mkdirSync(outDir, { recursive: true });
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const origin = new URL(base).origin;
const consoleUrl = `${base}/console`;
const TOKEN_KEY = "seogo.console.token";
const COLLECTION = "console-test";
const QUERY = "냉각수 펌프 점검 주기";
const EVAL_MS = 300_000;
const JOB_MS = 300_000;

const browser = await launch();
const run = new Run(outDir);

// Everything the pages requested, and every console error or page error
// (a CSP violation is a console error): checked after each step.
const requests = [];
const problems = [];

function watch(page, label) {
  page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), page: label }));
  page.on("console", (m) => {
    // The browser's own favicon request is not the console's.
    const where = (m.location() && m.location().url) || "";
    if (m.type() === "error" && !/favicon\.ico/.test(where + m.text())) problems.push(`${label}: console error: ${m.text()} (${where})`);
  });
  page.on("pageerror", (e) => problems.push(`${label}: page error: ${e}`));
}

function offOrigin() {
  return requests.filter(({ url }) => !url.startsWith("blob:") && !url.startsWith("data:") && new URL(url).origin !== origin).map((r) => r.url);
}

// Each step also fails on a console error, a page error, a CSP violation
// or a request to another origin it caused.
async function step(name, body) {
  const problemsBefore = problems.length;
  return run.step(name, async () => {
    const detail = await body();
    assert.deepEqual(problems.slice(problemsBefore), [], "console errors, page errors or CSP violations");
    assert.deepEqual(offOrigin(), [], "requests to another origin");
    return detail;
  });
}

const shot = (page, file) => page.screenshot({ path: join(outDir, file), fullPage: false });
const navigation = (page, name = "Console pages") => page.getByRole("navigation", { name });
const navTo = async (page, label) => {
  await navigation(page).getByRole("link", { name: label, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: label, exact: true }).waitFor();
};
/// The page has drawn what it loads: nothing loading or busy.
const settled = (page) =>
  page.waitForFunction(() => !document.querySelector("main .loading, main [aria-busy='true']"), null, { timeout: 60_000 });
const storedToken = (page) => page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY);
const whoami = (key) => fetch(`${base}/v1/whoami`, { headers: { Authorization: `Bearer ${key}` } });

async function signInWith(page, key) {
  await page.getByLabel("API key or token", { exact: true }).fill(key);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

async function axeCheck(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (serious.length) console.error(JSON.stringify(serious, null, 2));
  assert.deepEqual(
    serious.map((v) => `${v.id} (${v.impact}): ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `axe (${label})`,
  );
  return result.violations.map((v) => `${v.id} (${v.impact})`);
}

let keyId = null;
let runId = null;

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  const page = await context.newPage();
  watch(page, "main");

  await step("a query key is refused at sign-in, and nothing is stored", async () => {
    await page.goto(consoleUrl);
    await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
    await signInWith(page, queryKey);
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await alert.textContent(), /can only ask questions; the console needs an ingest or admin key/);
    assert.equal(await storedToken(page), null);
    assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0);
  });

  await step("the admin key signs in; the overview shows models and collections", async () => {
    await signInWith(page, adminKey);
    await page.waitForURL(/#\/overview$/);
    await page.getByRole("heading", { level: 1, name: "Overview", exact: true }).waitFor();
    assert.equal(await storedToken(page), adminKey);
    assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing in localStorage");
    assert.equal(await page.evaluate(() => document.cookie), "", "no cookies");
    const who = await page.locator("header .who").textContent();
    assert.match(who, /admin/);
    const nav = navigation(page);
    for (const label of ["Overview", "Collections", "Search playground", "Sources", "Keys", "Feedback", "Audit log", "Evaluation"]) {
      assert.equal(await nav.getByRole("link", { name: label, exact: true }).count(), 1, `nav link ${label}`);
    }
    assert.equal(await nav.getByRole("link", { name: "Overview", exact: true }).getAttribute("aria-current"), "page");
    await page.locator(".model").first().waitFor();
    const models = await page.locator(".models").textContent();
    assert.match(models, /Embedder/);
    assert.match(models, /Generator/);
    await page.locator("main").getByRole("link", { name: "default", exact: true }).waitFor();
    await page.locator(".tile").first().waitFor();
    await settled(page);
    assert.equal(await page.locator("h1").count(), 1);
    await shot(page, "console-overview.png");
    return { models };
  });

  await step("a new collection takes an upload of three files: two indexed, the broken PDF refused by name", async () => {
    await navTo(page, "Collections");
    await page.getByLabel("Collection name", { exact: true }).fill(COLLECTION);
    await page.getByRole("button", { name: "Create collection", exact: true }).click();
    await page.getByText(`Collection ${COLLECTION} created.`).waitFor();
    await page.locator("main").getByRole("link", { name: COLLECTION, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: `Documents in ${COLLECTION}` }).waitFor();
    await page.getByText("No documents yet.").waitFor();
    await page.getByLabel("Choose files", { exact: true }).setInputFiles(["good-1.md", "good-2.txt", "broken.pdf"].map((f) => join(filesDir, f)));
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll("li.upload")];
        return rows.length === 3 && rows.every((r) => r.dataset.state === "done" || r.dataset.state === "error");
      },
      null,
      { timeout: JOB_MS },
    );
    const rows = await page.$$eval("li.upload", (els) => els.map((e) => ({ file: e.dataset.file, state: e.dataset.state, text: e.textContent })));
    const row = (name) => rows.find((r) => r.file === name);
    assert.equal(row("broken.pdf").state, "error", JSON.stringify(rows));
    assert.match(row("broken.pdf").text, /broken\.pdf/);
    assert.match(row("broken.pdf").text, /Failed: \S/);
    for (const good of ["good-1.md", "good-2.txt"]) {
      assert.equal(row(good).state, "done", JSON.stringify(rows));
      const chunks = Number((row(good).text.match(/Indexed \((\d+) chunks?\)/) || [])[1]);
      assert.ok(chunks >= 1, `${good}: ${row(good).text}`);
    }
    await page.getByText(/Uploads finished: 2 indexed, 1 failed/).waitFor();
    await page.waitForFunction(() => document.querySelectorAll("main table tbody tr").length === 2, null, { timeout: 30_000 });
    await shot(page, "console-upload.png");
    return { rows };
  });

  await step("a document shows its chunks as indexed: the BM25 and embedder texts", async () => {
    await page.locator("main table tbody tr th a").first().click();
    await page.waitForURL(/#\/documents\/console-test\//);
    const chunk = page.locator("details.chunk").first();
    await chunk.waitFor();
    assert.equal(await chunk.evaluate((d) => d.open), false);
    await chunk.locator("summary").click();
    assert.equal(await chunk.evaluate((d) => d.open), true);
    await chunk.getByRole("heading", { name: "Text given to BM25", exact: true }).waitFor();
    await chunk.getByRole("heading", { name: "Text given to the embedder", exact: true }).waitFor();
    const [bm25, embedded] = await chunk.locator("pre.indexed").allTextContents();
    assert.ok(bm25.trim().length > 0 && embedded.trim().length > 0, "empty indexed texts");
    assert.ok(embedded.length >= bm25.length, "the embedder's text is the BM25 text with its prefix");
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Open original", exact: true }).click();
    const file = await download;
    assert.match(file.suggestedFilename(), /^good-[12]\.(md|txt)$/);
    await shot(page, "console-document.png");
    return { original: file.suggestedFilename() };
  });

  await step("the search playground runs BM25, dense and hybrid side by side, terms marked", async () => {
    await navTo(page, "Search playground");
    await page.getByLabel("Query", { exact: true }).fill(QUERY);
    await page.waitForFunction(() => [...document.querySelectorAll("main select option")].some((o) => o.value === "default"));
    await page.getByLabel("Collection", { exact: true }).selectOption("default");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    const counts = {};
    for (const mode of ["bm25", "dense", "hybrid"]) {
      const lane = page.locator(`section.lane[data-mode="${mode}"]`);
      await lane.locator("li.result").first().waitFor({ timeout: 60_000 });
      counts[mode] = { results: await lane.locator("li.result").count(), marks: await lane.locator("mark").count() };
      assert.ok(counts[mode].results >= 1, `${mode}: no results`);
      assert.ok(counts[mode].marks >= 1, `${mode}: no highlighted term`);
    }
    const boxes = await Promise.all(["bm25", "dense", "hybrid"].map((m) => page.locator(`section.lane[data-mode="${m}"]`).boundingBox()));
    assert.ok(boxes[0].x < boxes[1].x && boxes[1].x < boxes[2].x, "the three lanes are side by side at 1280 px");
    assert.match(page.url(), /#\/search\?q=/);
    await shot(page, "console-search.png");
    return { counts };
  });

  await step("sources: syncing `manuals` shows its progress, then the result", async () => {
    await navTo(page, "Sources");
    await page.locator("main table").waitFor();
    await page.getByRole("button", { name: "Sync now: manuals", exact: true }).click();
    const panel = page.locator('section.sync[data-source="manuals"]');
    await panel.waitFor();
    assert.equal(await panel.locator("progress").count(), 1, "no progress bar");
    const states = new Set();
    const deadline = Date.now() + JOB_MS;
    for (;;) {
      const state = await panel.getAttribute("data-state");
      states.add(state);
      if (state === "done" || state === "failed") break;
      assert.ok(Date.now() < deadline, "the sync did not finish in time");
      await page.waitForTimeout(50);
    }
    assert.equal(await panel.getAttribute("data-state"), "done", await panel.textContent());
    assert.match(await panel.textContent(), /Done: \d+ added, \d+ updated, \d+ removed/);
    await page.waitForTimeout(300); // the table refreshes after the sync
    await shot(page, "console-sources.png");
    return { states: [...states] };
  });

  await step("keys: a new query key's secret is shown once; revoked, the server refuses it", async () => {
    await navTo(page, "Keys");
    await page.locator("main table").waitFor();
    await page.getByLabel("Name", { exact: true }).fill("console test key");
    await page.getByLabel("Role", { exact: true }).selectOption("query");
    await page.getByRole("button", { name: "Create key", exact: true }).click();
    const secretField = page.getByLabel("Secret", { exact: true });
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    keyId = await page.locator("section.secret").getAttribute("data-key-id");
    assert.ok(secret.length > 10 && keyId, "no secret or key id on the page");
    assert.match(await page.locator("section.secret").textContent(), /will not be shown again/);
    await page.getByRole("button", { name: "Copy", exact: true }).click();
    await page.getByText(/^(Copied\.|The secret is selected)/).waitFor();
    assert.equal((await whoami(secret)).status, 200, "the new key works");
    await page.locator(`tr[data-key-id="${keyId}"]`).waitFor();
    await shot(page, "console-keys.png");
    await page.getByRole("button", { name: `Revoke ${keyId}`, exact: true }).click();
    await page.getByRole("button", { name: "Yes, revoke", exact: true }).click();
    await page.getByText(`Key ${keyId} revoked.`).waitFor();
    await page.locator(`tr[data-key-id="${keyId}"]`).waitFor({ state: "detached" });
    assert.equal((await whoami(secret)).status, 401, "the revoked key still works");
    return { key: keyId };
  });

  await step("feedback: thumbs-down first, with the question and a link to the playground", async () => {
    await navTo(page, "Feedback");
    await settled(page);
    const down = page.locator('li.feedback[data-rating="down"]').filter({ hasText: "냉각수" });
    await down.first().waitFor();
    assert.equal(await page.locator("li.feedback").first().getAttribute("data-rating"), "down");
    const link = down.first().getByRole("link", { name: "Open in search playground", exact: true });
    assert.match(await link.getAttribute("href"), /^#\/search\?q=.+&collection=/);
    await shot(page, "console-feedback.png");
  });

  await step("audit: the key's creation and revocation are in the log", async () => {
    await navTo(page, "Audit log");
    await settled(page);
    const search = async (fill) => {
      const answered = page.waitForResponse((r) => r.url().includes("/v1/admin/audit?"));
      await fill();
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await answered;
      await settled(page);
    };
    await search(() => page.getByLabel("Route", { exact: true }).fill("/v1/admin/keys"));
    // The route finds the routes under it: the revocation's too.
    const routes = await page.$$eval("main tbody tr", (rows) => rows.map((r) => r.dataset.route));
    assert.ok(routes.length >= 2 && routes.every((r) => r === "/v1/admin/keys" || r === "/v1/admin/keys/{id}"), `routes: ${routes}`);
    await page.locator('main tbody tr[data-route="/v1/admin/keys"]').filter({ hasText: keyId }).first().waitFor();
    await page.locator('main tbody tr[data-route="/v1/admin/keys/{id}"]').filter({ hasText: keyId }).first().waitFor();
    // By text: both lines name the key.
    await search(async () => {
      await page.getByLabel("Route", { exact: true }).fill("");
      await page.getByLabel("Text", { exact: true }).fill(keyId);
    });
    await page.locator('main tbody tr[data-route="/v1/admin/keys"]').filter({ hasText: keyId }).first().waitFor();
    await page.locator('main tbody tr[data-route="/v1/admin/keys/{id}"]').filter({ hasText: keyId }).first().waitFor();
    await shot(page, "console-audit.png");
  });

  await step("evaluation: an uploaded SQuAD set runs twice (BM25, hybrid), charted beside the earlier run; the earlier run is deleted", async () => {
    await navTo(page, "Evaluation");
    const run = async () => {
      await page.getByRole("button", { name: "Run evaluation", exact: true }).waitFor();
      await page.getByLabel("Kind", { exact: true }).selectOption("retrieval");
      const modes = page.getByRole("group", { name: "Modes" });
      await modes.getByLabel("BM25", { exact: true }).check();
      await modes.getByLabel("Dense", { exact: true }).uncheck();
      await modes.getByLabel("Hybrid", { exact: true }).check();
      await modes.getByLabel("Rerank", { exact: true }).uncheck();
      await page.getByLabel("Upload files", { exact: true }).check();
      await page.getByLabel("Files", { exact: true }).setInputFiles(join(filesDir, "eval-small.json"));
      const posted = page.waitForResponse((r) => new URL(r.url()).pathname === "/v1/admin/eval" && r.request().method() === "POST");
      await page.getByRole("button", { name: "Run evaluation", exact: true }).click();
      const response = await posted;
      assert.equal(response.status(), 202, await response.text());
      const id = (await response.json()).run_id;
      const chart = page.locator(`section[data-run-id="${id}"] svg[role="img"]`).first();
      const failure = page.getByText(/The evaluation failed/);
      await chart.or(failure).waitFor({ timeout: EVAL_MS });
      assert.equal(await failure.count(), 0, await page.locator("main").textContent());
      return { id, chart };
    };
    const first = await run();
    const second = await run();
    runId = second.id;
    const label = await second.chart.getAttribute("aria-label");
    assert.match(label, /bm25 \d\.\d{3}/);
    assert.match(label, /hybrid \d\.\d{3}/);
    assert.equal(await second.chart.locator("title").count(), 1);
    // The earlier run of the same set is charted beside this one.
    await page.locator(`section[data-run-id="${runId}"] svg[role="img"]`).nth(1).waitFor();
    await page.locator(`section[data-run-id="${runId}"] table`).waitFor();
    await settled(page);
    await second.chart.scrollIntoViewIfNeeded();
    await shot(page, "console-eval.png");

    // History is newest first: the last Delete is the first run's.
    const history = page.getByRole("group", { name: "Runs", exact: true }).locator("tbody tr");
    assert.equal(await history.count(), 2);
    await page.getByRole("button", { name: /^Delete the run of / }).last().click();
    const deleted = page.waitForResponse((r) => new URL(r.url()).pathname === `/v1/admin/eval/${first.id}` && r.request().method() === "DELETE");
    await page.getByRole("button", { name: "Yes, delete", exact: true }).click();
    assert.equal((await deleted).status(), 200);
    await page.waitForFunction(() => document.querySelectorAll('[aria-label="Runs"] tbody tr').length === 1);
    return { runs: [first.id, runId], chart: label };
  });

  await step("the test collection is deleted through the typed confirmation", async () => {
    await navTo(page, "Collections");
    await page.getByRole("button", { name: `Delete ${COLLECTION}`, exact: true }).click();
    const confirm = page.getByLabel("Type the collection name to confirm", { exact: true });
    const remove = page.getByRole("button", { name: "Delete collection", exact: true });
    await confirm.waitFor();
    assert.equal(await remove.isDisabled(), true);
    await confirm.fill(COLLECTION.slice(0, -1));
    assert.equal(await remove.isDisabled(), true, "enabled before the name matched");
    await confirm.fill(COLLECTION);
    assert.equal(await remove.isEnabled(), true);
    await remove.click();
    await page.getByText(`Collection ${COLLECTION} deleted.`).waitFor();
    await page.locator("main").getByRole("link", { name: COLLECTION, exact: true }).waitFor({ state: "detached" });
  });

  await step("signed out, then in with the ingest key: no admin pages, no admin calls", async () => {
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.getByLabel("API key or token", { exact: true }).waitFor();
    assert.equal(await storedToken(page), null);
    const from = requests.length;
    await signInWith(page, ingestKey);
    await page.getByRole("heading", { level: 1, name: "Overview", exact: true }).waitFor();
    assert.match(await page.locator("header .who").textContent(), /ingest/);
    const nav = navigation(page);
    for (const label of ["Keys", "Feedback", "Audit log", "Evaluation"]) {
      assert.equal(await nav.getByRole("link", { name: label, exact: true }).count(), 0, `ingest sees ${label}`);
    }
    assert.equal(await nav.getByRole("link", { name: "Collections", exact: true }).count(), 1);
    await page.evaluate(() => (location.hash = "#/keys"));
    await page.getByText("This page needs an admin key").waitFor();
    await page.evaluate(() => (location.hash = "#/eval"));
    await page.getByText("This page needs an admin key").waitFor();
    await settled(page);
    const adminCalls = requests.slice(from).filter(({ url }) => /\/v1\/admin\/(?!status)/.test(new URL(url).pathname));
    assert.deepEqual(adminCalls, [], "the console called admin routes as ingest");
    const refused = await fetch(`${base}/v1/admin/keys`, { headers: { Authorization: `Bearer ${ingestKey}` } });
    assert.equal(refused.status, 403);
  });

  await step("Korean: a ko-KR browser gets Korean labels; a tablet gets no sideways scrolling", async () => {
    const ko = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "ko-KR" });
    await ko.addInitScript(([key, token]) => sessionStorage.setItem(key, token), [TOKEN_KEY, adminKey]);
    const p = await ko.newPage();
    watch(p, "ko");
    await p.goto(`${consoleUrl}#/overview`);
    const nav = navigation(p, "콘솔 메뉴");
    await nav.getByRole("link", { name: "개요", exact: true }).waitFor();
    const labels = await nav.getByRole("link").allTextContents();
    assert.equal(labels.length, 8);
    for (const label of labels) assert.match(label, /[\uAC00-\uD7A3]/, `not Korean: ${label}`);
    assert.equal(await p.evaluate(() => document.documentElement.lang), "ko");
    await p.getByRole("heading", { level: 1, name: "개요" }).waitFor();
    await p.locator(".model").first().waitFor();
    await settled(p);
    await shot(p, "console-ko.png");
    await p.setViewportSize({ width: 768, height: 1024 });
    const overflow = {};
    for (const route of ["overview", "collections", "collections/default", "search?q=%EB%83%89%EA%B0%81%EC%88%98&collection=default", "sources", "keys", "feedback", "audit", "eval"]) {
      await p.evaluate((r) => (location.hash = `#/${r}`), route);
      await p.locator("h1").waitFor();
      await settled(p);
      await p.waitForTimeout(200);
      const { scroll, inner } = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
      overflow[route] = scroll - inner;
      assert.ok(scroll <= inner, `#/${route} scrolls sideways at 768 px: ${scroll} > ${inner}`);
    }
    await p.evaluate(() => (location.hash = "#/collections/default"));
    await p.locator("main table").first().waitFor();
    await settled(p);
    await shot(p, "console-tablet.png");
    await ko.close();
    return { overflow };
  });

  await step("axe finds no serious or critical violation on any page", async () => {
    const axeContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US", bypassCSP: true });
    const p = await axeContext.newPage();
    const found = {};
    await p.goto(consoleUrl);
    await p.getByLabel("API key or token", { exact: true }).waitFor();
    found["sign-in"] = await axeCheck(p, "sign-in");
    await p.evaluate(([key, token]) => sessionStorage.setItem(key, token), [TOKEN_KEY, adminKey]);
    const visit = async (hash, ready) => {
      await p.evaluate((h) => (location.hash = h), hash);
      if (ready) await ready();
      await settled(p);
      await p.waitForTimeout(150);
      found[hash] = await axeCheck(p, hash);
    };
    // Only the fragment differs: a reload, so the page starts signed in.
    await p.evaluate(() => (location.hash = "#/overview"));
    await p.reload();
    await p.locator(".model").first().waitFor();
    await visit("#/overview", () => p.locator(".tile").first().waitFor());
    await visit("#/collections", () => p.locator("main table").waitFor());
    await visit("#/collections/default", () => p.locator("main table tbody tr").first().waitFor());
    const href = await p.locator("main table tbody tr th a").first().getAttribute("href");
    await visit(href, async () => {
      await p.locator("details.chunk summary").first().click();
    });
    await visit(`#/search?q=${encodeURIComponent(QUERY)}&collection=default`, () => p.locator('section.lane[data-mode="hybrid"] li.result').first().waitFor({ timeout: 60_000 }));
    await visit("#/sources", () => p.locator("main table").waitFor());
    await visit("#/keys", () => p.locator("main table").waitFor());
    await visit("#/feedback", () => p.locator("li.feedback").first().waitFor());
    await visit("#/audit", () => p.locator("main table").waitFor());
    await visit("#/eval", () => p.locator("main table").last().waitFor());
    await axeContext.close();
    return { minor_violations: found };
  });

  await step("nothing is requested from anywhere but the Seogo server", async () => {
    assert.deepEqual(offOrigin(), []);
    return { requests: requests.length };
  });
} catch (_) {
  // Reported by step().
} finally {
  await run.finish(browser);
}
