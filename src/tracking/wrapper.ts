import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { constants } from "node:os";
import { resolve } from "node:path";
import { MlfError } from "../errors.js";
import { feastLineageTags, type FeastLineage } from "./feast-lineage.js";
import { HEARTBEAT_INTERVAL_MS } from "./liveness.js";
import type { RunInfo, RunStatus } from "./types.js";
import { endRun, heartbeat, logArtifact, setTag, startRun } from "./write.js";

/** What `mlf track run` records around a command. */
export interface TrackedCommand {
  /** The command and its arguments (no shell). */
  command: string[];
  experiment?: string;
  runName?: string;
  params?: Record<string, string>;
  /** Files whose sha256 is recorded (tag `mlf.inputs`) before the command starts. */
  inputs?: string[];
  /** Files or folders logged as artifacts after the command ends (missing ones become warnings). */
  artifacts?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The feature registry version to record (tag `mlf.feature_registry.version`), when run inside a repository. */
  featureRegistryVersion?: number;
  /** The features the command trains on: written as Feast's lineage tags (`feast.feature_service`, ...). */
  lineage?: FeastLineage;
  /** More tags for the run, set when it starts (e.g. `mlflow.parentRunId` for a nested run). */
  tags?: Record<string, string>;
  /** A file descriptor that receives the command's stdout and stderr; default: this process's own. */
  outputFd?: number;
  /** Stop the command (SIGTERM, then SIGKILL 5 s later) after this many ms; the run ends KILLED. */
  timeoutMs?: number;
  /** Heartbeat refresh period in ms. */
  heartbeatMs?: number;
  /** Called once the run exists, before the command starts. */
  onStart?: (run: RunInfo) => void;
}

export interface TrackedResult {
  run: RunInfo;
  status: RunStatus;
  /** The command's exit code, or null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when the command was stopped because it ran longer than `timeoutMs`. */
  timedOut: boolean;
  /** Wall time of the command in ms. */
  durationMs: number;
  warnings: string[];
}

/** sha256 (hex) of a file's bytes, read as a stream (training sets can be large). */
export async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** HEAD commit and whether the work tree has uncommitted changes; undefined outside git. */
export function gitState(cwd: string): { commit: string; dirty: boolean } | undefined {
  const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd, encoding: "utf8" });
  if (head.status !== 0) return undefined;
  const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd, encoding: "utf8" });
  return { commit: head.stdout.trim(), dirty: status.status === 0 && status.stdout.trim() !== "" };
}

/** Shell-style quoting, for the recorded command line only (the command itself runs without a shell). */
const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);

/** The exit status a shell reports for a command ended by `signal`. */
export const signalExitCode = (signal: NodeJS.Signals) => 128 + (constants.signals[signal] ?? 0);

/**
 * Runs a command as a tracked run: records the command, git commit and dirty flag, feature
 * registry version and input digests; the child sees MLF_RUN_ID and MLF_TRACKING_DIR. SIGINT
 * and SIGTERM sent to this process are forwarded to the child. The run ends FINISHED (exit 0),
 * FAILED (non-zero exit) or KILLED (ended by a signal).
 */
export async function runTracked(root: string, options: TrackedCommand): Promise<TrackedResult> {
  if (options.command.length === 0) throw new MlfError("usage", "No command to run; put it after --, e.g. mlf track run -- python train.py.");
  const cwd = options.cwd ?? process.cwd();
  const inputs: { path: string; sha256: string; bytes: number }[] = [];
  for (const input of options.inputs ?? []) {
    const path = resolve(cwd, input);
    if (!existsSync(path) || !statSync(path).isFile()) throw new MlfError("file_not_found", `The input ${input} does not exist or is not a file; pass an existing file to --input.`);
    inputs.push({ path: input, sha256: await sha256(path), bytes: statSync(path).size });
  }
  const git = gitState(cwd);
  const commandLine = options.command.map(quote).join(" ");
  const tags: Record<string, string> = {
    "mlf.command": commandLine,
    ...(git && { "mlflow.source.git.commit": git.commit, "mlf.git.dirty": String(git.dirty) }),
    ...(options.featureRegistryVersion !== undefined && { "mlf.feature_registry.version": String(options.featureRegistryVersion) }),
    ...(options.lineage && feastLineageTags(options.lineage)),
    ...(inputs.length > 0 && { "mlf.inputs": JSON.stringify(inputs) }),
    ...options.tags,
  };
  const run = startRun(root, {
    ...(options.experiment !== undefined && { experiment: options.experiment }),
    ...(options.runName !== undefined && { runName: options.runName }),
    ...(options.params && { params: options.params }),
    sourceName: commandLine,
    tags,
  });
  heartbeat(root, run);
  options.onStart?.(run);

  const started = Date.now();
  const child = spawn(options.command[0]!, options.command.slice(1), {
    cwd,
    stdio: options.outputFd === undefined ? "inherit" : ["ignore", options.outputFd, options.outputFd],
    env: { ...(options.env ?? process.env), MLF_RUN_ID: run.runId, MLF_TRACKING_DIR: resolve(root) },
  });
  let received: NodeJS.Signals | null = null;
  const forward = (signal: NodeJS.Signals) => {
    received = signal;
    child.kill(signal);
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  const beat = setInterval(() => heartbeat(root, run), options.heartbeatMs ?? HEARTBEAT_INTERVAL_MS);
  let timedOut = false;
  let hardKill: NodeJS.Timeout | undefined;
  const limit = options.timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    forward("SIGTERM");
    // A command that ignores SIGTERM is not allowed to hold its caller forever.
    hardKill = setTimeout(() => child.kill("SIGKILL"), 5000);
  }, options.timeoutMs);
  const warnings: string[] = [];
  let exitCode: number | null = null;
  let signal: NodeJS.Signals | null = null;
  try {
    [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
      child.once("error", fail);
      child.once("exit", (code, sig) => done([code, sig]));
    });
  } catch (error) {
    // The command could not start (not found, not executable): the run failed, say why.
    warnings.push(`Could not start ${options.command[0]}: ${(error as Error).message}`);
    exitCode = 127;
  } finally {
    clearInterval(beat);
    clearTimeout(limit);
    clearTimeout(hardKill);
    process.off("SIGINT", forward);
    process.off("SIGTERM", forward);
  }
  const durationMs = Date.now() - started;
  const status: RunStatus = signal !== null || received !== null ? "KILLED" : exitCode === 0 ? "FINISHED" : "FAILED";
  for (const artifact of options.artifacts ?? []) {
    const path = resolve(cwd, artifact);
    if (existsSync(path)) logArtifact(root, run, path);
    else warnings.push(`The artifact ${artifact} does not exist after the command; nothing logged for it.`);
  }
  setTag(root, run, "mlf.exit_status", signal !== null ? signal : String(exitCode));
  setTag(root, run, "mlf.duration_ms", String(durationMs));
  const info = endRun(root, run, { status, endTime: started + durationMs });
  return { run: info, status, exitCode, signal, timedOut, durationMs, warnings };
}
