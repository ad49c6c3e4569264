import type { Command } from "commander";
import { MlfError } from "../errors.js";
import type { OfflineStoreConfig } from "../repo/types.js";
import type { ResolvedTrackingDir } from "../tracking/dir.js";
import { colorFor } from "./colors.js";

/** Global flags shared by every command, resolved once per invocation. */
export interface GlobalOptions {
  repo?: string;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  /** Colour on stdout (results, tables) and on stderr (warnings, errors); see colorFor. */
  color: boolean;
  stderrColor: boolean;
}

export function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals<{ repo?: string; json?: boolean; quiet?: boolean; verbose?: boolean; color?: boolean }>();
  return {
    ...(o.repo !== undefined && { repo: o.repo }),
    json: o.json === true,
    quiet: o.quiet === true,
    verbose: o.verbose === true,
    color: colorFor(o.color !== false, process.stdout),
    stderrColor: colorFor(o.color !== false, process.stderr),
  };
}

/** Collects a repeatable option (`-f a -f b`) and splits comma-separated values. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((v) => v.trim()).filter(Boolean)];
}

/** Collects a repeatable option without splitting. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A numeric flag's value (`--port 0`, `--body-limit 8`): a usage error below `min` or when not a number. */
export function numberFlag(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new MlfError("usage", `${flag} must be a number >= ${min}, not "${text}".`);
  return n;
}

/** `-e key=v1,v2` flags to key columns; repeated keys append, so `-e k=1 -e k=2` is two entities. */
export function parseEntities(flags: string[]): { entities: Record<string, string[]>; many: boolean } {
  const entities: Record<string, string[]> = {};
  for (const flag of flags) {
    const at = flag.indexOf("=");
    if (at <= 0) throw new MlfError("usage", `The entity "${flag}" is not of the form key=value[,value...]; for example -e driver_id=1001.`);
    const key = flag.slice(0, at).trim();
    const values = flag.slice(at + 1).split(",").map((v) => v.trim());
    (entities[key] ??= []).push(...values);
  }
  return { entities, many: Object.values(entities).some((v) => v.length > 1) };
}

/** `--since 24h` (a duration back from now) or `--since 2026-01-01T00:00Z`, as epoch ms. */
export async function parseSince(text: string): Promise<number> {
  return (await import("../util/time.js")).parseSince(text);
}

/** `--tracking-dir`'s help wherever a command reads the tracking store. */
export const TRACKING_DIR_HELP = "tracking folder (default: $MLF_TRACKING_DIR, else the repository's tracking.path, else ./mlruns)";

/** The command's tracking root, as resolveTrackingRoot finds it from `--tracking-dir` (the command's or a parent's) and `-C`. */
export async function trackingRoot(command: Command): Promise<ResolvedTrackingDir> {
  const { trackingDir, repo } = command.optsWithGlobals<{ trackingDir?: string; repo?: string }>();
  const { resolveTrackingRoot } = await import("../tracking/dir.js");
  return resolveTrackingRoot({ ...(trackingDir !== undefined && { trackingDir }), ...(repo !== undefined && { repo }) });
}

/**
 * What a model's monitoring reads, from a resolved tracking root: the tracking folder and, inside a
 * feature repository, its offline store and the feature logs where `mlf serve` writes them
 * (feature_store.yaml's logging.path).
 */
export async function modelLogSources(root: ResolvedTrackingDir): Promise<{ trackingDir: string; repoRoot?: string; offline?: OfflineStoreConfig; logDir?: string }> {
  if (root.repoRoot === undefined || root.repoConfig === undefined) return { trackingDir: root.dir };
  const { repoLogDir } = await import("../repo/feature-logs.js");
  return { trackingDir: root.dir, repoRoot: root.repoRoot, offline: root.repoConfig.offlineStore, logDir: repoLogDir(root.repoRoot, root.repoConfig) };
}

/** `--host`, `--port` and `--tracking-dir` of a command that serves the tracking store over HTTP. */
export function listenOptions(command: Command, port: string): Command {
  return command
    .option("--host <host>", "interface to bind (loopback unless told otherwise)", "127.0.0.1")
    .option("--port <port>", "TCP port (0 = any free port)", port)
    .option("--tracking-dir <dir>", TRACKING_DIR_HELP);
}

/** One JSON object per line on stderr: a server's structured log. */
export function stderrJsonLog(record: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
}

/** Resolves once SIGTERM or SIGINT has closed the server (gracefully: in-flight requests finish). */
export function closeOnSignal(server: { close(): Promise<void> }): Promise<void> {
  return new Promise<void>((done) => {
    const stop = () => void server.close().then(done);
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}
