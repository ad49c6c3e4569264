import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { MlfError } from "../errors.js";
import { ConfigSchema, type ConfigYaml } from "./schema.js";
import type { RepoConfig } from "./types.js";
import { YamlSource } from "./yaml-source.js";

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

/** Reads and validates feature_store.yaml; paths in the result are absolute. */
export function loadConfig(root: string): RepoConfig {
  const file = join(root, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new MlfError("file_not_found", `Cannot read ${file}; create it or run "mlf init".`);
  }
  const { source, problems } = YamlSource.parse(CONFIG_FILE, text);
  if (source) problems.push(...source.check(ConfigSchema, source.value ?? {}));
  if (problems.length > 0) {
    throw new MlfError("invalid_definition", `${CONFIG_FILE} is invalid (${problems.length} problem${problems.length > 1 ? "s" : ""}).`, { problems });
  }
  const yaml = source!.value as ConfigYaml;
  const offline = yaml.offline_store;
  return {
    project: yaml.project,
    registry: resolve(root, yaml.registry ?? "data/registry.json"),
    provider: "local",
    offlineStore: {
      type: "duckdb",
      ...(offline?.threads !== undefined && { threads: offline.threads }),
      ...(offline?.memory_limit !== undefined && { memoryLimit: offline.memory_limit }),
      ...(offline?.temp_directory !== undefined && { tempDirectory: resolve(root, offline.temp_directory) }),
    },
    onlineStore: { type: "sqlite", path: resolve(root, yaml.online_store?.path ?? "data/online.db") },
    trackingPath: resolve(root, yaml.tracking?.path ?? "mlruns"),
  };
}
