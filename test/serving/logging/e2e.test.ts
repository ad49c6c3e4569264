import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync, watch, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { listLogFiles, logFolder } from "../../../src/repo/feature-logs.js";
import { OfflineEngine } from "../../../src/offline/engine.js";
import { MLF, mlf } from "../../helpers.js";
import { driftRepo, referencePatients, shiftedPatients } from "./drift-fixture.js";
import { logDirOf, sample } from "./helpers.js";

/** `mlf serve` logging as users run it: a child process, signals, then `mlf monitor drift`. */

interface Serving {
  url: string;
  pid: number;
  exited: Promise<number | null>;
  stderr: () => string;
}

async function startServe(root: string, args: string[] = []): Promise<Serving> {
  const child = spawn(process.execPath, [MLF, "-C", root, "serve", "--port", "0", "--model", "cancer@champion", "--json", "-q", "--drift-interval", "0", ...args], { env: { ...process.env, TZ: "UTC", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code, signal) => r(code ?? (signal ? -1 : null))));
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) resolve((JSON.parse(out.split("\n")[0]!) as { url: string }).url);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { url, pid: child.pid!, exited, stderr: () => stderr };
}

async function predict(url: string, patients: number | number[]): Promise<number> {
  const res = await fetch(`${url}/predict`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "cancer", entities: { patient_id: patients } }) });
  await res.arrayBuffer();
  return res.status;
}

interface DriftJson {
  current: { rows: number };
  features: { test: string; drifted: boolean }[];
  dataset: { drift: boolean; drifted: number };
  model: { name: string; version: number };
}

test("served answers logged by mlf serve and flushed at SIGTERM: monitor drift finds no drift from the reference distribution, drift from a shifted one", async (t) => {
  const { repo } = await driftRepo(t);
  appendFileSync(join(repo.root, "feature_store.yaml"), "logging:\n  flush_seconds: 3600\n");

  const first = await startServe(repo.root);
  for (let i = 0; i < 300; i++) assert.equal(await predict(first.url, referencePatients[(i * 7) % 200]!), 200);
  process.kill(first.pid, "SIGTERM");
  assert.equal(await first.exited, 0, first.stderr());
  const calm = mlf(["-C", repo.root, "monitor", "drift", "--model", "cancer@champion", "--json"]);
  assert.equal(calm.status, 0, calm.stderr);
  const a = calm.json<DriftJson>();
  assert.deepEqual(a.model, { name: "cancer", version: 2 });
  assert.equal(a.current.rows, 300);
  assert.equal(a.features.length, 30);
  assert.ok(a.features.every((f) => f.test === "ks"));
  assert.equal(a.dataset.drift, false);
  assert.ok(a.dataset.drifted <= 3, `${a.dataset.drifted} features drifted by chance`);

  const between = new Date().toISOString();
  const second = await startServe(repo.root);
  // Batches of 4 rows: a batch is logged as 4 rows of one request.
  for (let i = 0; i < 50; i++) assert.equal(await predict(second.url, shiftedPatients.slice(i * 4, i * 4 + 4)), 200);
  process.kill(second.pid, "SIGTERM");
  assert.equal(await second.exited, 0, second.stderr());
  const shifted = mlf(["-C", repo.root, "monitor", "drift", "--model", "cancer@champion", "--since", between, "--json"]);
  assert.equal(shifted.status, 4, shifted.stderr);
  const b = shifted.json<DriftJson>();
  assert.equal(b.current.rows, 200);
  assert.equal(b.dataset.drift, true);
  assert.ok(b.dataset.drifted >= 25, `${b.dataset.drifted} features drifted`);
  // The two runs wrote separate files; the first run's rows are all still there.
  const all = mlf(["-C", repo.root, "monitor", "drift", "--model", "cancer@champion", "--json"]);
  assert.equal(all.json<DriftJson>().current.rows, 500);
});

test("the bundled CLI's drift gauges: bin/mlf serve forks the drift child beside its bundle and shows the shifted requests' drift on /metrics", async (t) => {
  const { repo } = await driftRepo(t);
  appendFileSync(join(repo.root, "feature_store.yaml"), "logging:\n  flush_seconds: 0.2\n");
  const serving = await startServe(repo.root, ["--drift-interval", "1s"]);
  try {
    for (let i = 0; i < 50; i++) assert.equal(await predict(serving.url, shiftedPatients.slice(i * 4, i * 4 + 4)), 200);
    // Recomputes run every second over what has been flushed; wait for one that saw all 200 rows.
    let text = "";
    const labels = { model: "cancer", version: "2" };
    for (const deadline = Date.now() + 60_000; sample(text, "mlf_drift_rows", labels) !== 200; ) {
      assert.doesNotMatch(serving.stderr(), /no drift gauge/);
      assert.ok(Date.now() < deadline, `no drift gauge over 200 rows within 60 s: ${serving.stderr().slice(-1000)}`);
      await new Promise((r) => setTimeout(r, 200));
      text = await (await fetch(`${serving.url}/metrics`)).text();
    }
    assert.equal(sample(text, "mlf_dataset_drift", labels), 1);
    assert.ok(sample(text, "mlf_feature_drift_score", { ...labels, feature: "cancer:mean_radius", test: "ks" })! < 0.05);
  } finally {
    process.kill(serving.pid, "SIGTERM");
    assert.equal(await serving.exited, 0, serving.stderr());
  }
});

test("kill -9 during a flush: every finished file reads whole, the half-written one is a dot-temp file the reader ignores", async (t) => {
  const { repo } = await driftRepo(t);
  // Frequent flushes of large batches: a flush is often under way.
  appendFileSync(join(repo.root, "feature_store.yaml"), "logging:\n  flush_seconds: 0.1\n");
  const serving = await startServe(repo.root);
  const folder = logFolder(logDirOf(repo), "models", "cancer");
  let answered = 0;
  let stop = false;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const batch = Array.from({ length: 200 }, (_, k) => ((k + i) % 400) + 1);
      if ((await predict(serving.url, batch).catch(() => 0)) === 200) answered++;
    }
  })();
  // Once a few files are finished, kill the moment a temp file appears in the hour folder.
  let caught = false;
  let duckdbLoaded: boolean | undefined;
  await new Promise<void>((resolve) => {
    let watcher: FSWatcher | undefined;
    const deadline = setTimeout(() => {
      clearInterval(poll);
      watcher?.close();
      resolve();
    }, 30_000);
    const poll = setInterval(() => {
      const day = existsSync(folder) ? readdirSync(folder)[0] : undefined;
      if (!day || listLogFiles(folder).length < 3) return;
      clearInterval(poll);
      watcher = watch(join(folder, day), (_event, name) => {
        // Events also come for the temp file's removal after a finished flush: only one that exists counts.
        if (!name?.startsWith(".") || !existsSync(join(folder, day, name))) return;
        // Frozen, the server cannot finish the flush between our look and the kill.
        process.kill(serving.pid, "SIGSTOP");
        if (!existsSync(join(folder, day, name))) return void process.kill(serving.pid, "SIGCONT");
        // Many flushes in, the server still has not loaded DuckDB: the writer is its own.
        duckdbLoaded = readFileSync(`/proc/${serving.pid}/maps`, "utf8").includes("duckdb");
        process.kill(serving.pid, "SIGKILL");
        caught = true;
        watcher!.close();
        clearTimeout(deadline);
        resolve();
      });
    }, 5);
  });
  assert.ok(caught, "no flush was under way within 30 s");
  assert.equal(duckdbLoaded, false);
  stop = true;
  await load;
  assert.equal(await serving.exited, -1);
  assert.ok(answered > 0);

  const day = join(folder, readdirSync(folder)[0]!);
  const names = readdirSync(day);
  const finished = listLogFiles(folder);
  const temps = names.filter((n) => n.startsWith("."));
  assert.equal(finished.length + temps.length, names.length, `only log files and temp files: ${names.join(", ")}`);
  assert.equal(temps.length, 1, "the flush under way left its temp file");
  // Every finished file reads whole: whole requests of 200 rows each.
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    let rows = 0;
    for (const file of finished) {
      const counts = await engine.rows(`SELECT request_id, count(*)::INTEGER AS n FROM read_parquet('${file}') GROUP BY ALL`);
      assert.ok(counts.length > 0 && counts.every((c) => c.n === 200), file);
      rows += counts.length * 200;
    }
    assert.ok(rows <= answered * 200);
  } finally {
    engine.close();
  }
  // mlf monitor drift reads the folder as it is.
  const report = mlf(["-C", repo.root, "monitor", "drift", "--model", "cancer@champion", "--json"]);
  assert.ok(report.status === 0 || report.status === 4, report.stderr);
  assert.equal(report.json<DriftJson>().current.rows, await countRows(finished));
});

async function countRows(files: string[]): Promise<number> {
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    const [row] = await engine.rows(`SELECT count(*)::INTEGER AS n FROM read_parquet([${files.map((f) => `'${f}'`).join(", ")}])`);
    return row!.n as number;
  } finally {
    engine.close();
  }
}
