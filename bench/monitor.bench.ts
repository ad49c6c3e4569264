import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchTable } from "./run.js";

/**
 * `mlf monitor drift` on a model's feature logs (1M logged rows x 20 features, 24 hourly
 * files, with their status columns and predictions) against its 1M-row training set, beside
 * DuckDB summarizing the same files in SQL (exact per-column quantiles, mean, std and NULL
 * count of both sides: what a hand-rolled monitor would compute), each in its own process so
 * peak RSS is its own. Also registration, which profiles the training set and scores it with
 * the model. MLF_BENCH_SCALE scales the row counts (e.g. 0.1 for a quick look).
 */

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const SCALE = Number(process.env.MLF_BENCH_SCALE ?? 1);
const ROWS = Math.round(1_000_000 * SCALE);
const FEATURES = 20;
const HOURS = 24;
const THREADS = 2;
const DATA = join(ROOT, ".bench", "monitor", `v1-${ROWS}`);

const names = Array.from({ length: FEATURES }, (_, i) => `f${String(i + 1).padStart(2, "0")}`);
const refs = names.map((n) => `inputs:${n}`);

/**
 * Feature i: 14 continuous (normal, exponential, uniform), 4 integers with 5 values (Evidently
 * tests those as categories), 2 wide integers. `shift` moves five of them in the logs.
 */
function featureSql(i: number, row: string, shift: boolean): string {
  const u = (k: number) => `(hash(${row} * ${FEATURES + 3} + ${k}) % 1000000 + 0.5) / 1000000.0`;
  const normal = `sqrt(-2 * ln(${u(i)})) * cos(2 * pi() * ${u(i + 100)})`;
  const s = shift && i % 4 === 0 ? 0.3 : 0;
  if (i < 8) return `${normal} * ${i + 1} + ${i * 10 + s * (i + 1)}`;
  if (i < 12) return `-ln(${u(i)}) * ${i} + ${s * i}`;
  if (i < 14) return `${u(i)} * 100 + ${s * 30}`;
  if (i < 18) return `(floor(${u(i)} * 5) + ${shift && i === 16 ? 1 : 0})::BIGINT`;
  return `(floor(${u(i)} * 100000))::BIGINT`;
}

/** A uniform draw in [0, 1) from a row number: the logged prediction. */
const u01 = (row: string) => `(hash(${row} * 7 + 3) % 1000000) / 1000000.0`;

async function generate(): Promise<string> {
  if (existsSync(join(DATA, "ready"))) return DATA;
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  const { OfflineEngine } = await import("../src/offline/engine.js");
  const { logFilePath, logFolder } = await import("../src/repo/feature-logs.js");
  const { toOnnx } = await import("../scripts/demo/onnx.js");
  const engine = await OfflineEngine.open({ type: "duckdb", threads: THREADS });
  try {
    const columns = (row: string, shift: boolean) => names.map((n, i) => `${featureSql(i, row, shift)} AS ${n}`).join(", ");
    await engine.run(`COPY (SELECT ${columns("i", false)} FROM range(${ROWS}) t(i)) TO '${join(DATA, "reference.parquet")}' (FORMAT parquet)`);
    const perHour = Math.ceil(ROWS / HOURS);
    const folder = logFolder(join(DATA, "data", "logs"), "models", "bench");
    for (let h = 0; h < HOURS; h++) {
      const at = Date.UTC(2026, 5, 1, h);
      const file = logFilePath(folder, at, 1);
      mkdirSync(resolve(file, ".."), { recursive: true });
      const from = h * perHour;
      const to = Math.min(ROWS, from + perHour);
      const row = `(i + ${ROWS})`;
      // Every 50th value too old (OUTSIDE_MAX_AGE, logged as NULL), as the server logs it.
      const features = names.map((n, i) => `CASE WHEN (i + ${i}) % 50 = 0 THEN NULL ELSE ${featureSql(i, row, true)} END AS "${refs[i]}"`).join(", ");
      const statuses = refs.map((r, i) => `CASE WHEN (i + ${i}) % 50 = 0 THEN 'OUTSIDE_MAX_AGE' ELSE 'PRESENT' END AS "status.${r}"`).join(", ");
      await engine.run(`COPY (SELECT TIMESTAMPTZ '${new Date(at).toISOString()}' + to_milliseconds(((i - ${from}) * 3600000 / ${to - from})::BIGINT) AS timestamp,
        'bench' AS model, 1 AS model_version, '/predict' AS route, 'r' || i AS request_id, 0 AS request_row, (i % 1000)::VARCHAR AS "key.id",
        ${features}, ${statuses}, ${u01("i")} AS prediction FROM range(${from}, ${to}) t(i)) TO '${file}' (FORMAT parquet)`);
    }
  } finally {
    engine.close();
  }
  const means = names.map(() => 0);
  writeFileSync(join(DATA, "model.onnx"), toOnnx({ features: names, means, scales: names.map(() => 1), weights: names.map((_, i) => (i < 8 ? 0.2 / (i + 1) : 0)), intercept: 0 }));
  writeFileSync(join(DATA, "ready"), "");
  return DATA;
}

type Contender = "register" | "drift-file" | "drift-profile" | "duckdb-summary";
interface Measure {
  seconds: number;
  cpuSeconds: number;
  peakMb: number;
  detail: string;
}

async function worker(contender: Contender, dir: string): Promise<void> {
  const trackingDir = join(dir, "mlruns");
  const reference = join(dir, "reference.parquet");
  const started = performance.now();
  let detail = "";
  if (contender === "register") {
    rmSync(trackingDir, { recursive: true, force: true });
    const { registerMonitoredModel } = await import("../src/monitor/register.js");
    await registerMonitoredModel(trackingDir, "bench", { file: join(dir, "model.onnx"), features: refs, reference, cwd: dir });
    detail = "sha256 + profile + model scored on every reference row";
  } else if (contender === "duckdb-summary") {
    const { OfflineEngine } = await import("../src/offline/engine.js");
    const engine = await OfflineEngine.open({ type: "duckdb", threads: THREADS });
    try {
      const quantiles = "[0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]";
      const summary = (cols: string[]) => cols.map((c, i) => `quantile_cont("${c}", ${quantiles}) AS q${i}, avg("${c}") AS m${i}, stddev_pop("${c}") AS s${i}, count(*) - count("${c}") AS n${i}`).join(", ");
      await engine.rows(`SELECT ${summary(names)} FROM read_parquet('${reference}')`);
      await engine.rows(`SELECT ${summary(refs)} FROM read_parquet('${join(dir, "data", "logs", "models", "bench", "*", "*.parquet")}')`);
      detail = "9 exact quantiles, mean, std, NULLs per column, both sides";
    } finally {
      engine.close();
    }
  } else {
    const { monitorDrift } = await import("../src/monitor/model-drift.js");
    const hidden = `${reference}.hidden`;
    if (contender === "drift-profile") renameSync(reference, hidden);
    try {
      const report = await monitorDrift({ model: "bench/1", trackingDir, repoRoot: dir, offline: { type: "duckdb", threads: THREADS } });
      detail = `${report.reference.kind} reference; ${report.dataset.drifted}/${report.dataset.features} drifted${report.prediction ? ", prediction tested" : ""}`;
    } finally {
      if (contender === "drift-profile") renameSync(hidden, reference);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const usage = process.resourceUsage();
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakMb: Math.round(usage.maxRSS / 1024), detail } satisfies Measure));
}

function measure(contender: Contender, dir: string): Measure {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--worker", contender, dir], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
  if (child.status !== 0) throw new Error(`${contender} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Measure;
}

export async function run(): Promise<BenchTable> {
  const dir = await generate();
  const register = measure("register", dir);
  const file = measure("drift-file", dir);
  const profile = measure("drift-profile", dir);
  const summary = measure("duckdb-summary", dir);
  const rows = [
    ["mlf registry register (--reference)", register],
    ["mlf monitor drift, training file (exact)", file],
    ["mlf monitor drift, stored profile", profile],
    ["baseline: DuckDB SQL summary of both sides", summary],
  ].map(([name, m]) => {
    const r = m as Measure;
    return [name as string, r.seconds.toFixed(2), r.cpuSeconds.toFixed(2), r.peakMb, (r.seconds / summary.seconds).toFixed(2), r.detail];
  });
  const fmt = (n: number) => n.toLocaleString("en-US");
  return {
    title: `monitor drift: ${fmt(ROWS)} logged rows x ${FEATURES} features against a ${fmt(ROWS)}-row reference`,
    head: ["contender", "seconds", "CPU s", "peak MB", "vs baseline", "detail"],
    rows,
    notes: [
      `DuckDB threads ${THREADS}; logs in ${HOURS} hourly Parquet files with status columns and predictions; goal: drift under 10 s and 1 GB. Each contender in its own process (peak = max RSS).`,
      // Wall time on a shared machine says more about the neighbours than about mlf: the load is printed with it.
      `Load average during the run: ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (CPU s is the process's own user + system time, DuckDB's threads included).`,
    ],
  };
}

if (process.argv[2] === "--worker") await worker(process.argv[3] as Contender, process.argv[4]!);
