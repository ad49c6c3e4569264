import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchTable } from "./run.js";
import { median } from "./stats.js";
import { generate } from "./tracking.bench.js";
import { searchRuns } from "../src/tracking/search.js";
import { logMetrics, startRun } from "../src/tracking/write.js";

/**
 * `mlf server`: log-batch throughput with 8 concurrent HTTP clients beside the same points
 * written through the library in-process, and search-runs latency over 10k runs beside the
 * library search `mlf track ls` runs, on the same store and index. The server runs in its own
 * process (as `mlf server` does), the clients in this one.
 */

const RUNS = Number(process.env.MLF_BENCH_RUNS ?? 10_000);
const CLIENTS = 8;
const BATCHES = 25;
const BATCH = 1000;
const MLF = fileURLToPath(new URL("../../bin/mlf", import.meta.url));

/** `bin/mlf server` (or `ui`) on a free port in its own process, once it has printed its URL. */
export async function startServer(root: string, cacheDir: string, command: "server" | "ui" = "server"): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [MLF, command, "--port", "0", "--json", "--tracking-dir", root], { env: { ...process.env, MLF_CACHE_DIR: cacheDir }, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((done, fail) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) done((JSON.parse(out.split("\n")[0]!) as { url: string }).url);
    });
    child.once("exit", (code) => fail(new Error(`mlf ${command} exited with ${code}`)));
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  return { url, stop: () => (child.exitCode === null && child.signalCode === null && child.kill("SIGTERM"), exited) };
}

const post = async (url: string, path: string, body: unknown) => {
  const r = await fetch(`${url}/api/2.0/mlflow${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.json() as Promise<Record<string, unknown>>;
};

const batch = (client: number, b: number) => Array.from({ length: BATCH }, (_, i) => ({ key: `m${i % 10}`, value: i / BATCH, timestamp: 1_700_000_000_000 + client, step: b * BATCH + i }));

export async function run(): Promise<BenchTable> {
  const root = mkdtempSync(join(tmpdir(), "mlf-bench-server-"));
  const cacheDir = mkdtempSync(join(tmpdir(), "mlf-bench-cache-"));
  const server = await startServer(root, cacheDir);
  try {
    const points = CLIENTS * BATCHES * BATCH;
    // Baseline: the same batches through the library, in this process, one after the other.
    const local = startRun(root, { runName: "library" });
    let t0 = performance.now();
    for (let c = 0; c < CLIENTS; c++) for (let b = 0; b < BATCHES; b++) logMetrics(root, local, batch(c, b));
    const libraryMs = performance.now() - t0;
    // 8 clients, each on its own run, sending log-batch requests of 1000 metrics back to back.
    const runs = await Promise.all(Array.from({ length: CLIENTS }, () => post(server.url, "/runs/create", { experiment_id: "0" })));
    t0 = performance.now();
    await Promise.all(runs.map(async (r, c) => {
      const run_id = (r.run as { info: { run_id: string } }).info.run_id;
      for (let b = 0; b < BATCHES; b++) await post(server.url, "/runs/log-batch", { run_id, metrics: batch(c, b) });
    }));
    const restMs = performance.now() - t0;

    const exp = generate(join(root, "search"), RUNS);
    await new Promise((r) => setTimeout(r, 2100)); // index entries are trusted once files settle
    const searchRoot = join(root, "search");
    const filter = "metrics.auc > 0.5 and params.model = 'rf'";
    const query = { filter, orderBy: ["metrics.auc DESC"], maxResults: 1000, cacheDir };
    const searchServer = await startServer(searchRoot, cacheDir);
    try {
      searchRuns(searchRoot, { ...query, experiments: [exp] }); // builds the index both share
      const lib: number[] = [];
      const rest: number[] = [];
      let hits = 0;
      for (let i = 0; i < 5; i++) {
        let s = performance.now();
        hits = searchRuns(searchRoot, { ...query, experiments: [exp] }).runs.length;
        lib.push(performance.now() - s);
        s = performance.now();
        const body = await post(searchServer.url, "/runs/search", { experiment_ids: [exp], filter, order_by: ["metrics.auc DESC"], max_results: 1000 });
        rest.push(performance.now() - s);
        if ((body.runs as unknown[]).length !== hits) throw new Error("REST and library searches disagree");
      }
      const rate = (ms: number) => Math.round(points / (ms / 1000)).toLocaleString("en-US");
      return {
        title: `mlf server: log-batch with ${CLIENTS} clients (${points.toLocaleString("en-US")} metrics), search-runs over ${RUNS.toLocaleString("en-US")} runs`,
        head: ["operation", "time", "throughput / vs baseline"],
        rows: [
          ["baseline: library logMetrics, batches of 1000, one writer", `${(libraryMs / 1000).toFixed(2)} s`, `${rate(libraryMs)} metrics/s`],
          [`REST log-batch, ${CLIENTS} concurrent clients, batches of 1000`, `${(restMs / 1000).toFixed(2)} s`, `${rate(restMs)} metrics/s (${(libraryMs / restMs).toFixed(2)}x)`],
          [`baseline: library searchRuns (mlf track ls), ${hits} hits, median of 5`, `${median(lib).toFixed(1)} ms`, "1.0x"],
          ["REST runs/search, same query and index, median of 5", `${median(rest).toFixed(1)} ms`, `${(median(lib) / median(rest)).toFixed(2)}x`],
        ],
        notes: [`The server is a separate process (bin/mlf server); each REST call is a new HTTP request on keep-alive connections from this process. Search: filter "${filter}", order by metrics.auc DESC, max_results 1000; the REST time includes serializing the runs as MLflow's JSON.`],
      };
    } finally {
      await searchServer.stop();
    }
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
