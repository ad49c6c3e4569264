import { resolve } from "node:path";
import { MlfError } from "../errors.js";
import { CONFIG_FILE, DEFAULT_LOG_DIR, LOGGING_DEFAULTS } from "./config.js";
import { redisConfig, redisConfigProblem } from "./redis-config.js";
import { ConfigSchema, onlineStoreSchema, type ConfigYaml, type RedisStoreYaml, type SqliteStoreYaml } from "./schema.js";
import type { RepoConfig } from "./types.js";
import { YamlSource } from "./yaml-source.js";

/** Validates the text of feature_store.yaml (of the repository at `root`); paths in the result are absolute. */
export function parseConfig(root: string, text: string): RepoConfig {
  const { source, problems } = YamlSource.parse(CONFIG_FILE, text);
  if (source) problems.push(...source.check(ConfigSchema, source.value ?? {}));
  const block = (source?.value as ConfigYaml | undefined)?.online_store;
  if (source && block !== null && typeof block === "object" && "type" in block) {
    const blockProblems = source.check(onlineStoreSchema(block), block, ["online_store"]);
    const problem = blockProblems.length === 0 && block.type === "redis" ? redisConfigProblem(block as RedisStoreYaml) : undefined;
    if (problem) blockProblems.push({ file: CONFIG_FILE, line: source.lineOf(["online_store", "connection_string"]), ...problem });
    problems.push(...blockProblems);
  }
  if (problems.length > 0) {
    throw new MlfError("invalid_definition", `${CONFIG_FILE} is invalid (${problems.length} problem${problems.length > 1 ? "s" : ""}).`, { problems });
  }
  const yaml = source!.value as ConfigYaml;
  const offline = yaml.offline_store;
  const config: RepoConfig = {
    project: yaml.project,
    registry: resolve(root, yaml.registry ?? "data/registry.json"),
    provider: "local",
    offlineStore: {
      type: "duckdb",
      ...(offline?.threads !== undefined && { threads: offline.threads }),
      ...(offline?.memory_limit !== undefined && { memoryLimit: offline.memory_limit }),
      ...(offline?.temp_directory !== undefined && { tempDirectory: resolve(root, offline.temp_directory) }),
    },
    onlineStore: block?.type === "redis" ? redisConfig(block as RedisStoreYaml, root) : { type: "sqlite", path: resolve(root, (block as SqliteStoreYaml | undefined)?.path ?? "data/online.db") },
    trackingPath: resolve(root, yaml.tracking?.path ?? "mlruns"),
    ...(yaml.logging && {
      logging: {
        path: resolve(root, yaml.logging.path ?? DEFAULT_LOG_DIR),
        sampleRate: yaml.logging.sample_rate ?? LOGGING_DEFAULTS.sampleRate,
        flushSeconds: yaml.logging.flush_seconds ?? LOGGING_DEFAULTS.flushSeconds,
        queueSize: yaml.logging.queue_size ?? LOGGING_DEFAULTS.queueSize,
      },
    }),
  };
  return config;
}
