import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { MlfError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";
import type { Repo } from "./repo.js";
import type { RepoConfig } from "./types.js";

export const CONFIG_FILE = "feature_store.yaml";

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

/** The parsed config cached in a dot-folder that the definition loader skips. */
const SNAPSHOT = join(".mlf", "config.json");

interface Snapshot {
  root: string;
  /** The full text of feature_store.yaml the config was parsed from. */
  text: string;
  config: RepoConfig;
}

/** The cached config when it was parsed from exactly `text` in this root, else undefined. */
export function readConfigSnapshot(root: string, text: string): RepoConfig | undefined {
  try {
    const snapshot = JSON.parse(readFileSync(join(root, SNAPSHOT), "utf8")) as Snapshot;
    return snapshot.root === root && snapshot.text === text ? snapshot.config : undefined;
  } catch {
    return undefined; // none yet, or torn: the caller parses
  }
}

/** Best effort: a read-only repository only loses the speed-up. */
export function writeConfigSnapshot(root: string, text: string, config: RepoConfig): void {
  if (readConfigSnapshot(root, text)) return;
  try {
    writeFileAtomic(join(root, SNAPSHOT), JSON.stringify({ root, text, config } satisfies Snapshot));
  } catch {
    // see above
  }
}

export function readConfigText(root: string): string {
  try {
    return readFileSync(join(root, CONFIG_FILE), "utf8");
  } catch {
    throw new MlfError("file_not_found", `Cannot read ${join(root, CONFIG_FILE)}; create it or run "mlf init".`);
  }
}

/**
 * Opens a repository like `openRepo`, for read-side commands (`get-online`, the catalogue):
 * parsing feature_store.yaml needs the YAML and schema libraries, whose loading alone costs
 * more than starting Node. The parsed config is cached in `.mlf/config.json` with the text it
 * came from, so a later run compares a few hundred bytes instead; any edit of the file, or a
 * moved repository, misses and parses again.
 */
export async function openRepoForReads(dir?: string, env: NodeJS.ProcessEnv = process.env): Promise<Repo> {
  const root = findRepoRoot({ ...(dir !== undefined && { repo: dir }), env });
  return { root, config: await loadConfigCached(root) };
}

/** The config of the repository at `root`: the cached copy while the file is unchanged, else parsed. */
export async function loadConfigCached(root: string): Promise<RepoConfig> {
  const text = readConfigText(root);
  const cached = readConfigSnapshot(root, text);
  if (cached) return cached;
  const { parseConfig } = await import("./config-parse.js");
  return parseConfig(root, text);
}
