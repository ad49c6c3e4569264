import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root (this file runs from dist/scripts/demo/). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const MLF_BIN = join(PACKAGE_ROOT, "bin", "mlf");

/** The environment every spawned mlf gets: UTC, no colours, no spinners. */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, TZ: "UTC", NO_COLOR: "1", ...extra };
}

/**
 * Runs `bin/mlf ARGS --json` as a user would and returns its parsed stdout; a non-zero exit
 * throws with mlf's own message (its stderr), so the demo stops at the first failing step.
 */
export function mlfJson<T = unknown>(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): T {
  const stdout = mlfText([...args, "--json"], options);
  try {
    return JSON.parse(stdout) as T;
  } catch {
    throw new Error(`mlf ${args.join(" ")} printed no JSON: ${stdout.slice(0, 200)}`);
  }
}

/** Runs `bin/mlf ARGS` and returns its stdout (throws on a non-zero exit). */
export function mlfText(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const result = spawnSync(process.execPath, [MLF_BIN, ...args], {
    cwd: options.cwd ?? PACKAGE_ROOT,
    env: env(options.env),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const message = (result.stderr || result.stdout || String(result.error ?? "")).trim();
    throw new Error(`mlf ${args.join(" ")} exited with ${result.status}: ${message}`);
  }
  return result.stdout;
}

/** A free TCP port on loopback (the server binds it right after; a race is possible but rare). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface Served {
  url: string;
  child: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts `mlf serve` and waits until GET /ready answers 200 (or the process dies). */
export async function startServe(repo: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Served> {
  const port = await freePort();
  const child = spawn(process.execPath, [MLF_BIN, "-C", repo, "serve", "--host", "127.0.0.1", "--port", String(port), ...args], {
    cwd: options.cwd ?? PACKAGE_ROOT,
    env: env(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mlf serve exited with ${child.exitCode}: ${output.trim()}`);
    try {
      const response = await fetch(`${url}/ready`);
      if (response.status === 200) return { url, child, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`mlf serve was not ready within ${(options.timeoutMs ?? 30_000) / 1000} s: ${output.trim()}`);
}

/** POSTs JSON and returns the status and parsed body. */
export async function postJson<T = unknown>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as T };
}
