import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setAlias } from "../src/models/lifecycle.js";
import { MLF } from "../test/helpers.js";
import { expected } from "../test/serving/helpers.js";
import { patientIds, writeCancerRepo } from "../test/serving/repo.js";
import type { BenchTable } from "./run.js";
import { median } from "./stats.js";
import { load, startChild, stop, type Load } from "./http-load.js";

/**
 * What feature logging costs `mlf serve`: the same server with logging off and on (every
 * request logged, flushed every 5 s), for /predict and a feature service's
 * /get-online-features. Off and on alternate, ROUNDS times each, each server in its own
 * process; medians are reported. The machine is shared, so req/s moves with whatever else
 * runs; the server's CPU time per request is the steady figure.
 */

const ROUNDS = Number(process.env.MLF_BENCH_ROUNDS ?? 3);
/** As the serving bench loads its server. */
const LOAD = { connections: 32, seconds: 5 };

async function metrics(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** The sum of a metric's samples (all label sets) in a /metrics text. */
function total(text: string, name: string): number {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((a, l) => a + Number(l.split(" ").at(-1)), 0);
}

export async function run(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), "mlf-bench-log-"));
  try {
    const { trackingDir } = await writeCancerRepo(dir);
    setAlias(trackingDir, "cancer", "champion", 1);
    const config = join(dir, "feature_store.yaml");
    const base = readFileSync(config, "utf8");
    const cases = {
      "/predict 1 row (30 features)": { path: "/predict", body: JSON.stringify({ model: "cancer", entities: { patient_id: patientIds[3] } }) },
      "/predict 10 rows": { path: "/predict", body: JSON.stringify({ model: "cancer", entities: { patient_id: patientIds.slice(0, 10) } }) },
      "/get-online-features service, 1 row": { path: "/get-online-features", body: JSON.stringify({ feature_service: "cancer_all", entities: { patient_id: [patientIds[3]] } }) },
    };
    const results = new Map<string, { off: Load[]; on: Load[] }>(Object.keys(cases).map((k) => [k, { off: [], on: [] }]));
    const logged = { rows: 0, dropped: 0, files: 0, bytes: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ["off", "on"] as const) {
        writeFileSync(config, base);
        // A queue that holds 5 s at full speed: every request is logged, none dropped.
        if (mode === "on") appendFileSync(config, "logging:\n  sample_rate: 1.0\n  flush_seconds: 5\n  queue_size: 1000000\n");
        const server = await startChild(process.execPath, [MLF, "-C", dir, "serve", "--port", "0", "--model", "cancer@champion", "--json", "-q", "--drift-interval", "0"], { ...process.env, MLF_TRACKING_DIR: trackingDir });
        try {
          for (const [name, c] of Object.entries(cases)) {
            const sample = await fetch(server.url + c.path, { method: "POST", headers: { "content-type": "application/json" }, body: c.body });
            if (sample.status !== 200) throw new Error(`${c.path} answered ${sample.status}: ${await sample.text()}`);
            results.get(name)![mode].push(await load(server.url + c.path, c.body, [server.child.pid], LOAD));
          }
          if (mode === "on") {
            const text = await metrics(server.url);
            logged.dropped += total(text, "mlf_feature_log_dropped_total");
          }
        } finally {
          await stop(server.child);
        }
      }
    }
    // What the "on" servers wrote, counted from the files after their final flushes.
    const { OfflineEngine } = await import("../src/offline/engine.js");
    const { listLogFiles, logFolder } = await import("../src/repo/feature-logs.js");
    const files = ["models/cancer", "services/cancer_all"].flatMap((f) => listLogFiles(logFolder(join(dir, "data", "logs"), f.split("/")[0] as "models", f.split("/")[1]!)));
    const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
    try {
      const [row] = await engine.rows(`SELECT count(*)::BIGINT AS n FROM read_parquet([${files.map((f) => `'${f}'`).join(", ")}], union_by_name = true)`);
      logged.rows = Number(row!.n);
      logged.files = files.length;
      logged.bytes = files.reduce((a, f) => a + readFileSync(f).length, 0);
    } finally {
      engine.close();
    }

    const rows: (string | number)[][] = [];
    for (const [name, { off, on }] of results) {
      const summary = (loads: Load[]) => ({
        rps: median(loads.map((l) => l.rps)),
        p50: median(loads.map((l) => l.p50)),
        p99: median(loads.map((l) => l.p99)),
        non2xx: loads.reduce((a, l) => a + l.non2xx, 0),
        cpu: median(loads.map((l) => (typeof l.cpuUs === "number" ? l.cpuUs : Number.NaN))),
      });
      const a = summary(off);
      const b = summary(on);
      rows.push([name, "logging off", a.rps, a.p50, a.p99, a.non2xx, a.cpu]);
      rows.push([name, "logging on (every request)", b.rps, b.p50, b.p99, b.non2xx, b.cpu]);
      rows.push([name, "on vs off", `${(((b.rps - a.rps) / a.rps) * 100).toFixed(1)}%`, "", "", "", `${(((b.cpu - a.cpu) / a.cpu) * 100).toFixed(1)}%`]);
    }
    return {
      title: `Feature logging overhead: autocannon, 32 connections, 5 s per case, medians of ${ROUNDS} alternating rounds (load average ${loadavg()[0]!.toFixed(1)} at the end)`,
      head: ["case", "server", "req/s", "p50 ms", "p99 ms", "non-2xx", "server CPU µs/req"],
      rows,
      notes: [
        `The "on" servers logged ${logged.rows.toLocaleString("en")} rows in ${logged.files} files (${(logged.bytes / Math.max(1, logged.rows)).toFixed(0)} bytes per row, ${expected.feature_names.length} features with statuses) and dropped ${logged.dropped} requests.`,
        "Goal: under 10% of throughput lost. CPU per request includes the flushes (building and writing the files) that happened during the run.",
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
