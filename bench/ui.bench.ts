import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { launchBrowser, openPage } from "../test/ui/browser.js";
import type { BenchTable } from "./run.js";
import { median } from "./stats.js";
import { startServer } from "./mlflow-server.bench.js";
import { generate } from "./tracking.bench.js";

/**
 * `mlf ui` over a store of 10k runs: the runs table's first paint in headless Chromium (from
 * navigation start to the first page of rows drawn), beside the raw REST runs/search call the
 * page makes, timed from Node in the same run. The page fetches one page of rows (paged on the
 * server), so its time is the search plus loading the app, never the size of the store.
 */

const RUNS = Number(process.env.MLF_BENCH_RUNS ?? 10_000);
const REPEAT = 5;

/** The page's own request, from Node: one page of 50 runs. */
async function restSearch(url: string, body: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(`${url}/ajax-api/2.0/mlflow/runs/search`, { method: "POST", body: JSON.stringify({ max_results: 50, ...body }) });
  const answer = (await r.json()) as { runs?: unknown[] };
  if (r.status !== 200 || answer.runs?.length !== 50) throw new Error(`runs/search answered ${r.status} with ${answer.runs?.length} runs`);
  return performance.now() - t0;
}

/** Navigation start to the runs table's first frame with rows (the app's `mlf:runs-table` mark). */
async function firstPaint(page: Page, url: string, cold: boolean): Promise<number> {
  if (cold) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.clearBrowserCache");
    await cdp.detach();
  }
  await page.goto("about:blank");
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName("mlf:runs-table").length > 0);
  const rows = await page.$$eval("table.runs tbody tr", (trs) => trs.length);
  if (rows !== 50) throw new Error(`the runs table shows ${rows} rows, not 50`);
  return page.evaluate(() => performance.getEntriesByName("mlf:runs-table")[0]!.startTime);
}

export async function run(): Promise<BenchTable> {
  const root = mkdtempSync(join(tmpdir(), "mlf-bench-ui-"));
  const cacheDir = mkdtempSync(join(tmpdir(), "mlf-bench-cache-"));
  const exp = generate(root, RUNS);
  await new Promise((r) => setTimeout(r, 2100)); // run index entries are trusted once their files settle
  const server = await startServer(root, cacheDir, "ui");
  const browser = await launchBrowser();
  try {
    const filter = "metrics.auc > 0.5 and params.model = 'rf'";
    const order = "metrics.`auc` DESC";
    await restSearch(server.url, { experiment_ids: [exp] }); // builds the run index every later call reads
    const { page, errors } = await openPage(browser);
    const cases = [
      { name: `newest 50 of ${RUNS.toLocaleString("en-US")} runs`, body: { experiment_ids: [exp] }, hash: `#/experiments/${exp}` },
      { name: `filtered (${filter}), sorted by auc`, body: { experiment_ids: [exp], filter, order_by: [order] }, hash: `#/experiments/${exp}?${new URLSearchParams({ filter, order })}` },
    ];
    const rows: (string | number)[][] = [];
    for (const c of cases) {
      const rest: number[] = [];
      const cold: number[] = [];
      const warm: number[] = [];
      for (let i = 0; i < REPEAT; i++) {
        rest.push(await restSearch(server.url, c.body));
        cold.push(await firstPaint(page, `${server.url}/${c.hash}`, true));
        warm.push(await firstPaint(page, `${server.url}/${c.hash}`, false));
      }
      const base = median(rest);
      const line = (label: string, ms: number) => [label, `${ms.toFixed(0)} ms`, `${(ms / base).toFixed(1)}x`, ms < 1000 ? "yes" : "NO"];
      rows.push([`baseline: REST runs/search from Node, ${c.name}`, `${base.toFixed(0)} ms`, "1.0x", base < 1000 ? "yes" : "NO"]);
      rows.push(line(`UI first paint, empty browser cache, ${c.name}`, median(cold)));
      rows.push(line(`UI first paint, cached app, ${c.name}`, median(warm)));
    }
    if (errors.length > 0) throw new Error(`console errors while measuring: ${errors.join("; ")}`);
    return {
      title: `mlf ui: runs table first paint over ${RUNS.toLocaleString("en-US")} runs (headless Chromium), beside the REST call it makes`,
      head: ["measurement (median of 5)", "time", "vs REST", "under 1 s"],
      rows,
      notes: [
        "First paint: from the page's navigation start to the first animation frame after the 50 rows are in the document (performance mark mlf:runs-table), read in the page. The app (about 110 kB of JavaScript) and the search both come from `mlf ui`, a separate process on loopback.",
        `Machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end of the run (shared with other work: wall times move with it, the ratio to the REST call much less).`,
      ],
    };
  } finally {
    await browser.close();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
