import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setAlias } from "../src/models/lifecycle.js";
import { registerMonitoredModel } from "../src/monitor/register.js";
import { random } from "../src/util/random.js";
import { fixture } from "../test/explain/helpers.js";
import { MLF } from "../test/helpers.js";
import { diabetesIds, diabetesNames, diabetesRefs, diabetesRows, writeDiabetesRepo } from "../test/serving/diabetes-repo.js";
import { cpuMs, startChild, stop } from "./http-load.js";
import type { BenchTable } from "./run.js";
import { quantile } from "./stats.js";

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One POST on the kept-alive connection; resolves with the status once the body is read. */
function postOnce(url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * `calls` requests one after another (after calls/10 warm-up ones, which also build the
 * explainer): p50/p99 wall ms as the caller sees them, and the server's CPU per request.
 */
async function latency(url: URL, body: string, calls: number, pid: number | undefined): Promise<(string | number)[]> {
  for (let i = 0; i < Math.max(5, calls / 10); i++) if ((await postOnce(url, body)) !== 200) throw new Error(`${url.pathname} failed`);
  const times: number[] = [];
  let failed = 0;
  const before = cpuMs([pid]);
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    if ((await postOnce(url, body)) !== 200) failed++;
    times.push(performance.now() - t0);
  }
  const after = cpuMs([pid]);
  times.sort((a, b) => a - b);
  const cpu = before === undefined || after === undefined ? "n/a" : Math.round(((after - before) * 1000) / calls);
  return [quantile(times, 0.5).toFixed(2), quantile(times, 0.99).toFixed(2), failed, cpu];
}

/** A 500-row reference as the reference sample of a larger training set holds: the 120 rows drawn with replacement. */
function writeLargeReference(path: string): void {
  const next = random(7);
  const rows = Array.from({ length: 500 }, () => diabetesRows[Math.floor(next() * diabetesRows.length)]!);
  writeFileSync(path, [diabetesNames.join(","), ...rows.map((r) => r.map(String).join(","))].join("\n") + "\n");
}

/**
 * /explain beside /predict over HTTP on the same served model and entity, one request at a
 * time: the latency a caller sees, not throughput under load. `mlf serve` runs in its own
 * process; the client is a keep-alive node:http connection in this one.
 */
export async function run(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), "mlf-bench-explain-"));
  try {
    const { trackingDir } = await writeDiabetesRepo(dir);
    setAlias(trackingDir, "diabetes", "champion", 1);
    writeLargeReference(join(dir, "data", "reference500.csv"));
    await registerMonitoredModel(trackingDir, "forest500", { file: fixture("diabetes_forest").path, features: diabetesRefs, reference: join(dir, "data", "reference500.csv") });
    const models = ["diabetes@champion", "forest500/1", "mlp/1"].flatMap((m) => ["--model", m]);
    const mlf = await startChild(process.execPath, [MLF, "-C", dir, "serve", "--port", "0", ...models, "--json", "-q"], { ...process.env, MLF_TRACKING_DIR: trackingDir });
    const body = (model: string) => JSON.stringify({ model, entities: { patient_id: diabetesIds[3] } });
    const cases: [string, string, string, number][] = [
      ["/predict, forest (25 trees depth 6, 10 features)", "/predict", body("diabetes"), 2000],
      ["/explain, forest: TreeSHAP, 120-row reference", "/explain", body("diabetes"), 2000],
      ["/explain, forest: TreeSHAP, 500-row reference", "/explain", body("forest500"), 1000],
      ["/predict, MLP 10-16-1", "/predict", body("mlp"), 2000],
      ["/explain, MLP: KernelSHAP, 1022 coalitions x 50 rows", "/explain", body("mlp"), 100],
    ];
    const rows: (string | number)[][] = [];
    try {
      for (const [name, path, payload, calls] of cases) rows.push([name, calls, ...(await latency(new URL(path, mlf.url), payload, calls, mlf.child.pid))]);
    } finally {
      agent.destroy();
      await stop(mlf.child);
    }
    return {
      title: "Explanations over HTTP: sequential requests on one keep-alive connection, mlf serve in its own process (ms)",
      head: ["case", "requests", "p50", "p99", "failed", "server CPU µs/req"],
      rows,
      notes: [
        "Each /explain answers the prediction /predict gives (onnxruntime) plus one attribution per feature: the gap between a /predict row and the /explain rows under it is the explanation's cost. The first requests (warm-up, not timed) build the version's explainer.",
        "TreeSHAP measures against the version's whole reference sample (the training file's rows, at most 500), so its cost grows with it; KernelSHAP uses a seeded 50-row subsample. Goal: /explain on the forest p99 under 20 ms.",
        `Machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end of the run (shared with other work: p99 wall times move with it; the CPU column does not).`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
