// The chat widget in real headless Chromium against a real Seogo server:
//   node widget.test.mjs BASE_URL API_KEY OUT_DIR
// Run by tests/e2e/widget.rs, which starts the server and reads the audit
// log afterwards. Steps run in order on one page, as a person would use it;
// the first failure ends the run with a non-zero exit.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { launch, Run } from "./run.mjs";

// EXTRACT_BASE_URL: a server whose model always declines (its answers are
// the documents' own words, marked as extracts).
const [base, key, outDir, extractBase] = process.argv.slice(2);
if (!base || !key || !outDir || !extractBase) throw new Error("usage: widget.test.mjs BASE_URL API_KEY OUT_DIR EXTRACT_BASE_URL");
mkdirSync(outDir, { recursive: true });
const axeSource = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const demo = `${base}/demo?key=${encodeURIComponent(key)}`;

const QUESTION = "한빛정밀 창원공장 냉각수 펌프의 정기 점검 주기는 얼마인가요?";
const UNANSWERABLE = "화성 탐사 기지의 산소 발생기 필터 교체 주기는 얼마인가요?";
const GENERATION_MS = 300_000;

const browser = await launch();
const run = new Run(outDir);
const step = (name, body) => run.step(name, body);

// Shadow-piercing helpers (the widget's root is open, on purpose for tests).
const inWidget = (page, fn, arg) =>
  page.evaluate(
    ([source, arg]) => {
      const root = document.querySelector("seogo-widget").shadowRoot;
      return new Function("root", "arg", `return (${source})(root, arg);`)(root, arg);
    },
    [fn.toString(), arg],
  );
const focused = (page) =>
  inWidget(page, (root) => {
    const a = root.activeElement;
    if (document.activeElement !== root.host || !a) return { inPanel: false, what: document.activeElement && document.activeElement.tagName };
    return { inPanel: !!a.closest(".panel"), what: a.id || a.className || a.tagName };
  });
const lastReply = (page) =>
  inWidget(page, (root) => {
    const all = root.querySelectorAll(".msg.assistant");
    const m = all[all.length - 1];
    return m ? { state: m.dataset.state, text: m.querySelector(".body").textContent, cites: m.querySelectorAll(".cite").length, sources: m.querySelectorAll(".sources li").length, count: all.length } : null;
  });

/// Waits for the latest answer to finish, sampling its text meanwhile;
/// `sourcesFirst`: the sources were on screen before any of the answer's text.
async function waitForAnswer(page) {
  const lengths = new Set();
  let sourcesFirst = false;
  const deadline = Date.now() + GENERATION_MS;
  for (;;) {
    const reply = await lastReply(page);
    if (reply && reply.state !== "streaming") return { reply, lengths: [...lengths], sourcesFirst };
    if (reply && reply.text.length === 0 && reply.sources > 0) sourcesFirst = true;
    if (reply && reply.text.length > 0) lengths.add(reply.text.length);
    assert.ok(Date.now() < deadline, "no answer in time");
    await page.waitForTimeout(50);
  }
}

async function ask(page, question) {
  await page.locator("#seogo-input").fill(question);
  await page.locator("#seogo-input").press("Enter");
  return waitForAnswer(page);
}

async function axeCheck(page, label) {
  await page.addScriptTag({ path: axeSource });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `axe (${label})`,
  );
  return result.violations.length;
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "ko-KR", bypassCSP: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  const page = await context.newPage();
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("pageerror", (e) => {
    run.failed = true;
    console.error(`page error: ${e}`);
  });

  await step("the demo page embeds the widget with one script tag", async () => {
    await page.goto(demo);
    await page.locator(".launcher").waitFor();
    assert.equal(await page.locator("script[src='widget.js']").count(), 1);
    assert.equal(await page.locator("seogo-widget").count(), 1);
  });

  await step("keyboard only: Tab reaches the launcher, Enter opens, focus stays in the panel, Escape returns", async () => {
    await page.keyboard.press("Tab");
    assert.equal((await focused(page)).inPanel, false);
    assert.equal((await focused(page)).what, "launcher");
    await page.keyboard.press("Enter");
    await page.locator(".panel").waitFor();
    assert.equal(await page.locator(".launcher").getAttribute("aria-expanded"), "true");
    assert.equal((await focused(page)).what, "seogo-input");
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press("Tab");
      assert.ok((await focused(page)).inPanel, `Tab ${i + 1} left the panel`);
    }
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Shift+Tab");
      assert.ok((await focused(page)).inPanel, `Shift+Tab ${i + 1} left the panel`);
    }
    await page.keyboard.press("Escape");
    assert.equal(await page.locator(".panel").isHidden(), true);
    assert.equal((await focused(page)).what, "launcher");
    await page.keyboard.press("Enter");
    assert.equal((await focused(page)).what, "seogo-input");
    assert.equal(await page.locator(".panel").getAttribute("role"), "dialog");
    assert.equal(await page.locator(".log").getAttribute("role"), "log");
  });

  await step("Enter while composing Hangul does not send", async () => {
    const input = page.locator("#seogo-input");
    await input.fill("냉각수 펌");
    const sent = await inWidget(page, (root) => {
      const input = root.querySelector("#seogo-input");
      const fire = (type, init) => input.dispatchEvent(new (type.startsWith("key") ? KeyboardEvent : CompositionEvent)(type, { bubbles: true, composed: true, cancelable: true, ...init }));
      fire("compositionstart", { data: "" });
      fire("compositionupdate", { data: "프" });
      // Chromium: the Enter that commits the syllable arrives composing.
      fire("keydown", { key: "Enter", code: "Enter", keyCode: 229, isComposing: true });
      fire("compositionend", { data: "프" });
      // Safari: the commit's Enter arrives just after compositionend, keyCode 229.
      fire("keydown", { key: "Enter", code: "Enter", keyCode: 229 });
      return root.querySelectorAll(".msg.user").length;
    });
    assert.equal(sent, 0, "a composing Enter sent the question");
    assert.equal(await input.inputValue(), "냉각수 펌");
    await input.press("Shift+Enter");
    assert.equal(await inWidget(page, (root) => root.querySelectorAll(".msg.user").length), 0);
    await input.fill("");
  });

  let answer;
  await step("a Korean question shows its sources, streams tokens, then a cited answer", async () => {
    const { reply, lengths, sourcesFirst } = await ask(page, QUESTION);
    answer = reply;
    assert.equal(reply.state, "done", `answer: ${JSON.stringify(reply)}`);
    assert.ok(sourcesFirst, "the sources were not shown before the first token");
    assert.ok(lengths.length >= 3, `tokens did not stream: saw lengths ${lengths}`);
    assert.ok(reply.cites >= 1, "no citation marker");
    const announced = await inWidget(page, (root) => root.querySelector("[role=status]").textContent);
    await page.waitForTimeout(100);
    const later = await inWidget(page, (root) => root.querySelector("[role=status]").textContent);
    assert.match(announced + later, /답변이 도착했습니다/);
    await page.screenshot({ path: join(outDir, "widget-desktop.png") });
    return { streamed_lengths: lengths.length, answer: reply.text };
  });

  await step("a citation opens its source card with the quote highlighted", async () => {
    const cite = page.locator(".msg.assistant .cite").first();
    await cite.click();
    const card = page.locator(".card");
    await card.waitFor();
    const title = await card.locator("h3").textContent();
    const quote = await card.locator("blockquote").first().textContent();
    assert.ok((await card.locator("blockquote mark").count()) >= 1, "the quote is not highlighted");
    assert.ok(title.trim().length > 0, "card without a title");
    assert.ok(quote.trim().length > 5, "card without a quote");
    assert.equal((await focused(page)).what, "seogo-card-title");
    await page.screenshot({ path: join(outDir, "widget-source-card.png") });
    const popupPromise = context.waitForEvent("page");
    await card.locator("button.original").click();
    const popup = await popupPromise;
    await popup.waitForLoadState();
    assert.match(popup.url(), /^blob:/);
    const original = await popup.locator("body").textContent();
    assert.ok(original.length > 100, "the original file did not open");
    await popup.close();
    await page.keyboard.press("Escape");
    assert.equal(await card.isHidden(), true);
    assert.equal((await focused(page)).what, "cite");
    return { title, quote };
  });

  await step("copy puts the answer on the clipboard; a thumb is recorded", async () => {
    await page.locator(".msg.assistant button.copy").last().click();
    await page.waitForTimeout(200);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    // The answer as written (its [n] markers, a table's pipes), then its sources.
    const plain = (t) => t.replace(/[|>*[\]\s]/g, "");
    assert.ok(plain(copied).startsWith(plain(answer.text).slice(0, 8)), `clipboard: ${copied}`);
    assert.match(copied, /\n\[1\] \S/, `clipboard without its sources: ${copied}`);
    await page.locator(".msg.assistant button.rate.up").last().click();
    assert.equal(await page.locator(".msg.assistant button.rate.up").last().getAttribute("aria-pressed"), "true");
    await page.waitForTimeout(300);
  });

  await step("a question the documents do not answer is declined, distinctly", async () => {
    const { reply } = await ask(page, UNANSWERABLE);
    assert.equal(reply.state, "declined", `reply: ${JSON.stringify(reply)}`);
    const badge = await page.locator(".msg.declined .badge").first().textContent();
    assert.match(badge, /문서에서 답을 찾지 못했습니다/);
    assert.equal(reply.cites, 0, "a refusal cites nothing");
  });

  await step("a new chat starts empty; stop ends an answer mid-stream; retry answers again", async () => {
    await page.locator("header button.new").click();
    assert.equal(await inWidget(page, (root) => root.querySelectorAll(".msg").length), 0);
    assert.equal((await focused(page)).what, "seogo-input");
    await page.locator("#seogo-input").fill(QUESTION);
    await page.locator("#seogo-input").press("Enter");
    await page.locator("button.stop").waitFor();
    await page.locator("button.stop").click();
    const stopped = await lastReply(page);
    assert.equal(stopped.state, "stopped");
    assert.equal(await page.locator("button.stop").isHidden(), true);
    await page.locator(".msg.assistant button.retry").last().click();
    const { reply } = await waitForAnswer(page);
    assert.equal(reply.state, "done", `retried: ${JSON.stringify(reply)}`);
  });

  await step("axe finds no serious accessibility violation (open panel, source card)", async () => {
    const all = await axeCheck(page, "panel with answers");
    await page.locator(".msg.assistant .cite").first().click();
    const withCard = await axeCheck(page, "source card");
    await page.keyboard.press("Escape");
    return { minor_violations: all + withCard };
  });

  await step("the conversation survives navigation", async () => {
    const before = await inWidget(page, (root) => root.querySelectorAll(".msg").length);
    await page.goto(demo);
    await page.locator(".panel").waitFor();
    const after = await inWidget(page, (root) => root.querySelectorAll(".msg").length);
    assert.equal(after, before);
    assert.ok((await page.locator(".msg.assistant .cite").count()) >= 1, "citations lost");
  });

  await step("aggressive page CSS does not change the widget", async () => {
    const panel = page.locator(".panel");
    // Inside the rounded corners: they show the page behind, which changes.
    const inner = async () => {
      const box = await panel.boundingBox();
      const shot = await page.screenshot({ clip: { x: box.x + 16, y: box.y + 16, width: box.width - 32, height: box.height - 32 } });
      return { shot, size: [box.width, box.height] };
    };
    const { shot: before, size: sizeBefore } = await inner();
    const launcherBefore = await page.locator(".launcher").boundingBox();
    await page.addStyleTag({
      content: `*, *::before, *::after { font-family: "Comic Sans MS", serif !important; font-size: 22px !important;
        color: #f0f !important; line-height: 3 !important; letter-spacing: 3px !important; box-sizing: content-box !important;
        text-transform: uppercase !important; text-align: center !important; }
        button { background: red !important; border: 6px solid lime !important; padding: 20px !important; border-radius: 0 !important; }
        div, section, article, header, form { margin: 12px !important; padding: 12px !important; display: block !important; }
        textarea { width: 10px !important; height: 200px !important; } h2, h3 { font-size: 40px !important; }
        seogo-widget { font-size: 30px !important; color: red !important; }`,
    });
    await page.waitForTimeout(200);
    const { shot: after, size: sizeAfter } = await inner();
    assert.deepEqual(sizeAfter, sizeBefore);
    const launcherAfter = await page.locator(".launcher").boundingBox();
    assert.deepEqual([launcherAfter.width, launcherAfter.height], [launcherBefore.width, launcherBefore.height]);
    if (!before.equals(after)) {
      writeFileSync(join(outDir, "css-before.png"), before);
      writeFileSync(join(outDir, "css-after.png"), after);
    }
    assert.ok(before.equals(after), "the panel looks different under the page's CSS (css-before.png, css-after.png)");
  });

  await step("an answer taken from the document is marked as an extract", async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "ko-KR" });
    const page2 = await other.newPage();
    page2.on("request", (r) => requests.push(r.url().replace(extractBase, base)));
    await page2.goto(`${extractBase}/demo?key=${encodeURIComponent(key)}`);
    await page2.locator(".launcher").click();
    await page2.locator(".panel").waitFor();
    const { reply } = await ask(page2, "냉각수 펌프 진동 허용 한계는 얼마인가요?");
    assert.equal(reply.state, "done", `reply: ${JSON.stringify(reply)}`);
    const badge = await page2.locator(".msg.extract .badge").first().textContent();
    assert.match(badge, /문서 발췌/);
    assert.match(reply.text, /4\.5 mm\/s/);
    assert.ok(reply.cites >= 1, "the extract cites its source");
    await page2.screenshot({ path: join(outDir, "widget-extract.png") });
    await other.close();
  });

  await step("phone width: the panel fills the screen", async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: "ko-KR" });
    const small = await phone.newPage();
    await small.goto(demo);
    await small.locator(".launcher").tap();
    await small.locator(".panel").waitFor();
    const box = await small.locator(".panel").boundingBox();
    assert.equal(Math.round(box.width), 390);
    assert.equal(Math.round(box.height), 844);
    await small.locator("#seogo-input").fill(QUESTION);
    await small.screenshot({ path: join(outDir, "widget-phone.png") });
    await phone.close();
  });

  await step("nothing is requested from anywhere but the Seogo server", async () => {
    const elsewhere = requests.filter((u) => !u.startsWith(base) && !u.startsWith("blob:") && !u.startsWith("data:"));
    assert.deepEqual(elsewhere, []);
    return { requests: requests.length };
  });
} catch (_) {
  // Reported by step().
} finally {
  await run.finish(browser);
}
