import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { RedisOnlineStoreConfig } from "../src/repo/types.js";

/**
 * A real redis-server for tests and benchmarks: started on a free loopback port with its own
 * temp folder and no persistence, stopped (and its folder removed) by `stop`, when the test
 * ends (`redisServer(t)`), or at the latest when this process exits.
 */
export interface RedisServer {
  host: "127.0.0.1";
  port: number;
  /** The redis-server process, for benches that count its CPU time. */
  pid: number;
  password?: string;
  /** An online_store config for this server (db 0 unless given). */
  config(extra?: Partial<RedisOnlineStoreConfig>): RedisOnlineStoreConfig;
  /** The same as an `online_store:` block of feature_store.yaml, ending with a newline. */
  yaml(extra?: string[]): string;
  stop(): Promise<void>;
}

/** The redis-server executable in `dirs` (PATH, then Debian's folders), or a clear error. */
export function redisServerPath(dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/usr/sbin"]): string {
  for (const dir of dirs) {
    const path = join(dir, "redis-server");
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  throw new Error("redis-server is not installed: the Redis tests start a real one on a free loopback port; install it (apt-get install redis-server) and run again.");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

async function launch(binary: string, dir: string, port: number, password: string | undefined): Promise<ChildProcess | undefined> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", ""];
  if (password !== undefined) args.push("--requirepass", password);
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let log = "";
  const ready = await new Promise<boolean>((resolve) => {
    child.stdout!.on("data", (data: Buffer) => {
      log += data.toString();
      if (log.includes("Ready to accept connections")) resolve(true);
    });
    child.once("exit", () => resolve(false));
    child.once("error", () => resolve(false));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  if (ready) return child;
  running.delete(child);
  // Another process took the port between freePort and the bind: the caller tries another.
  if (/Address already in use/i.test(log)) return undefined;
  throw new Error(`redis-server did not start on 127.0.0.1:${port}: ${log.trim().split("\n").slice(-3).join(" ")}`);
}

export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  const binary = redisServerPath();
  const dir = mkdtempSync(join(tmpdir(), "mlf-redis-"));
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = await launch(binary, dir, port, options.password);
    if (!child) continue;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return {
      host: "127.0.0.1",
      port,
      pid: child.pid!,
      ...(options.password !== undefined && { password: options.password }),
      config: (extra = {}) => ({
        type: "redis",
        host: "127.0.0.1",
        port,
        db: 0,
        tls: false,
        connectTimeoutMs: 2000,
        ...(options.password !== undefined && { password: options.password }),
        ...extra,
      }),
      yaml: (extra = []) =>
        ["online_store:", "  type: redis", `  connection_string: "127.0.0.1:${port}"`, ...(options.password !== undefined ? [`  password: ${JSON.stringify(options.password)}`] : []), ...extra.map((l) => `  ${l}`)].join("\n") + "\n",
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          await exited;
        }
        running.delete(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error("redis-server could not bind a free loopback port in 5 attempts.");
}

/** A server for one test, stopped when the test ends. */
export async function redisServer(t: { after(fn: () => Promise<void> | void): void }, options: { password?: string } = {}): Promise<RedisServer> {
  const server = await startRedis(options);
  t.after(() => server.stop());
  return server;
}
