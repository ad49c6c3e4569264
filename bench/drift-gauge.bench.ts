import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setAlias } from "../src/models/lifecycle.js";
import { monitorDrift } from "../src/monitor/model-drift.js";
import { registerMonitoredModel } from "../src/monitor/register.js";
import { OfflineEngine } from "../src/offline/engine.js";
import { requireRegistry } from "../src/repo/registry.js";
import { driftInChild, type GaugeRequest } from "../src/serving/logging/drift-run.js";
import { FeatureLogger } from "../src/serving/logging/logger.js";
import { MLF } from "../test/helpers.js";
import { MODEL, expected } from "../test/serving/helpers.js";
import { featureRefs, patientIds, writeCancerRepo } from "../test/serving/repo.js";
import type { BenchTable } from "./run.js";
import { median } from "./stats.js";
import { load, startChild, stop, type Load } from "./http-load.js";

/**
 * What the drift gauges cost requests: /predict under load on a server that recomputes its
 * model's drift back to back (--drift-interval 1s, each run over LOGGED rows x 30 features
 * against a REFERENCE-row training set), beside the same server without recomputes. And the
 * event loop during one recompute, run in the server's own thread versus in a low-priority
 * child process (what mlf serve does): the longest a request would wait.
 */

const LOGGED = Number(process.env.MLF_BENCH_DRIFT_ROWS ?? 200_000);
const REFERENCE = 50_000;
/** As the serving bench loads its server. */
const LOAD = { connections: 32, seconds: 5 };

/** A column of normal draws around each cancer feature's mean, in SQL. */
function referenceSql(rows: number): string {
  const columns = expected.feature_names.map((f, j) => {
    const xs = expected.rows.map((r) => r[j]!);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    return `${mean} + ${sd} * sqrt(-2 * ln(random() + 1e-12)) * cos(2 * pi() * random()) AS ${f}`;
  });
  return `SELECT ${columns.join(", ")} FROM range(${rows})`;
}

async function setUp(dir: string): Promise<{ trackingDir: string; logDir: string }> {
  const { repo, trackingDir } = await writeCancerRepo(dir);
  const reference = join(dir, "data", "training_set.parquet");
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 2 });
  try {
    await engine.run(`COPY (${referenceSql(REFERENCE)}) TO '${reference}' (FORMAT parquet)`);
  } finally {
    engine.close();
  }
  await registerMonitoredModel(trackingDir, "cancer", { file: MODEL, features: featureRefs, reference });
  setAlias(trackingDir, "cancer", "champion", 2);
  // Logs of the last half hour, written by the server's own logger: 1,000-row answers.
  const logDir = join(dir, "data", "logs");
  const definitions = requireRegistry(repo.config.registry).definitions;
  const logger = new FeatureLogger({ dir: logDir, sampleRate: 1, flushSeconds: 3600, queueSize: LOGGED, definitions: () => definitions, log: () => {} });
  const at = Date.now() - 30 * 60_000;
  for (let i = 0; i < LOGGED / 1000; i++) {
    const ids = Array.from({ length: 1000 }, (_, k) => patientIds[k % 30]!);
    const columns = expected.feature_names.map((_, j) => ({ values: ids.map((_, k) => expected.rows[(k + i) % 30]![j]! * (1 + ((k % 7) - 3) / 50)) }));
    logger.log({ kind: "models", name: "cancer", modelVersion: "2", route: "/predict", requestId: `bench-${i}`, at: at + i, rows: 1000, keys: { patient_id: ids }, features: featureRefs, columns, predictions: ids.map((_, k) => (k % 100) / 100) });
  }
  await logger.close();
  appendFileSync(join(dir, "feature_store.yaml"), "logging:\n  flush_seconds: 5\n");
  return { trackingDir, logDir };
}

async function loopDelay(run: () => Promise<unknown>): Promise<{ seconds: number; maxMs: number; p99Ms: number }> {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  return { seconds, maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 };
}

function metric(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(" ").at(-1));
}

export async function run(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), "mlf-bench-drift-"));
  try {
    const { trackingDir, logDir } = await setUp(dir);
    const body = JSON.stringify({ model: "cancer", entities: { patient_id: patientIds[3] } });
    const rows: (string | number)[][] = [];
    const runs: Record<string, Load[]> = { "0": [], "1s": [] };
    let lastRun: number | undefined;
    for (let round = 0; round < 2; round++) {
      for (const interval of ["0", "1s"]) {
        const server = await startChild(process.execPath, [MLF, "-C", dir, "serve", "--port", "0", "--model", "cancer@champion", "--json", "-q", "--drift-interval", interval], { ...process.env, MLF_TRACKING_DIR: trackingDir });
        try {
          runs[interval]!.push(await load(`${server.url}/predict`, body, [server.child.pid], LOAD));
          // The recompute under way during the load ends later: wait for its duration.
          for (let waited = 0; interval === "1s" && waited < 120; waited++) {
            const seconds = metric(await (await fetch(`${server.url}/metrics`)).text(), "mlf_drift_last_run_duration_seconds");
            if (seconds !== undefined) {
              lastRun = seconds;
              break;
            }
            await new Promise((r) => setTimeout(r, 1000));
          }
        } finally {
          await stop(server.child);
        }
      }
    }
    for (const [interval, name] of [["0", "/predict, no drift recompute"], ["1s", "/predict, drift recomputed back to back"]] as const) {
      const loads = runs[interval]!;
      rows.push([name, median(loads.map((l) => l.rps)), median(loads.map((l) => l.p50)), median(loads.map((l) => l.p99)), "", median(loads.map((l) => Number(l.cpuUs)))]);
    }
    const request: GaugeRequest = { model: "cancer@champion", trackingDir, logDir, offline: { type: "duckdb", threads: 1 } };
    const inline = await loopDelay(() => monitorDrift(request));
    const child = await loopDelay(() => driftInChild(request));
    rows.push([`one recompute in the server's thread (${inline.seconds.toFixed(1)} s)`, "", "", "", `${inline.maxMs.toFixed(0)} (p99 ${inline.p99Ms.toFixed(0)})`, ""]);
    rows.push([`one recompute in a child process, as mlf serve runs it (${child.seconds.toFixed(1)} s)`, "", "", "", `${child.maxMs.toFixed(0)} (p99 ${child.p99Ms.toFixed(0)})`, ""]);
    return {
      title: `Drift gauges: ${LOGGED.toLocaleString("en")} logged rows x 30 features against a ${REFERENCE.toLocaleString("en")}-row reference (load average ${loadavg()[0]!.toFixed(1)})`,
      head: ["case", "req/s", "p50 ms", "p99 ms", "event-loop delay ms", "server CPU µs/req"],
      rows,
      notes: [
        `With --drift-interval 1s a recompute (${lastRun === undefined ? "?" : lastRun.toFixed(1)} s the last time) runs during the whole load, in a child process whose CPU is not in the server's figure. Medians of 2 alternating rounds, autocannon 32 connections, 5 s.`,
        "The event-loop delay is the longest (and the 99th percentile) wait of the bench process's event loop during one recompute: what a request arriving meanwhile would wait.",
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
