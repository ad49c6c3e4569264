import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { feastTemplate, handAsof, sourceViews } from "./offline-sql.js";
import { featureRefs, large, probes, repoFiles, shapes, type Shape } from "./offline-shapes.js";
import type { Phase } from "../src/offline/phases.js";
import type { BenchTable } from "./run.js";

/**
 * get-historical on a matrix of generated shapes (bench/offline-shapes.ts), each against the
 * SQL a DuckDB user would write by hand (bench/offline-sql.ts) on the same files, in the same
 * run and with the same DuckDB settings, output to Parquet:
 *   (a) ASOF: de-duplication by created time, ASOF LEFT JOIN per view, ttl applied after;
 *   (b) Feast's ROW_NUMBER point-in-time template.
 * Each run is its own process (so peak RSS is its own); contenders alternate, the minimum of
 * MLF_BENCH_ROUNDS (default 2) runs counts. Quick sizes by default (a tenth of the full ones);
 * MLF_BENCH_FULL=1 runs the full sizes (20M feature rows), MLF_BENCH_LARGE=1 adds 10M x 100M
 * (mlf only), MLF_BENCH_SHAPES=id,id picks shapes (the matrix's or the probes' of
 * offline-shapes.ts), MLF_BENCH_PROFILE=1 adds mlf's seconds
 * per phase (its fastest run), MLF_BENCH_ORDERED=1 adds both hand-written queries with an
 * ORDER BY that returns the entity rows' order, as mlf does (two more columns). A contender slower than MLF_BENCH_TIMEOUT seconds (default 120
 * quick, 300 full) is stopped and shown as ">".
 */

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const FULL = process.env.MLF_BENCH_FULL === "1";
const DIVISOR = FULL ? 1 : 10;
const ROUNDS = Number(process.env.MLF_BENCH_ROUNDS ?? 2);
const TIMEOUT_S = Number(process.env.MLF_BENCH_TIMEOUT ?? (FULL ? 300 : 120));
const PROFILE = process.env.MLF_BENCH_PROFILE === "1";
const ORDERED = process.env.MLF_BENCH_ORDERED === "1";
const ONLY = process.env.MLF_BENCH_SHAPES?.split(",");
const SETTINGS = { threads: 2, memoryLimit: "3GB" };
/** Bumped whenever a generator changes, so stale data is never measured. */
const DATA_VERSION = 1;

type Contender = "mlf" | "asof" | "feast" | "asof-ordered" | "feast-ordered";
interface Measure {
  seconds: number;
  /** User + system CPU of the whole process: steadier than wall time when other jobs share the cores. */
  cpuSeconds: number;
  peakMb: number;
  rows: number;
  /** Output rows whose first feature is not NULL: must agree between contenders. */
  matched: number;
  /** mlf only: seconds per phase. */
  phases?: Phase[];
}

const shapeDir = (shape: Shape) => join(ROOT, ".bench", "offline", `${shape.id}-${shape.entityRows}x${shape.featureRows}-v${DATA_VERSION}`);

async function generate(shape: Shape): Promise<string> {
  const dir = shapeDir(shape);
  if (existsSync(join(dir, "registry.json"))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { OfflineEngine } = await import("../src/offline/engine.js");
  const engine = await OfflineEngine.open({ type: "duckdb", threads: SETTINGS.threads, tempDirectory: join(dir, "spill") });
  try {
    for (const sql of shape.generate) await engine.run(sql.replaceAll("$DIR", dir));
  } finally {
    engine.close();
  }
  for (const [name, text] of Object.entries(repoFiles(shape, SETTINGS))) writeFileSync(join(dir, name), text);
  const { applyRepo } = await import("../src/apply/apply.js");
  const { openRepo } = await import("../src/repo/repo.js");
  await applyRepo(await openRepo(dir));
  return dir;
}

/** Every shape a name can pick: the matrix's and the probes'. */
const nameable = () => [...shapes(DIVISOR), ...probes(DIVISOR)];

function findShape(id: string): Shape {
  return id === "large" ? large() : nameable().find((s) => s.id === id)!;
}

/** Runs in a child process: one contender on one shape, then prints its measure as JSON. */
async function worker(contender: Contender, id: string): Promise<void> {
  const shape = findShape(id);
  const dir = shapeDir(shape);
  const out = join(dir, `out-${contender}.parquet`);
  rmSync(out, { force: true });
  // What a killed run left behind.
  rmSync(join(dir, "spill"), { recursive: true, force: true });
  const started = performance.now();
  const { OfflineEngine } = await import("../src/offline/engine.js");
  let phases: Phase[] | undefined;
  if (contender === "mlf") {
    const { getHistoricalFeatures } = await import("../src/offline/get-historical.js");
    const { openRepo } = await import("../src/repo/repo.js");
    phases = (await getHistoricalFeatures(await openRepo(dir), { entities: join(dir, shape.entities), features: featureRefs(shape), output: out })).phases;
  } else {
    const engine = await OfflineEngine.open({ type: "duckdb", ...SETTINGS, tempDirectory: join(dir, "spill") });
    try {
      // Feast's template on skewed keys spills without end: bounded, it fails instead of filling the disk.
      await engine.run(`SET max_temp_directory_size = '${MAX_SPILL_GB}GB'`);
      // As mlf's retrieval (see getHistoricalFeatures): a query reading a file twice parses its footer once.
      await engine.run("SET parquet_metadata_cache = true");
      for (const sql of sourceViews(shape, dir)) await engine.run(sql);
      const ordered = contender.endsWith("-ordered");
      await engine.run(`COPY (${contender.startsWith("asof") ? handAsof(shape, dir, ordered) : feastTemplate(shape, dir, ordered)}) TO '${out}' (FORMAT parquet)`);
    } finally {
      engine.close();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const usage = process.resourceUsage();
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  const first = shape.views[0]!.features[0]!.name;
  const [counts] = await engine.rows(`SELECT count(*) AS rows, count("${first}") AS matched FROM read_parquet('${out}')`);
  engine.close();
  rmSync(out, { force: true });
  const measure: Measure = {
    seconds,
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    peakMb: Math.round(usage.maxRSS / 1024),
    rows: Number(counts!.rows),
    matched: Number(counts!.matched),
    ...(phases && { phases }),
  };
  process.stdout.write(JSON.stringify(measure));
}

/** A hand-written query that needs more temporary disk than this is stopped and shown as such. */
const MAX_SPILL_GB = 20;
/** The exit code of a worker whose query ran out of its temporary disk. */
const SPILLED = 3;

/** Did not finish: stopped after MLF_BENCH_TIMEOUT seconds, or out of its temporary disk. */
type Unfinished = "timeout" | "spill";

function measure(contender: Contender, shape: Shape): Measure | Unfinished {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--worker", contender, shape.id], {
    encoding: "utf8",
    env: { ...process.env, TZ: "UTC", MLF_BENCH_FULL: FULL ? "1" : "0" },
    timeout: TIMEOUT_S * 1000,
    killSignal: "SIGKILL",
  });
  if (child.error && (child.error as NodeJS.ErrnoException).code === "ETIMEDOUT") return "timeout";
  if (child.status === SPILLED) return "spill";
  if (child.status !== 0) throw new Error(`${contender} on ${shape.id} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Measure;
}

/** Every contender ROUNDS times, alternating the order; the best run of each (or why it did not finish). */
function contest(shape: Shape, contenders: Contender[]): Map<Contender, Measure | Unfinished> {
  const best = new Map<Contender, Measure | Unfinished>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const seen = best.get(contender);
      if (seen === "timeout" || seen === "spill") continue;
      const m = measure(contender, shape);
      if (m === "timeout" || m === "spill" || seen === undefined) best.set(contender, m);
      else {
        const faster = m.seconds < seen.seconds ? m : seen;
        best.set(contender, { ...faster, cpuSeconds: Math.min(m.cpuSeconds, seen.cpuSeconds), peakMb: Math.max(m.peakMb, seen.peakMb) });
      }
    }
  }
  return best;
}

const fmt = (n: number) => n.toLocaleString("en-US");
const secs = (m: Measure | Unfinished | undefined) => (m === undefined ? "-" : m === "timeout" ? `>${TIMEOUT_S}` : m === "spill" ? `>${MAX_SPILL_GB} GB spill` : m.seconds.toFixed(2));
const done = (m: Measure | Unfinished | undefined): m is Measure => typeof m === "object";

export async function run(): Promise<BenchTable> {
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  // The probes run only when named.
  const picked = ONLY ? nameable().filter((s) => ONLY.includes(s.id)) : shapes(DIVISOR);
  for (const shape of picked) {
    await generate(shape);
    const m = contest(shape, ["mlf", "asof", "feast", ...(ORDERED ? (["asof-ordered", "feast-ordered"] as const) : [])]);
    const [mlf, asof, feast] = [m.get("mlf"), m.get("asof"), m.get("feast")];
    const fastest = (...runs: (Measure | Unfinished | undefined)[]) => Math.min(...runs.filter(done).map((r) => r.seconds));
    const best = fastest(asof, feast);
    const bestCpu = Math.min(...[asof, feast].filter(done).map((r) => r.cpuSeconds));
    const ratio = (x: number, y: number) => (done(mlf) && Number.isFinite(y) ? (x / y).toFixed(2) : "-");
    const inOrder = fastest(m.get("asof-ordered"), m.get("feast-ordered"));
    rows.push([
      `${shape.id} (${fmt(shape.entityRows)} x ${fmt(shape.featureRows)})`,
      secs(mlf),
      done(mlf) ? mlf.cpuSeconds.toFixed(2) : "-",
      done(mlf) ? mlf.peakMb : "-",
      secs(asof),
      secs(feast),
      ratio(done(mlf) ? mlf.seconds : 0, best),
      ratio(done(mlf) ? mlf.cpuSeconds : 0, bestCpu),
      ...(ORDERED ? [Number.isFinite(inOrder) ? inOrder.toFixed(2) : "-", ratio(done(mlf) ? mlf.seconds : 0, inOrder)] : []),
    ]);
    for (const [name, r] of [["ASOF", asof], ["Feast", feast]] as const) {
      if (!done(r) || !done(mlf)) continue;
      if (r.rows !== shape.entityRows) notes.push(`${shape.id}: the ${name} query returned ${fmt(r.rows)} rows for ${fmt(shape.entityRows)} entity rows (rows with equal timestamps repeat the entity row).`);
      else if (r.matched !== mlf.matched) notes.push(`${shape.id}: mlf matched ${fmt(mlf.matched)} rows, the ${name} query ${fmt(r.matched)}.`);
    }
    if (done(mlf) && mlf.rows !== shape.entityRows) notes.push(`${shape.id}: mlf returned ${fmt(mlf.rows)} rows for ${fmt(shape.entityRows)} entity rows.`);
    if (PROFILE && done(mlf)) notes.push(`profile ${shape.id} (s): ${mlf.phases!.map((p) => `${p.phase} ${p.seconds.toFixed(2)}`).join(", ")}`);
  }
  if (process.env.MLF_BENCH_LARGE === "1") {
    const shape = large();
    await generate(shape);
    const r = contest(shape, ["mlf"]).get("mlf");
    rows.push([`large (${fmt(shape.entityRows)} x ${fmt(shape.featureRows)})`, secs(r), done(r) ? r.cpuSeconds.toFixed(2) : "-", done(r) ? r.peakMb : "-", "-", "-", "-", "-", ...(ORDERED ? ["-", "-"] : [])]);
  } else notes.push("MLF_BENCH_LARGE=1 adds the 10M x 100M shape (mlf only).");
  notes.push(
    `${FULL ? "Full" : "Quick (a tenth of the full sizes; MLF_BENCH_FULL=1 for 20M feature rows)"}: DuckDB threads ${SETTINGS.threads}, memory_limit ${SETTINGS.memoryLimit}, output Parquet; min of ${ROUNDS} alternating runs, each its own process (peak = its max RSS). best = the faster hand-written query; ratio < 1 means mlf is faster.`,
  );
  if (ORDERED) notes.push("in order = the faster of both hand-written queries with an ORDER BY returning the entity rows' order, as mlf does.");
  const head = ["shape", "mlf s", "mlf CPU s", "mlf peak MB", "ASOF s", "Feast s", "mlf/best", "CPU mlf/best", ...(ORDERED ? ["best in order s", "mlf/best in order"] : [])];
  return { title: "get-historical vs hand-written DuckDB SQL (entity rows x feature rows)", head, rows, notes };
}

if (process.argv[2] === "--worker") {
  await worker(process.argv[3] as Contender, process.argv[4]!).catch((error: Error) => {
    if (!/max_temp_directory_size|temp(orary)? directory/i.test(error.message)) throw error;
    process.exit(SPILLED);
  });
}
