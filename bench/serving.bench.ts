import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { setAlias } from "../src/models/lifecycle.js";
import { MLF } from "../test/helpers.js";
import { expected } from "../test/serving/helpers.js";
import { patientIds, writeCancerRepo } from "../test/serving/repo.js";
import type { BenchTable } from "./run.js";

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
const autocannon = createRequire(import.meta.url)("autocannon") as (options: Record<string, unknown>) => Promise<AutocannonResult>;

const SECONDS = 5;
const CONNECTIONS = 32;

/** The floor: a bare node:http server answering one fixed JSON body to every request. */
const FLOOR = `
const http = require("node:http");
const body = Buffer.from(process.argv[1]);
const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => { res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": body.length }); res.end(body); });
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ url: "http://127.0.0.1:" + server.address().port })));
`;

/** Starts a child process that prints a JSON line with `url` on stdout once it listens. */
export function startChild(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "ignore"], env });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n").find((l) => l.includes('"url"'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.on("exit", (code) => reject(new Error(`${command} exited with ${code} before listening`)));
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await done;
}

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** Server CPU time per request in µs: steadier than req/s on a machine shared with other work. */
  cpuUs: number | string;
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux; 100 ticks per second). */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

export async function load(url: string, body: string, pid: number | undefined): Promise<Load> {
  const options = { url, method: "POST" as const, body, headers: { "content-type": "application/json" }, connections: CONNECTIONS };
  await autocannon({ ...options, duration: 1 }); // warm-up: JIT, caches, prepared statements
  const before = cpuMs(pid);
  const r = await autocannon({ ...options, duration: SECONDS });
  const after = cpuMs(pid);
  const total = r.requests.average * SECONDS;
  const cpuUs = before === undefined || after === undefined || total === 0 ? "n/a" : Math.round(((after - before) * 1000) / total);
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts, cpuUs };
}

export async function run(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), "mlf-bench-serving-"));
  try {
    const { trackingDir } = await writeCancerRepo(dir);
    setAlias(trackingDir, "cancer", "champion", 1);
    const mlf = await startChild(process.execPath, [MLF, "-C", dir, "serve", "--port", "0", "--model", "cancer@champion", "--json", "-q"], { ...process.env, MLF_TRACKING_DIR: trackingDir });
    const cases = {
      "/get-online-features 1 x 10": { path: "/get-online-features", body: JSON.stringify({ features: expected.feature_names.slice(0, 10).map((f) => `cancer:${f}`), entities: { patient_id: [patientIds[3]] } }) },
      "/predict (30 features, reference model)": { path: "/predict", body: JSON.stringify({ model: "cancer", entities: { patient_id: patientIds[3] } }) },
    };
    const rows: (string | number)[][] = [];
    try {
      for (const [name, c] of Object.entries(cases)) {
        const sample = await fetch(mlf.url + c.path, { method: "POST", headers: { "content-type": "application/json" }, body: c.body });
        const answer = await sample.text();
        if (sample.status !== 200) throw new Error(`${c.path} answered ${sample.status}: ${answer}`);
        const floor = await startChild(process.execPath, ["-e", FLOOR, answer]);
        const base = await load(floor.url + c.path, c.body, floor.child.pid).finally(() => stop(floor.child));
        const ours = await load(mlf.url + c.path, c.body, mlf.child.pid);
        rows.push([name, "node:http floor", base.rps, base.p50, base.p99, base.non2xx, base.cpuUs]);
        rows.push([name, "mlf serve", ours.rps, ours.p50, ours.p99, ours.non2xx, ours.cpuUs]);
        rows.push([name, "mlf / floor", `${Math.round((ours.rps / base.rps) * 100)}%`, "", "", "", ""]);
      }
    } finally {
      await stop(mlf.child);
    }
    return {
      title: `Serving: autocannon, ${CONNECTIONS} connections, ${SECONDS} s per case (after 1 s warm-up), server in its own process`,
      head: ["case", "server", "req/s", "p50 ms", "p99 ms", "non-2xx", "server CPU µs/req"],
      rows,
      notes: ["autocannon runs in the bench process; each server runs in its own process, so on a 2-core machine client and server share the CPUs (and req/s moves with whatever else runs); the CPU column is the server's own cost per answer.", "The floor is a bare node:http server answering the same bytes mlf answered for that request. Goals: get-online-features >= 50% of the floor with p99 <= 5 ms; predict p99 <= 10 ms; zero non-2xx."],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
