import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { setAlias } from "../src/models/lifecycle.js";
import { registerModel } from "../src/models/register.js";
import { MLF } from "../test/helpers.js";
import { variantBytes } from "../test/serving/models.js";
import { featureRefs, patientIds, writeCancerRepo } from "../test/serving/repo.js";
import type { BenchTable } from "./run.js";
import { median } from "./stats.js";
import { cpuMs, startChild, stop } from "./http-load.js";
import { ModelPool } from "../src/serving/model-pool.js";
import { modelSource } from "../src/serving/model-registry-source.js";
import { Routing } from "../src/serving/routing/routing.js";
import { parseRouteFlag } from "../src/serving/routing/spec.js";
import { RoutingState } from "../src/serving/routing/state.js";
import type { PredictBody } from "../src/serving/schemas.js";

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
const autocannon = createRequire(import.meta.url)("autocannon") as (options: Record<string, unknown>) => Promise<AutocannonResult>;

const SECONDS = 3;
const ROUNDS = 5;
const CONNECTIONS = 16;

/** Each contender is `mlf serve` with the same champion; the routed ones add a challenger of the same size. */
const contenders: [string, string[]][] = [
  ["plain /predict (no route)", []],
  ["canary 50%", ["--route", "cancer:canary=cancer@challenger:50%"]],
  ["bandit, 2 variants", ["--route", "cancer:bandit=cancer@challenger"]],
  ["shadow 100%", ["--route", "cancer:shadow=cancer@challenger"]],
];

interface Round {
  rps: number;
  p99: number;
  non2xx: number;
  cpuUs: number;
}

/** One measured run: the 30 stored patients in turn on every connection (so the routed servers split them between variants). */
async function measure(url: string, pid: number | undefined, seconds: number): Promise<Round> {
  const requests = patientIds.map((id) => ({ method: "POST", path: "/predict", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "cancer", entities: { patient_id: id } }) }));
  const before = cpuMs([pid]);
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds, requests });
  const after = cpuMs([pid]);
  return { rps: Math.round(r.requests.average), p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts, cpuUs: before === undefined || after === undefined ? Number.NaN : ((after - before) * 1000) / r.requests.total };
}

/**
 * The routing layer alone, in this process: CPU µs per request of Routing.predict around a
 * scorer that answers at once, minus that of ModelPool.use around the same scorer (what an
 * unrouted /predict does). Blocks of requests alternate between the two; the median block
 * difference is reported. Steadier than the servers' difference, which is a few µs inside
 * their noise.
 */
async function routingLayer(dir: string, trackingDir: string, flag: string): Promise<number> {
  const pool = new ModelPool([modelSource(trackingDir, "cancer@champion")]);
  const spec = parseRouteFlag(flag);
  const routing = new Routing([{ spec, sources: spec.challengers.map((c) => modelSource(trackingDir, c.uri)) }], pool, new RoutingState(join(dir, `layer-${spec.mode}.db`)), () => {});
  await pool.refresh();
  routing.start();
  const route = routing.route("cancer")!;
  const bodies: PredictBody[] = patientIds.map((id) => ({ model: "cancer", entities: { patient_id: id } }));
  const score = async () => [0.5];
  let n = 0;
  const block = async (routed: boolean) => {
    const before = process.cpuUsage();
    for (let i = 0; i < 5000; i++, n++) {
      const body = bodies[n % bodies.length]!;
      if (routed) await routing.predict(route, `req-${n}`, body, 1, score);
      else await pool.use("cancer", score);
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 5000;
  };
  const differences: number[] = [];
  for (let b = 0; b < 12; b++) {
    const plain = await block(false);
    differences.push((await block(true)) - plain);
  }
  await routing.close();
  await pool.close();
  return median(differences.slice(2));
}

export async function run(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), "mlf-bench-routing-"));
  const servers: { name: string; child: ChildProcess; url: string }[] = [];
  try {
    const { trackingDir } = await writeCancerRepo(dir);
    writeFileSync(join(dir, "challenger.onnx"), variantBytes({ interceptShift: 1 }));
    await registerModel(trackingDir, "cancer", { file: join(dir, "challenger.onnx"), features: featureRefs });
    setAlias(trackingDir, "cancer", "champion", 1);
    setAlias(trackingDir, "cancer", "challenger", 2);
    const env = { ...process.env, MLF_TRACKING_DIR: trackingDir };
    for (const [i, [name, flags]] of contenders.entries()) {
      const args = [MLF, "-C", dir, "serve", "--port", "0", "--model", "cancer@champion", "--routing-db", join(dir, `routing-${i}.db`), "--json", "-q", ...flags];
      servers.push({ name, ...(await startChild(process.execPath, args, env)) });
    }
    // Warm-up, then rounds that alternate the contenders, so a change of the machine's load
    // meanwhile touches each of them alike; the median round is reported.
    for (const s of servers) await measure(s.url, s.child.pid, 1);
    const rounds = new Map<string, Round[]>(servers.map((s) => [s.name, []]));
    for (let r = 0; r < ROUNDS; r++) for (const s of servers) rounds.get(s.name)!.push(await measure(s.url, s.child.pid, SECONDS));
    const base = median(rounds.get(contenders[0]![0])!.map((x) => x.cpuUs));
    const rows: (string | number)[][] = servers.map((s) => {
      const all = rounds.get(s.name)!;
      const cpu = median(all.map((x) => x.cpuUs));
      return [s.name, median(all.map((x) => x.rps)), median(all.map((x) => x.p99)), all.reduce((n, x) => n + x.non2xx, 0), Math.round(cpu), all.map((x) => Math.round(x.cpuUs)).join(" / "), `${cpu >= base ? "+" : ""}${(((cpu - base) / base) * 100).toFixed(1)}%`];
    });
    for (const flag of ["cancer:canary=cancer@challenger:50%", "cancer:bandit=cancer@challenger"]) {
      const us = await routingLayer(dir, trackingDir, flag);
      rows.push([`routing layer alone, in-process (${flag.split(":")[1]!.split("=")[0]})`, "", "", "", us.toFixed(2), "", `+${((us / base) * 100).toFixed(1)}%`]);
    }
    return {
      title: `Routing overhead: /predict on 30 stored patients, autocannon ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per server (median round), each server in its own process`,
      head: ["server", "req/s", "p99 ms", "non-2xx", "server CPU µs/req", "per round", "CPU vs plain"],
      rows,
      notes: [
        "The routed servers answer each request from the variant its patient hashes to (canary, bandit: about half each; both versions are the same size, so the model work is the same); the difference in server CPU per request is routing's own cost: hashing the key, picking the band, the feedback window, the per-version metrics and guard-rail windows. Budget: +5%.",
        "Shadow is not routing overhead: the challenger scores every request a second time (off the response path, in the same process), so its CPU per request is about one more feature read and model run.",
        "CPU per request comes from /proc (10 ms ticks) and is the steady figure on a shared machine; req/s moves with whatever else runs. The last rows measure the routing layer's own CPU per request in-process (process.cpuUsage, blocks of 5,000 alternating with unrouted calls) and give it as a share of the plain server's CPU per request.",
      ],
    };
  } finally {
    for (const s of servers) await stop(s.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
