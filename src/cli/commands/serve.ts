import type { Command } from "commander";
import { MlfError } from "../../errors.js";
import { collect, globalOptions, numberFlag as number } from "../context.js";
import { printJson } from "../render.js";

interface ServeFlags {
  host: string;
  port: string;
  model?: string[];
  trackingDir?: string;
  route?: string[];
  routingDb?: string;
  pollInterval: string;
  bodyLimit: string;
  timeout: string;
  logFeatures?: boolean;
  driftInterval: string;
  driftWindow: string;
}

/** A duration flag (`10m`, `24h`, `0`) in seconds. */
async function durationFlag(flag: string, text: string, min = 0): Promise<number> {
  const { parseDurationSeconds } = await import("../../util/time.js");
  const seconds = parseDurationSeconds(text);
  if (seconds === undefined || seconds < min) throw new MlfError("usage", `${flag} must be a duration such as 30s, 10m or 24h${min === 0 ? " (0 disables)" : ""}, not "${text}".`);
  return seconds;
}

/**
 * A log that writes its JSON lines in one write per event-loop turn. Writing to a pipe or a
 * file is a blocking system call on Linux; one per request cost more CPU than answering the
 * request and woke the log reader every time. Lines still leave within the turn they were
 * logged in, and whatever is pending is written when the process exits.
 */
function bufferedLog(write: (text: string) => void): (record: Record<string, unknown>) => void {
  let pending = "";
  const flush = () => {
    if (pending === "") return;
    const text = pending;
    pending = "";
    write(text);
  };
  process.once("exit", flush);
  // Many lines share a millisecond under load; format its time once.
  let lastMs = 0;
  let lastTime = "";
  return (record) => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastTime = new Date(now).toISOString();
    }
    if (pending === "") setImmediate(flush);
    pending += `${JSON.stringify({ time: lastTime, ...record })}\n`;
  };
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("HTTP feature and model server: Feast's online routes, /predict, MLflow's /invocations, hot swap")
    .option("--host <host>", "interface to bind (loopback unless told otherwise)", "127.0.0.1")
    .option("--port <port>", "TCP port (0 = any free port)", "8000")
    .option("--model <uri>", "model to serve: NAME@ALIAS, NAME/VERSION, models:/NAME/Production or a file (repeatable)", collect)
    .option("--tracking-dir <dir>", "tracking folder holding models/ (default: $MLF_TRACKING_DIR, else the repository's tracking.path, else ./mlruns)")
    .option("--route <route>", "share a model's traffic with challengers: MODEL:canary=REF:5%, MODEL:shadow=REF, MODEL:bandit=REF[,REF...] (repeatable)", collect)
    .option("--routing-db <file>", "where routes keep rewards, shares and history (default: data/routing.db beside the online store)")
    .option("--poll-interval <seconds>", "re-resolve model aliases and the feature registry this often (0 = only on /admin/reload)", "5")
    .option("--body-limit <mib>", "largest request body in MiB", "8")
    .option("--timeout <seconds>", "answer 503 to a request not done in this time", "10")
    .option("--log-features", "log every /predict and feature service answer to data/logs, even without a logging: block in feature_store.yaml")
    .option("--no-log-features", "log no answers, whatever feature_store.yaml says")
    .option("--drift-interval <duration>", "recompute the drift gauges of logged models this often (0 = never)", "10m")
    .option("--drift-window <duration>", "the drift gauges compare the logs of this last period with the reference", "24h")
    .action(async (flags: ServeFlags, command: Command) => {
      const g = globalOptions(command);
      const options = {
        host: flags.host,
        port: number("--port", flags.port, 0),
        pollSeconds: number("--poll-interval", flags.pollInterval, 0),
        bodyLimitBytes: Math.round(number("--body-limit", flags.bodyLimit, 0.001) * 1024 * 1024),
        requestTimeoutMs: Math.round(number("--timeout", flags.timeout, 0.001) * 1000),
        ...(flags.logFeatures !== undefined && { logFeatures: flags.logFeatures }),
        driftIntervalSeconds: await durationFlag("--drift-interval", flags.driftInterval),
        driftWindowSeconds: await durationFlag("--drift-window", flags.driftWindow, 1),
      };
      const { openServing } = await import("../../serving/open.js");
      // Structured logs: one JSON object per line on stderr; --quiet drops the per-request lines.
      const log = bufferedLog((text) => process.stderr.write(text));
      const server = await openServing({ ...options, ...(g.repo !== undefined && { repoDir: g.repo }), ...(flags.trackingDir !== undefined && { trackingDir: flags.trackingDir }), models: flags.model ?? [], routes: flags.route ?? [], ...(flags.routingDb !== undefined && { routingDb: flags.routingDb }), log, logRequests: !g.quiet });
      const stopped = new Promise<void>((resolve) => {
        // Graceful: stop accepting, let in-flight requests finish, release models and stores.
        const stop = (signal: string) => {
          log({ level: "info", msg: "shutting down", signal });
          void server.close().then(resolve);
        };
        process.once("SIGTERM", () => stop("SIGTERM"));
        process.once("SIGINT", () => stop("SIGINT"));
      });
      // Announced only once a SIGTERM sent on reading this line is handled gracefully.
      if (g.json) printJson({ url: server.url, models: server.pool.status(), routes: server.routing?.status() ?? [] });
      await stopped;
    });
}
