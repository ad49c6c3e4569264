import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import { MlfError, type Problem } from "../errors.js";
import { parseDurationSeconds } from "../util/time.js";
import { CONFIG_FILE } from "./config.js";
import { DefinitionFileSchema, itemSchemas, type EntityYaml, type FeatureServiceYaml, type FeatureViewYaml, type FileSourceYaml, type QuerySourceYaml } from "./schema.js";
import { normalizePipeline, type PipelineYaml } from "./pipelines.js";
import type { Repo } from "./repo.js";
import { checkRules } from "./rules.js";
import { dtypes, valueTypes, type DefinitionKind, type Definitions, type Dtype, type Location, type Source, type ValueType } from "./types.js";
import { YamlSource } from "./yaml-source.js";

/** Definitions plus where each object was written (`kind:name` -> location). */
export interface LoadedDefinitions {
  defs: Definitions;
  locations: Map<string, Location>;
}

export const locationKey = (kind: DefinitionKind, name: string) => `${kind}:${name}`;

/**
 * Lists the definition files of a repository: every *.yaml / *.yml below the root except
 * feature_store.yaml, `data/`, `node_modules/`, dot-folders, the tracking folder and paths
 * matched by `.mlfignore` (gitignore syntax, relative to the root: globs, `**`, `dir/`,
 * `!negation`, `#` comments).
 */
export function listDefinitionFiles(root: string, skipDirs: string[] = []): string[] {
  const ignored = readIgnore(root);
  const skip = new Set(["data", "node_modules", ...skipDirs.map((d) => relative(root, d).split(sep).join("/"))]);
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = relative(root, join(dir, entry.name)).split(sep).join("/");
      // A folder is tested as `rel/`, so that patterns ending in / match folders only, as in git.
      if (entry.name.startsWith(".") || skip.has(rel) || ignored.ignores(entry.isDirectory() ? `${rel}/` : rel)) continue;
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (/\.ya?ml$/i.test(entry.name) && rel !== CONFIG_FILE) out.push(rel);
    }
  };
  walk(root);
  return out;
}

function readIgnore(root: string): Ignore {
  const rules = ignore();
  const path = join(root, ".mlfignore");
  try {
    rules.add(readFileSync(path, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") throw new MlfError("runtime", `Cannot read ${path} (${code}); make it a readable file or remove it.`, { cause: error });
  }
  return rules;
}

/**
 * Loads every definition file: schema first (unknown keys rejected), then the rules. All
 * problems of all files are collected and thrown at once as one invalid_definition error.
 */
export function loadDefinitions(root: string, skipDirs: string[] = []): LoadedDefinitions {
  const problems: Problem[] = [];
  const defs: Definitions = { entities: [], sources: [], featureViews: [], featureServices: [] };
  const locations = new Map<string, Location>();
  const seen = new Map<string, Location>();

  const add = <T extends { name: string }>(kind: DefinitionKind, list: T[], item: T, at: Location) => {
    const key = locationKey(kind, item.name);
    const first = seen.get(key);
    if (first) {
      problems.push({ ...at, message: `${kind} "${item.name}" is defined twice (first at ${first.file}:${first.line ?? "?"})`, hint: "rename or remove one of them" });
      return;
    }
    seen.set(key, at);
    locations.set(key, at);
    list.push(item);
  };

  for (const file of listDefinitionFiles(root, skipDirs)) {
    const parsed = YamlSource.parse(file, readFileSync(join(root, file), "utf8"));
    problems.push(...parsed.problems);
    const src = parsed.source;
    if (!src || src.value === null || src.value === undefined) continue;
    const top = src.check(DefinitionFileSchema, src.value);
    problems.push(...top);
    if (top.length > 0) continue;
    const value = src.value as Record<keyof typeof itemSchemas, unknown[] | undefined>;
    const at = (path: (string | number)[]): Location => ({ file, line: src.lineOf(path) });
    // Each item is checked on its own, so one bad item does not hide the problems of others.
    const valid = <T>(list: keyof typeof itemSchemas, each: (item: T, i: number) => void) =>
      (value[list] ?? []).forEach((item, i) => {
        const itemProblems = src.check(itemSchemas[list](item), item, [list, i]);
        problems.push(...itemProblems);
        if (itemProblems.length === 0) each(item as T, i);
      });
    valid<EntityYaml>("entities", (e, i) => {
      const n = normalizeEntity(e, at(["entities", i]), problems);
      if (n) add("entity", defs.entities, n, at(["entities", i]));
    });
    valid<FileSourceYaml | QuerySourceYaml>("sources", (s, i) => add("source", defs.sources, normalizeSource(s), at(["sources", i])));
    valid<FeatureViewYaml>("feature_views", (v, i) => {
      const n = normalizeView(v, (p) => at(["feature_views", i, ...p]), problems);
      if (n) add("feature view", defs.featureViews, n, at(["feature_views", i]));
    });
    valid<FeatureServiceYaml>("feature_services", (s, i) => add("feature service", defs.featureServices, normalizeService(s), at(["feature_services", i])));
    valid<PipelineYaml>("pipelines", (p, i) => {
      const n = normalizePipeline(p, (path) => at(["pipelines", i, ...path]), problems);
      if (n) add("pipeline", (defs.pipelines ??= []), n, at(["pipelines", i]));
    });
  }
  if (problems.length === 0) problems.push(...checkRules(root, defs, locations));
  if (problems.length > 0) {
    throw new MlfError("invalid_definition", `The feature repository has ${problems.length} problem${problems.length > 1 ? "s; fix them" : "; fix it"} and run again.`, { problems });
  }
  return { defs, locations };
}

function normalizeEntity(e: EntityYaml, at: Location, problems: Problem[]) {
  const valueType = (e.value_type ?? "string").toLowerCase();
  if (!(valueTypes as readonly string[]).includes(valueType)) {
    problems.push({ ...at, message: `entity "${e.name}" has value_type "${e.value_type}"`, hint: `use one of ${valueTypes.join(", ")}` });
    return undefined;
  }
  return { name: e.name, joinKey: e.join_keys?.[0] ?? e.name, valueType: valueType as ValueType, ...(e.description && { description: e.description }) };
}

function normalizeSource(s: FileSourceYaml | QuerySourceYaml): Source {
  const common = {
    name: s.name,
    timestampField: s.timestamp_field,
    ...(s.created_timestamp_column && { createdTimestampColumn: s.created_timestamp_column }),
    fieldMapping: s.field_mapping ?? {},
    ...(s.description && { description: s.description }),
  };
  return s.type === "file" ? { ...common, type: "file", path: s.path } : { ...common, type: "query", sql: s.sql };
}

/** Feast spells dtypes `Int64`, `Float32`, `String`, `UnixTimestamp`; mlf accepts those too. */
function normalizeDtype(text: string): Dtype | undefined {
  const t = text.toLowerCase().replace("unixtimestamp", "unix_timestamp");
  return (dtypes as readonly string[]).includes(t) ? (t as Dtype) : undefined;
}

function normalizeView(v: FeatureViewYaml, at: (path: (string | number)[]) => Location, problems: Problem[]) {
  const ttlSeconds = v.ttl === undefined ? 0 : parseDurationSeconds(v.ttl);
  let ok = true;
  if (ttlSeconds === undefined) {
    problems.push({ ...at(["ttl"]), message: `feature view "${v.name}" has ttl "${v.ttl}"`, hint: "use a duration such as 6h, 30m, 7d, P1D, or 0 for unlimited" });
    ok = false;
  }
  const schema = v.schema.map((f, i) => {
    const dtype = normalizeDtype(f.dtype);
    if (!dtype) {
      problems.push({ ...at(["schema", i, "dtype"]), message: `feature "${v.name}:${f.name}" has dtype "${f.dtype}"`, hint: `use one of ${dtypes.join(", ")}` });
      ok = false;
    }
    return { name: f.name, dtype: dtype ?? "string" };
  });
  if (!ok) return undefined;
  return {
    name: v.name,
    entities: v.entities ?? [],
    source: v.source,
    ttlSeconds: ttlSeconds!,
    online: v.online ?? true,
    schema,
    tags: v.tags ?? {},
    ...(v.description && { description: v.description }),
  };
}

function normalizeService(s: FeatureServiceYaml) {
  return {
    name: s.name,
    features: s.features.map((f) => {
      if (typeof f === "string") return { view: f };
      const [view, features] = Object.entries(f)[0]!;
      return { view, features };
    }),
    ...(s.logging && { logging: { sampleRate: s.logging.sample_rate ?? 1 } }),
    ...(s.description && { description: s.description }),
  };
}

/** Parses and checks every definition file of the repository (schema and rules, no data). */
export function loadRepoDefinitions(repo: Repo): LoadedDefinitions {
  return loadDefinitions(repo.root, [repo.config.trackingPath]);
}
