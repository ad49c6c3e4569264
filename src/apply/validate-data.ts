import type { Problem } from "../errors.js";
import { OfflineEngine, rawSourceRelation } from "../offline/engine.js";
import { duckdbTypes } from "../offline/sql.js";
import type { LoadedDefinitions } from "../repo/definitions.js";
import type { DefinitionKind, Location, RepoConfig, Source } from "../repo/types.js";
import { ident } from "../util/sql.js";

/**
 * Checks definitions against the data itself, in DuckDB: every source can be read and has
 * its timestamp, created-timestamp and mapped columns; query SQL is accepted; every view's
 * join keys and features exist in its source and every non-null value casts to the declared
 * dtype. Returns the problems; an empty list means the repository is usable.
 */
export async function validateData(root: string, config: RepoConfig, loaded: LoadedDefinitions): Promise<Problem[]> {
  const { defs, locations } = loaded;
  const where = (kind: DefinitionKind, name: string): Location => locations.get(`${kind}:${name}`) ?? { file: "?" };
  const problems: Problem[] = [];
  const engine = await OfflineEngine.open(config.offlineStore);
  try {
    const failures = await engine.registerSources(root, defs);
    const columnsOf = new Map<string, Map<string, string>>();
    for (const source of defs.sources) {
      const failure = failures.get(source.name);
      if (failure) {
        problems.push({ ...where("source", source.name), ...(await explainSourceFailure(engine, root, source, failure)) });
        continue;
      }
      const columns = await engine.describe(ident(source.name));
      columnsOf.set(source.name, new Map(columns.map((c) => [c.name, c.type])));
    }

    const joinKey = new Map(defs.entities.map((e) => [e.name, e.joinKey]));
    for (const view of defs.featureViews) {
      const columns = columnsOf.get(view.source);
      if (!columns) continue; // the source's own problem is already reported
      const at = where("feature view", view.name);
      const missing = [...view.entities.map((e) => joinKey.get(e)!), ...view.schema.map((f) => f.name)].filter((c) => !columns.has(c));
      for (const column of missing) {
        problems.push({ ...at, message: `feature view "${view.name}" needs column "${column}", which source "${view.source}" does not have`, hint: `the source has: ${[...columns.keys()].join(", ")}` });
      }
      const checkable = view.schema.filter((f) => columns.has(f.name));
      if (checkable.length === 0) continue;
      const counts = checkable.map(
        (f) => `count(*) FILTER (WHERE ${ident(f.name)} IS NOT NULL AND TRY_CAST(${ident(f.name)} AS ${duckdbTypes[f.dtype]}) IS NULL) AS ${ident(f.name)}`,
      );
      const [row] = await engine.rows(`SELECT ${counts.join(", ")} FROM ${ident(view.source)}`);
      for (const f of checkable) {
        const bad = Number(row?.[f.name] ?? 0);
        if (bad > 0) {
          problems.push({ ...at, message: `feature "${view.name}:${f.name}" is declared ${f.dtype} but ${bad} value${bad > 1 ? "s" : ""} of source column (${columns.get(f.name)}) cannot be cast to it`, hint: "change the dtype or fix the data" });
        }
      }
    }
  } finally {
    engine.close();
  }
  return problems;
}

/** Turns DuckDB's failure to create a source view into a specific message where possible. */
async function explainSourceFailure(engine: OfflineEngine, root: string, source: Source, failure: string): Promise<Omit<Problem, "file" | "line">> {
  if (source.type === "file") {
    let raw: string[];
    try {
      raw = (await engine.describe(`SELECT * FROM ${rawSourceRelation(root, source)}`)).map((c) => c.name);
    } catch {
      return { message: `source "${source.name}" cannot read ${source.path}: ${failure}`, hint: "check the path and that the file is valid Parquet or CSV" };
    }
    for (const column of [source.timestampField, source.createdTimestampColumn]) {
      if (column && !raw.includes(column)) {
        return { message: `source "${source.name}" has no column "${column}"`, hint: `the file has: ${raw.join(", ")}` };
      }
    }
    return { message: `source "${source.name}" cannot be read: ${failure}`, hint: "check field_mapping and that the timestamp columns hold times" };
  }
  return { message: `source "${source.name}" has SQL that DuckDB rejects: ${failure}`, hint: "fix the query; it may use other sources by name" };
}
