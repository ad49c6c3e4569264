import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { MlfError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";
import type { RepoConfig } from "./types.js";

export const CONFIG_FILE = "feature_store.yaml";
/** Where `mlf serve` writes feature logs unless `logging.path` says otherwise, relative to the repository root. */
export const DEFAULT_LOG_DIR = join("data", "logs");
/** The `logging:` block's defaults. */
export const LOGGING_DEFAULTS = { sampleRate: 1, flushSeconds: 5, queueSize: 100_000 } as const;

/**
 * Finds the repository root: the explicit directory, else `MLF_REPO`, else the nearest
 * ancestor of `cwd` holding feature_store.yaml.
 */
export function findRepoRoot(options: { repo?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.repo ?? env.MLF_REPO;
  if (explicit) {
    const root = resolve(cwd, explicit);
    if (!existsSync(join(root, CONFIG_FILE))) {
      throw new MlfError("file_not_found", `No ${CONFIG_FILE} in ${root}; pass the folder of a feature repository or create one with "mlf init".`);
    }
    return root;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, CONFIG_FILE))) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new MlfError("usage", `No ${CONFIG_FILE} found in ${cwd} or any parent folder; run inside a feature repository, pass -C DIR, or create one with "mlf init".`);
}

/**
 * The parsed config is cached in a dot-folder that the definition loader skips, with the text
 * it was parsed from: parsing feature_store.yaml needs the YAML and schema libraries, whose
 * loading alone costs more than starting Node, and read-side commands (`get-online`, the
 * catalogue, `track log-metric` in a training loop) must start fast. A run compares a few
 * hundred bytes instead; any edit of the file, or a moved repository, misses and parses again.
 * Reading never writes the cache: `apply` and `plan` refresh it (cacheConfig).
 */
const SNAPSHOT = join(".mlf", "config.json");

export function readConfigText(root: string): string {
  try {
    return readFileSync(join(root, CONFIG_FILE), "utf8");
  } catch {
    throw new MlfError("file_not_found", `Cannot read ${join(root, CONFIG_FILE)}; create it or run "mlf init".`);
  }
}

/**
 * The cached config when it was parsed from exactly `text` in this root and has the shape of
 * a RepoConfig, else undefined (none yet, torn, stale or edited by hand: the caller parses).
 * Checked by hand rather than with the schema library, whose loading is what the cache saves.
 */
function readConfigSnapshot(root: string, text: string): RepoConfig | undefined {
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(readFileSync(join(root, SNAPSHOT), "utf8"));
  } catch {
    return undefined;
  }
  if (!isObject(snapshot, ["root", "text", "config"]) || snapshot.root !== root || snapshot.text !== text) return undefined;
  return isRepoConfig(snapshot.config) ? snapshot.config : undefined;
}

/** The config of the repository at `root`: the cached copy while the file is unchanged, else parsed. Writes nothing. */
export async function loadConfigCached(root: string): Promise<RepoConfig> {
  const text = readConfigText(root);
  const cached = readConfigSnapshot(root, text);
  if (cached) return cached;
  const { parseConfig } = await import("./config-parse.js");
  return parseConfig(root, text);
}

/**
 * Parses feature_store.yaml (validating it) and refreshes the cache read-side commands use;
 * the explicit step behind `apply` and `plan`. Best effort: a read-only repository only loses
 * the speed-up.
 */
export async function cacheConfig(root: string): Promise<RepoConfig> {
  const text = readConfigText(root);
  const { parseConfig } = await import("./config-parse.js");
  const config = parseConfig(root, text);
  if (!readConfigSnapshot(root, text)) {
    try {
      writeFileAtomic(join(root, SNAPSHOT), JSON.stringify({ root, text, config }));
    } catch {
      // see above
    }
  }
  return config;
}

type Shape = Record<string, unknown>;

/** A plain object with exactly the `required` keys and, at most, the `optional` ones. */
function isObject(value: unknown, required: string[], optional: string[] = []): value is Shape {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return required.every((k) => keys.includes(k)) && keys.every((k) => required.includes(k) || optional.includes(k));
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isPath = (v: unknown): v is string => isString(v) && isAbsolute(v);
const isShare = (v: unknown) => typeof v === "number" && v >= 0 && v <= 1;
const isPositive = (v: unknown) => typeof v === "number" && v > 0 && Number.isFinite(v);

function isRepoConfig(value: unknown): value is RepoConfig {
  if (!isObject(value, ["project", "registry", "provider", "offlineStore", "onlineStore", "trackingPath"], ["logging"])) return false;
  const { offlineStore: off, onlineStore: on, logging: log } = value;
  return (
    isString(value.project) && isPath(value.registry) && value.provider === "local" && isPath(value.trackingPath) &&
    isObject(off, ["type"], ["threads", "memoryLimit", "tempDirectory"]) && off.type === "duckdb" &&
    (off.threads === undefined || (Number.isInteger(off.threads) && (off.threads as number) >= 1)) &&
    (off.memoryLimit === undefined || isString(off.memoryLimit)) && (off.tempDirectory === undefined || isPath(off.tempDirectory)) &&
    isObject(on, ["type", "path"]) && on.type === "sqlite" && isPath(on.path) &&
    (log === undefined || (isObject(log, ["path", "sampleRate", "flushSeconds", "queueSize"]) && isPath(log.path) && isShare(log.sampleRate) && isPositive(log.flushSeconds) && Number.isInteger(log.queueSize) && isPositive(log.queueSize)))
  );
}
