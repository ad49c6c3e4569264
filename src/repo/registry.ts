import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { MlfError } from "../errors.js";
import { readFileIfExists, withFileLock, writeFileAtomic } from "../util/fs.js";
import type { Definitions } from "./types.js";

/** One successful materialization of a view: both ends inclusive, ISO-8601 UTC. */
export interface MaterializedInterval {
  start: string;
  end: string;
  /** When the run finished. */
  at: string;
}

/**
 * The feature registry file: the applied state of the repository. Read-side commands
 * (get-online, serve, materialize) work from it rather than re-parsing YAML, so what they
 * see is exactly what `mlf apply` validated.
 */
export interface RegistryFile {
  format: 1;
  project: string;
  /** Increases by one on every apply that changes a definition. */
  version: number;
  /** sha256 of the canonical JSON of `definitions`. */
  hash: string;
  updatedAt: string;
  definitions: Definitions;
  /** Per view, the intervals loaded into the online store, oldest first. */
  materializations: Record<string, MaterializedInterval[]>;
}

/** Canonical JSON (sorted keys) so the hash depends on content only. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

export function definitionsHash(defs: Definitions): string {
  return createHash("sha256").update(canonical(defs)).digest("hex");
}

export function readRegistry(path: string): RegistryFile | undefined {
  const text = readFileIfExists(path);
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as RegistryFile;
    if (parsed.format !== 1) throw new Error(`format ${String(parsed.format)}`);
    return parsed;
  } catch (error) {
    throw new MlfError("invalid_data", `The feature registry ${path} is not readable (${(error as Error).message}); run "mlf apply" to rewrite it.`);
  }
}

/** The applied registry, or a clear error telling the user to apply first. */
export function requireRegistry(path: string): RegistryFile {
  const registry = readRegistry(path);
  if (!registry) throw new MlfError("usage", `No feature registry at ${path}; run "mlf apply" first.`);
  return registry;
}

/**
 * Read-modify-write of the registry under its lock, written atomically. `change` returns the
 * new content, or undefined to leave the file as it is.
 */
export function updateRegistry<T>(path: string, change: (current: RegistryFile | undefined) => { next?: RegistryFile; result: T }): T {
  return withFileLock(path, () => {
    const { next, result } = change(readRegistry(path));
    if (next) writeRegistry(path, next);
    return result;
  });
}

/** Writes the registry atomically; callers hold its lock (see updateRegistry, applyRepo). */
export function writeRegistry(path: string, registry: RegistryFile): void {
  writeFileAtomic(path, `${JSON.stringify(registry, null, 2)}\n`);
}

/** Records a finished materialization of `view` (used by materialize and materialize-incremental). */
export function recordMaterialization(path: string, view: string, interval: MaterializedInterval): void {
  updateRegistry(path, (current) => {
    if (!current) throw new MlfError("usage", `No feature registry at ${path}; run "mlf apply" first.`);
    const list = [...(current.materializations[view] ?? []), interval];
    return { next: { ...current, materializations: { ...current.materializations, [view]: list } }, result: undefined };
  });
}

export function deleteRegistry(path: string): void {
  withFileLock(path, () => rmSync(path, { force: true }));
}
