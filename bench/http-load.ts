import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** HTTP load for the serving benches: autocannon against a server in its own process. */

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
const autocannon = createRequire(import.meta.url)("autocannon") as (options: Record<string, unknown>) => Promise<AutocannonResult>;

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
  /** CPU time of the server processes per request in µs: steadier than req/s on a machine shared with other work. */
  cpuUs: number | string;
}

/** CPU time (user + system) processes have used, in ms, from /proc (Linux; 100 ticks per second). */
export function cpuMs(pids: (number | undefined)[]): number | undefined {
  try {
    let total = 0;
    for (const pid of pids) {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      total += (Number(fields[11]) + Number(fields[12])) * 10;
    }
    return total;
  } catch {
    return undefined;
  }
}

/** POSTs `body` to `url` for `run.seconds` after a 1 s warm-up; `pids` are the processes whose CPU the answers cost. */
export async function load(url: string, body: string, pids: (number | undefined)[], run: { connections: number; seconds: number }): Promise<Load> {
  const options = { url, method: "POST" as const, body, headers: { "content-type": "application/json" }, connections: run.connections };
  await autocannon({ ...options, duration: 1 }); // warm-up: JIT, caches, prepared statements
  const before = cpuMs(pids);
  const r = await autocannon({ ...options, duration: run.seconds });
  const after = cpuMs(pids);
  const total = r.requests.average * run.seconds;
  const cpuUs = before === undefined || after === undefined || total === 0 ? "n/a" : Math.round(((after - before) * 1000) / total);
  return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts, cpuUs };
}

