import { listLogFiles, logFolder, repoLogDir } from "../../../src/repo/feature-logs.js";
import type { Repo } from "../../../src/repo/repo.js";
import { OfflineEngine } from "../../../src/offline/engine.js";
import type { Server } from "../../../src/serving/server.js";
import { get } from "../helpers.js";

/** Every finished log file of one log, read by DuckDB as `mlf monitor drift` reads them, in file then row order. */
export async function readLog(dir: string, kind: "models" | "services", name: string, select = "*"): Promise<Record<string, unknown>[]> {
  const files = listLogFiles(logFolder(dir, kind, name));
  if (files.length === 0) return [];
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    const list = files.map((f) => `'${f}'`).join(", ");
    return await engine.rows(`SELECT ${select} FROM read_parquet([${list}], union_by_name = true, filename = true) ORDER BY filename, file_row_number`);
  } finally {
    engine.close();
  }
}

/** Column names and types of one log file. */
export async function describeLog(file: string): Promise<Record<string, string>> {
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    return Object.fromEntries((await engine.describe(`(SELECT * FROM read_parquet('${file}'))`)).map((c) => [c.name, c.type]));
  } finally {
    engine.close();
  }
}

/** One sample of /metrics, or undefined when the series is absent. */
export async function metric(server: Server, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return sample((await get(server, "/metrics")).text, name, labels);
}

/** One sample of a /metrics text, or undefined when the series is absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? "").split(",");
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

/** Where serve writes a repository's feature logs: its logging.path (by default data/logs). */
export const logDirOf = (repo: Repo) => repoLogDir(repo.root, repo.config);
