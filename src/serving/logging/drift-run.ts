import { fork } from "node:child_process";
import { setPriority } from "node:os";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MlfError, errorCodes, type ErrorCode } from "../../errors.js";
import type { OfflineStoreConfig } from "../../repo/types.js";

/**
 * One recompute: `mlf monitor drift --model MODEL --since SINCE` on the server's logs (a
 * DriftRequest of src/monitor/model-drift.ts, which the child checks it fits).
 */
export interface GaugeRequest {
  /** `NAME/VERSION`. */
  model: string;
  trackingDir: string;
  logDir: string;
  /** Epoch ms. */
  since?: number;
  offline?: OfflineStoreConfig;
}

/** What the drift gauges show of one report (summarized by the child): numbers only, no histograms. */
export interface DriftSummary {
  rows: number;
  features: { name: string; test: string | null; score: number | null; threshold: number | null; drifted: boolean; missingShare: number; outsideMaxAgeShare: number | null }[];
  prediction: { test: string | null; score: number | null; drifted: boolean } | null;
  dataset: { share: number; drift: boolean };
}

/**
 * The child's script, src/monitor/drift-child.ts: under dist/ as tsc compiled it, or beside
 * the CLI bundle (dist/bundle/mlf.cjs, which bin/mlf runs and where import.meta.url is the
 * bundle's) as drift-child.cjs, which scripts/bundle.mjs builds with it.
 */
function childScript(): string {
  const here = fileURLToPath(import.meta.url);
  return extname(here) === ".cjs" ? join(dirname(here), "drift-child.cjs") : fileURLToPath(new URL("../../monitor/drift-child.js", import.meta.url));
}

/** The line of a crashed child's stderr that says what went wrong (Node ends it with its version). */
function crashLine(stderr: string): string {
  const lines = stderr.trim().split("\n");
  return lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.at(-1) ?? "";
}

type Reply = { summary: DriftSummary } | { error: { code: string; message: string } };

/**
 * Runs `mlf monitor drift` (monitorDrift) in a child process at the lowest CPU priority and
 * returns its summary. Not in the server's thread: the tests in JavaScript would hold its
 * event loop for up to a tenth of a second. Not in a worker thread either: a worker shares the
 * process's CPU priority, memory and libuv threadpool (where DuckDB runs its queries), so on
 * a small machine a recompute took most of the CPU from requests, and running out of memory
 * would take the server down with it. `signal` kills the child (server shutdown).
 */
export function driftInChild(request: GaugeRequest, signal?: AbortSignal): Promise<DriftSummary> {
  return new Promise((resolve, reject) => {
    const child = fork(childScript(), [], { execArgv: [], serialization: "advanced", stdio: ["ignore", "ignore", "pipe", "ipc"] });
    try {
      setPriority(child.pid!, 19);
    } catch {
      // Not allowed on this system: it runs at the server's priority.
    }
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const abort = () => void child.kill();
    signal?.addEventListener("abort", abort, { once: true });
    let reply: Reply | undefined;
    child.once("message", (message: Reply) => (reply = message));
    child.once("error", (error) => reject(error));
    child.once("exit", (code) => {
      signal?.removeEventListener("abort", abort);
      if (reply && "summary" in reply) resolve(reply.summary);
      else if (reply) reject(new MlfError(reply.error.code in errorCodes ? (reply.error.code as ErrorCode) : "runtime", reply.error.message));
      else reject(new MlfError("runtime", signal?.aborted ? "The drift computation was stopped." : `The drift computation exited with code ${code}: ${crashLine(stderr)}`));
    });
    child.send(request);
  });
}
