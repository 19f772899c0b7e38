// What the browser tests share: Chromium launched the way CI runs it, steps
// run in order into a report (the first failure ends the run), and the
// report written out with the exit status the Rust test reads.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export class Run {
  constructor(outDir) {
    this.outDir = outDir;
    this.report = { steps: [] };
    this.failed = false;
  }

  /// Runs `body`; its result (an object) goes into the step's report line.
  async step(name, body) {
    const started = Date.now();
    try {
      const detail = await body();
      this.report.steps.push({ name, ok: true, ms: Date.now() - started, ...(detail || {}) });
      console.error(`ok   ${name}`);
    } catch (e) {
      this.report.steps.push({ name, ok: false, error: String((e && e.stack) || e) });
      console.error(`FAIL ${name}\n${(e && e.stack) || e}`);
      this.failed = true;
      throw e;
    }
  }

  /// Closes the browser, writes report.json and exits (non-zero on failure).
  async finish(browser) {
    await browser.close();
    writeFileSync(join(this.outDir, "report.json"), JSON.stringify(this.report, null, 2));
    console.log(JSON.stringify(this.report));
    process.exit(this.failed ? 1 : 0);
  }
}
