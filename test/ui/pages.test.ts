/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions passed to page.evaluate run in the browser: the DOM types are for them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ElementHandle, Page } from "playwright-core";
import { modelDir } from "../../src/models/store.js";
import { openRepo } from "../../src/repo/repo.js";
import { startUiServer } from "../../src/ui/server.js";
import type { MlflowServer } from "../../src/mlflow/server.js";
import { tempDir } from "../helpers.js";
import { launchBrowser, openPage, screenshot, type Browser } from "./browser.js";
import { buildUiStore, type UiStore } from "./fixture.js";

/** `mlf ui` in headless Chromium: every page, the filter, sorting, comparison, charts, writes. */

const cleanups: (() => void)[] = [];
const t = { after: (fn: () => void) => cleanups.push(fn) };
let store: UiStore;
let readOnly: MlflowServer;
let writable: MlflowServer;
let browser: Browser;

before(async () => {
  store = await buildUiStore(t);
  const common = { root: store.tracking, repo: await openRepo(store.repo), port: 0, cacheDir: tempDir(t, "mlf-cache-") };
  readOnly = await startUiServer(common);
  writable = await startUiServer({ ...common, allowWrites: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await readOnly?.close();
  await writable?.close();
  for (const fn of cleanups.reverse()) fn();
});

/** Opens a page of the app, waits for `ready`, and checks that nothing went wrong on the way. */
async function visit(server: MlflowServer, hash: string, ready: string): Promise<{ page: Page; errors: string[] }> {
  const opened = await openPage(browser);
  await opened.page.goto(`${server.url}/${hash}`);
  await opened.page.waitForSelector(ready);
  return opened;
}

const rowsOf = (page: Page) => page.$$eval("table.runs tbody tr", (rows) => rows.map((r) => r.querySelector("th a")!.textContent));

describe("mlf ui in Chromium", () => {
  test("every page loads without console errors; a screenshot of each is written", async () => {
    const pages: [string, string, string][] = [
      ["runs", `#/experiments/${store.experimentId}`, "table.runs tbody tr"],
      ["run", `#/runs/${store.runs.baseline}`, ".chart canvas"],
      ["run-mlflow-written", "#/runs/1c00447556424067ae62fe39e167bb34", "table.kv"],
      ["compare", `#/compare?runs=${store.runs.baseline},${store.runs.strongReg},${store.runs.forest}`, ".chart canvas"],
      ["models", "#/models", "table.models tbody tr"],
      ["model", "#/models/driver_model", "#version-detail dl.facts"],
      ["features", "#/features", "svg.lineage .node"],
      ["drift", "#/drift?model=driver_model/1&since=24h", "table.drift tbody tr svg.histogram"],
    ];
    for (const [name, hash, ready] of pages) {
      const { page, errors } = await visit(readOnly, hash, ready);
      // Charts and graphs settle after their data arrives; then the page is captured whole.
      await page.waitForLoadState("networkidle");
      const file = await screenshot(page, name);
      assert.ok(existsSync(file), file);
      assert.deepEqual(errors, [], `console errors on the ${name} page`);
      assert.match(await page.title(), /· mlf$/);
      await page.close();
    }
  });

  test("a filter in MLflow's grammar narrows the runs table; a bad one shows the server's sentence", async () => {
    const { page, errors } = await visit(readOnly, `#/experiments/${store.experimentId}`, "table.runs tbody tr");
    assert.equal((await rowsOf(page)).length, 3);
    await page.getByLabel("Filter runs").fill("params.model = 'random_forest' and metrics.auc > 0.8");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForFunction(() => document.querySelectorAll("table.runs tbody tr").length === 1);
    assert.deepEqual(await rowsOf(page), ["forest"]);
    assert.match(page.url(), /filter=params\.model/);
    await page.getByLabel("Filter runs").fill("metrics.auc >> 1");
    await page.getByRole("button", { name: "Search" }).click();
    const alert = await page.waitForSelector("[role=alert]");
    assert.match((await alert.textContent())!, /Invalid filter/);
    assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
    await page.close();
  });

  test("a column header sorts on the server; the second click turns the order round", async () => {
    const { page } = await visit(readOnly, `#/experiments/${store.experimentId}`, "table.runs tbody tr");
    const auc = page.getByRole("button", { name: /^auc/ });
    await auc.click();
    await page.waitForFunction(() => location.hash.includes("order="));
    await page.waitForFunction(() => document.querySelector("table.runs tbody tr th a")?.textContent === "forest");
    assert.deepEqual(await rowsOf(page), ["forest", "lr-baseline", "lr-strong-reg"]);
    assert.equal(await page.getAttribute("th:has(button:text-matches('^auc'))", "aria-sort"), "descending");
    await auc.click();
    await page.waitForFunction(() => document.querySelector("table.runs tbody tr th a")?.textContent === "lr-strong-reg");
    assert.deepEqual(await rowsOf(page), ["lr-strong-reg", "lr-baseline", "forest"]);
    await page.close();
  });

  test("runs picked in the table are compared: the differing param is highlighted, the same one is not", async () => {
    const { page, errors } = await visit(readOnly, `#/experiments/${store.experimentId}`, "table.runs tbody tr");
    await page.getByLabel("Select run lr-baseline for comparison").check();
    await page.getByLabel("Select run lr-strong-reg for comparison").check();
    await page.getByRole("button", { name: "Compare selected (2)" }).click();
    await page.waitForSelector("table.compare tbody tr");
    const rows = await page.$$eval("section[aria-labelledby=parameters-heading] table.compare tbody tr", (trs) =>
      trs.map((tr) => ({ key: tr.querySelector("th")!.childNodes[0]!.textContent, diff: tr.classList.contains("diff"), text: tr.textContent, cells: [...tr.querySelectorAll("td")].map((td) => td.textContent) })));
    const c = rows.find((r) => r.key === "C")!;
    assert.deepEqual([c.diff, c.cells], [true, ["1.0", "0.1"]]);
    assert.match(c.text!, /values differ/);
    assert.equal(rows.find((r) => r.key === "model")!.diff, false);
    // The highlight is visible: the row's background is not the table's.
    const colour = await page.$eval("table.compare tr.diff", (tr) => getComputedStyle(tr).backgroundColor);
    assert.notEqual(colour, "rgba(0, 0, 0, 0)");
    await page.getByLabel("Show only differences").check();
    const shown = await page.$$eval("section[aria-labelledby=parameters-heading] table.compare tbody th", (ths) => ths.map((th) => th.childNodes[0]!.textContent));
    assert.deepEqual(shown, ["C"]);
    // Histories overlaid: one chart per metric, a series per run.
    await page.waitForSelector(".chart canvas");
    const auc = page.locator("figure.chart-card", { hasText: "auc" }).locator(".chart");
    assert.equal(await auc.getAttribute("data-points"), "40");
    assert.match((await auc.getAttribute("aria-label"))!, /lr-baseline: 20 points.*lr-strong-reg: 20 points/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("a metric chart draws its points: the canvas holds the series colour, as many points as logged", async () => {
    const { page } = await visit(readOnly, `#/runs/${store.runs.baseline}`, ".chart canvas");
    const chart = page.locator("figure.chart-card", { hasText: "auc" }).locator(".chart");
    assert.equal(await chart.getAttribute("data-points"), "20");
    assert.match((await chart.getAttribute("aria-label"))!, /auc\. lr-baseline: 20 points, last 0\.8/);
    // uPlot draws after it is mounted: wait until a line of the series colour is there, at
    // least a quarter of the canvas wide (a minute at most, then the test fails).
    const canvas = (await chart.locator("canvas").elementHandle()) as ElementHandle<HTMLCanvasElement>;
    await page.waitForFunction((c: HTMLCanvasElement) => {
      const { data } = c.getContext("2d")!.getImageData(0, 0, c.width, c.height);
      let series = 0;
      // The series stroke, #1f5fbf (antialiased edges aside, the line's core pixels are exact).
      for (let i = 0; i < data.length; i += 4) if (data[i] === 0x1f && data[i + 1] === 0x5f && data[i + 2] === 0xbf && data[i + 3] === 255) series++;
      return series > c.width / 4;
    }, canvas, { polling: 100 });
    // The artifact tree opens a folder and downloads a file as it is.
    await page.getByRole("button", { name: "model/" }).click();
    const link = page.getByRole("link", { name: "model.onnx" });
    assert.equal(await page.getByRole("button", { name: "model/" }).getAttribute("aria-expanded"), "true");
    const download = await page.request.get(new URL((await link.getAttribute("href"))!, page.url()).href);
    assert.deepEqual(await download.body(), readFileSync(join(modelDir(store.tracking, "driver_model"), "version-1", "model.onnx")));
    await page.close();
  });

  test("lineage: a run's commit, input digests, registry version and service; its model version; the service's graph from source to model", async () => {
    const facts = (page: Page, section: string) =>
      page.getByRole("region", { name: section }).locator("dl.facts div").evaluateAll((divs) => Object.fromEntries(divs.map((d) => [d.querySelector("dt")!.textContent, d.querySelector("dd")!.textContent])));
    const { page, errors } = await visit(readOnly, `#/runs/${store.runs.baseline}`, "section[aria-labelledby=lineage-heading] dl.facts");
    const run = await facts(page, "Lineage");
    assert.deepEqual([run["Git commit"], run["Feature registry version"], run["Feature service"], run["Entity rows"]], ["3f2c9d1e8b7a", String(store.registryVersion), "driver_activity", "280"]);
    const inputs = await page.$$eval("section[aria-labelledby=lineage-heading] table tbody tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    assert.deepEqual(inputs, [["data/driver_stats.csv", "9b1f0c3a5d7e2f4a…", "84 KiB"]]);
    // The run was registered: its version's lineage points back at it.
    await page.getByRole("link", { name: "driver_model v1" }).click();
    await page.waitForSelector("#version-detail dl.facts");
    const version = await page.locator("#version-detail dl.facts div").evaluateAll((divs) => Object.fromEntries(divs.map((d) => [d.querySelector("dt")!.textContent, d.querySelector("dd")!.textContent])));
    assert.deepEqual([version.Run, version["Git commit"], version["Feature service"]], ["lr-baseline", "3f2c9d1e8b7a", "driver_activity"]);
    // Its feature service lights its lineage: sources -> views -> the service -> both versions.
    await page.locator("#version-detail").getByRole("link", { name: "driver_activity" }).click();
    await page.waitForSelector("svg.lineage a.node.focus");
    const lit = await page.$$eval("svg.lineage a.node:not(.dim)", (nodes) => nodes.map((n) => n.getAttribute("aria-label")).sort());
    assert.deepEqual(lit.filter((l) => !l!.startsWith("source ")), ["model driver_model v1", "model driver_model v2", "service driver_activity", "view driver_daily_stats", "view driver_hourly_stats"]);
    assert.ok(lit.some((l) => l!.startsWith("source ")), `no source lit: ${lit.join(", ")}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("an alias set from the page with --allow-writes lands in the registry and its audit log", async () => {
    const { page, errors } = await visit(writable, "#/models/driver_model", "#version-detail dl.facts");
    await page.getByLabel("Alias", { exact: true }).fill("challenger");
    await page.getByLabel("points at").selectOption("2");
    await page.getByRole("button", { name: "Set alias" }).click();
    await page.waitForSelector("text=challenger now points at version 2.");
    assert.equal(readFileSync(join(modelDir(store.tracking, "driver_model"), "aliases", "challenger"), "utf8"), "2");
    await page.waitForFunction(() => [...document.querySelectorAll("table tbody tr")].some((tr) => tr.textContent!.includes("set_alias") && tr.textContent!.includes("challenger")));
    await page.getByRole("button", { name: "Remove alias challenger" }).click();
    await page.waitForFunction(() => !document.querySelector("[aria-label='Remove alias challenger']"));
    assert.equal(existsSync(join(modelDir(store.tracking, "driver_model"), "aliases", "challenger")), false);
    await screenshot(page, "model-writes");
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("without --allow-writes the page offers no change and the server refuses one with 403", async () => {
    const { page } = await visit(readOnly, "#/models/driver_model", "#version-detail dl.facts");
    assert.equal(await page.getByLabel("Alias", { exact: true }).count(), 0);
    assert.ok(await page.getByText("Read-only: start mlf ui with --allow-writes").isVisible());
    const answer = await page.evaluate(async () => {
      const r = await fetch("ajax-api/2.0/mlflow/registered-models/alias", { method: "POST", body: JSON.stringify({ name: "driver_model", alias: "sneaky", version: "2" }) });
      return { status: r.status, body: (await r.json()) as { error_code: string } };
    });
    assert.deepEqual([answer.status, answer.body.error_code], [403, "PERMISSION_DENIED"]);
    assert.equal(existsSync(join(modelDir(store.tracking, "driver_model"), "aliases", "sneaky")), false);
    await page.close();
  });

  test("accessibility basics: named controls, table headers, a skip link first, readable contrast", async () => {
    for (const hash of [`#/experiments/${store.experimentId}`, `#/runs/${store.runs.baseline}`, `#/compare?runs=${store.runs.baseline},${store.runs.forest}`, "#/models/driver_model", "#/features", "#/drift?model=driver_model/1"]) {
      const { page } = await visit(writable, hash, "main table");
      await page.waitForLoadState("networkidle");
      const report = await page.evaluate(() => {
        const unnamed = [...document.querySelectorAll("input, select, button, a[href]")].filter((el) => {
          const id = el.getAttribute("id");
          const named = el.getAttribute("aria-label") || el.closest("label") || (id && document.querySelector(`label[for="${id}"]`)) || (el.textContent ?? "").trim();
          return !named;
        }).map((el) => el.outerHTML.slice(0, 80));
        const headless = [...document.querySelectorAll("table")].filter((table) => table.querySelectorAll("thead th[scope]").length === 0).length;
        // WCAG's contrast ratio of each text's colour against the nearest opaque background.
        const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
        const lum = ([r, g, b]: number[]) => [r!, g!, b!].map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4)).reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i]!, 0);
        const background = (el: Element | null): number[] => {
          for (; el; el = el.parentElement) {
            const c = rgb(getComputedStyle(el).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
          }
          return [255, 255, 255];
        };
        const low = [...document.querySelectorAll("main *")].filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent!.trim() !== "") && (el as HTMLElement).offsetParent !== null && !el.closest("svg, .uplot, button:disabled"))
          .map((el) => {
            const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
            return { text: el.textContent!.trim().slice(0, 30), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
          }).filter((x) => x.ratio < 4.5);
        return { unnamed, headless, low };
      });
      assert.deepEqual(report, { unnamed: [], headless: 0, low: [] }, hash);
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
      await page.keyboard.press("Enter");
      assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
      await page.close();
    }
  });
});
