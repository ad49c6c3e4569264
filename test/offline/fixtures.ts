import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { applyRepo } from "../../src/apply/apply.js";
import { openRepo, type Repo } from "../../src/repo/repo.js";
import { tempDir } from "../helpers.js";

/**
 * A small hand-written repository in a temp folder, applied: `definitions` is the YAML of
 * features.yaml, `files` maps repo-relative paths to contents (CSV text or bytes).
 */
export async function makeRepo(t: { after(fn: () => void): void }, definitions: string, files: Record<string, string | Buffer> = {}): Promise<Repo> {
  const root = tempDir(t, "mlf-offline-");
  writeFileSync(
    join(root, "feature_store.yaml"),
    "project: offline_test\nregistry: data/registry.json\nprovider: local\noffline_store:\n  type: duckdb\n  threads: 1\nonline_store:\n  type: sqlite\n  path: data/online.db\n",
  );
  writeFileSync(join(root, "features.yaml"), definitions);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const repo = await openRepo(root);
  await applyRepo(repo);
  return repo;
}

/** CSV text from a header and rows; null and undefined become empty fields. */
export function csv(header: string[], rows: unknown[][]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? "" : v instanceof Date ? v.toISOString() : String(v));
  return `${[header.join(","), ...rows.map((r) => r.map(cell).join(","))].join("\n")}\n`;
}

/** Milliseconds of an ISO time, for readable fixtures. */
export const at = (iso: string) => Date.parse(iso);

export { random } from "../../src/util/random.js";
