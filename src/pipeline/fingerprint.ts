import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import type { Pipeline } from "../repo/pipelines.js";
import { definitionsHash } from "../repo/registry.js";
import type { Definitions, Source } from "../repo/types.js";
import { sha256 } from "../tracking/wrapper.js";
import { isGlob } from "../util/fs.js";

/**
 * What a pipeline's training set is made of, to tell whether its data changed since a run:
 * every file it reads (the entity rows and the file sources its features come from, found
 * through query sources' SQL) with size, mtime and sha256, and a digest of the definitions it
 * depends on. A file whose size and mtime are unchanged keeps its recorded digest unread; a
 * touched file whose bytes are the same does not count as changed.
 */
export interface Fingerprint {
  /** sha256 of the pipeline, its service, views, entities and sources as applied. */
  definitions: string;
  /** Repository-relative path -> its state. */
  files: Record<string, FileStamp>;
}

export interface FileStamp {
  size: number;
  mtimeMs: number;
  sha256: string;
}

/** Names of sources a SQL text mentions as words (over-inclusive at worst: a file counted that is not read). */
function mentioned(sql: string, sources: Source[]): Source[] {
  return sources.filter((s) => new RegExp(`(^|[^A-Za-z0-9_"])"?${s.name}"?([^A-Za-z0-9_"]|$)`, "i").test(sql));
}

/** The definitions a pipeline's training set depends on, with the file sources among them. */
function pipelineInputs(defs: Definitions, pipeline: Pipeline): { defs: Definitions; files: string[] } {
  const service = defs.featureServices.filter((s) => s.name === pipeline.featureService);
  const views = defs.featureViews.filter((v) => service[0]?.features.some((p) => p.view === v.name));
  const entities = defs.entities.filter((e) => views.some((v) => v.entities.includes(e.name)));
  const used = new Map<string, Source>();
  const visit = (source: Source) => {
    if (used.has(source.name)) return;
    used.set(source.name, source);
    if (source.type === "query") mentioned(source.sql, defs.sources).forEach(visit);
  };
  for (const view of views) {
    const source = defs.sources.find((s) => s.name === view.source);
    if (source) visit(source);
  }
  if ("sql" in pipeline.entities) mentioned(pipeline.entities.sql, defs.sources).forEach(visit);
  const sources = [...used.values()];
  const files = [...sources.flatMap((s) => (s.type === "file" ? [s.path] : [])), ...("path" in pipeline.entities ? [pipeline.entities.path] : [])];
  return { defs: { entities, sources, featureViews: views, featureServices: service, pipelines: [pipeline] }, files };
}

/** Paths under `root` matching a pattern with `*`, `?`, `[...]` in its segments and `**` for any depth; the path itself when it has none. */
function expandGlob(root: string, pattern: string): string[] {
  if (!isGlob(pattern)) return [pattern];
  const segments = pattern.split(/[\\/]/);
  const toRegex = (segment: string) => new RegExp(`^${segment.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
  const out: string[] = [];
  const walk = (dir: string, rest: string[]) => {
    if (rest.length === 0) {
      out.push(relative(root, dir).split(sep).join("/"));
      return;
    }
    const [head, ...tail] = rest as [string, ...string[]];
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (head === "**") {
      walk(dir, tail);
      for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name), rest);
      return;
    }
    if (!isGlob(head)) return walk(join(dir, head), tail);
    const re = toRegex(head);
    for (const e of entries) if (re.test(e.name) && (tail.length > 0 ? e.isDirectory() : e.isFile())) walk(join(dir, e.name), tail);
  };
  walk(resolve(root), segments);
  return [...new Set(out)].sort();
}

/** The pipeline's fingerprint now; digests of files unchanged since `previous` are reused. */
export async function fingerprint(root: string, defs: Definitions, pipeline: Pipeline, previous?: Fingerprint): Promise<Fingerprint> {
  const inputs = pipelineInputs(defs, pipeline);
  const files: Record<string, FileStamp> = {};
  for (const path of [...new Set(inputs.files.flatMap((p) => expandGlob(root, p)))].sort()) {
    const stats = statSync(resolve(root, path), { throwIfNoEntry: false });
    if (!stats?.isFile()) continue;
    const known = previous?.files[path];
    const same = known && known.size === stats.size && known.mtimeMs === stats.mtimeMs;
    files[path] = { size: stats.size, mtimeMs: stats.mtimeMs, sha256: same ? known.sha256 : await sha256(resolve(root, path)) };
  }
  return { definitions: definitionsHash(inputs.defs), files };
}

/** What differs between two fingerprints, one phrase per change ("data/labels.parquet changed"). */
export function fingerprintChanges(previous: Fingerprint, current: Fingerprint): string[] {
  const changes: string[] = [];
  if (previous.definitions !== current.definitions) changes.push("its definitions changed");
  for (const [path, stamp] of Object.entries(current.files)) {
    const before = previous.files[path];
    if (!before) changes.push(`${path} is new`);
    else if (before.sha256 !== stamp.sha256) changes.push(`${path} changed`);
  }
  for (const path of Object.keys(previous.files)) if (!(path in current.files)) changes.push(`${path} is gone`);
  return changes;
}
