import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { MlfError } from "../errors.js";
import { appendEventTo } from "../models/events.js";
import { checkAliasName, checkModelName } from "../models/names.js";
import { modelDir, versionDir, versionMeta, writeYaml } from "../models/store.js";
import { formatMetricValue } from "../tracking/files.js";
import { readMeta, statusCodes, writeMeta, type RunMetaFile } from "../tracking/meta.js";
import { checkId, checkKey } from "../tracking/names.js";
import type { RunStatus } from "../tracking/types.js";
import { writeFileAtomic } from "../util/fs.js";

/**
 * `mlf track import mlflow.db`: MLflow's SQLite store (the default from MLflow 3.7) into
 * mlf's store in MLflow's file layout. Everything MLflow keeps about experiments, runs and
 * the registry comes over: experiments and their tags, runs with params, tags and every
 * metric point (the whole history, in logging order), registered models with tags, versions
 * with tags, and aliases. Everything is checked before anything is written (a name that would
 * escape its folder stops the import with nothing changed); every file is written whole and
 * atomically, so importing the same database again gives the same store.
 */

export interface ImportSummary {
  experiments: number;
  runs: number;
  params: number;
  tags: number;
  metricPoints: number;
  models: number;
  versions: number;
  aliases: number;
}

type Row = Record<string, unknown>;

/** MLflow's SourceType names as the file store's integers. */
const sourceTypes: Record<string, number> = { NOTEBOOK: 1, JOB: 2, PROJECT: 3, LOCAL: 4, UNKNOWN: 1000 };
const str = (v: unknown) => (v === null || v === undefined ? "" : String(v));
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function open(file: string): BetterSqlite3.Database {
  if (!existsSync(file)) throw new MlfError("file_not_found", `No database at ${file}; pass the path of an MLflow SQLite store (mlflow.db).`);
  const Database = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
  let db: BetterSqlite3.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const tables = new Set((db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const missing = ["experiments", "runs", "params", "metrics", "tags"].filter((t) => !tables.has(t));
    if (missing.length > 0) {
      db.close();
      throw new MlfError("invalid_data", `${file} is not an MLflow database (no table ${missing.join(", ")}); pass the mlflow.db of MLflow's SQLite store.`);
    }
    return db;
  } catch (error) {
    if (error instanceof MlfError) throw error;
    throw new MlfError("invalid_data", `${file} is not a readable SQLite database (${(error as Error).message}); pass an MLflow mlflow.db.`);
  }
}

/** Rows of a table, or none when this MLflow version's schema lacks it (the registry tables are newer). */
function rows(db: BetterSqlite3.Database, sql: string, table: string): Row[] {
  const exists = db.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(table);
  return exists ? (db.prepare(sql).all() as Row[]) : [];
}

function byKey(list: Row[], key: string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of list) {
    const k = str(r[key]);
    out.set(k, [...(out.get(k) ?? []), r]);
  }
  return out;
}

export function importMlflowDb(root: string, file: string): ImportSummary {
  const db = open(file);
  try {
    const experiments = rows(db, "select * from experiments order by experiment_id", "experiments");
    const experimentTags = byKey(rows(db, "select * from experiment_tags", "experiment_tags"), "experiment_id");
    const runs = rows(db, "select * from runs order by start_time, run_uuid", "runs");
    const params = byKey(rows(db, "select * from params", "params"), "run_uuid");
    const tags = byKey(rows(db, "select * from tags", "tags"), "run_uuid");
    // rowid order is logging order: each metric file keeps MLflow's history as it was written.
    const metrics = byKey(rows(db, "select * from metrics order by rowid", "metrics"), "run_uuid");
    const models = rows(db, "select * from registered_models order by name", "registered_models");
    const modelTags = byKey(rows(db, "select * from registered_model_tags", "registered_model_tags"), "name");
    const versions = byKey(rows(db, "select * from model_versions order by version", "model_versions"), "name");
    const versionTags = byKey(rows(db, "select * from model_version_tags", "model_version_tags"), "name");
    const aliases = byKey(rows(db, "select * from registered_model_aliases", "registered_model_aliases"), "name");

    // Check everything first: a bad name anywhere means nothing is written.
    for (const e of experiments) {
      const id = str(e.experiment_id);
      checkId("experiment", id);
      const existing = readMeta(join(root, id, "meta.yaml"));
      if (existing && existing.name !== e.name) {
        throw new MlfError("conflict", `Experiment ${id} is "${String(existing.name)}" in ${root} but "${str(e.name)}" in ${file}; import into another --tracking-dir.`);
      }
      for (const t of experimentTags.get(id) ?? []) checkKey("tag", str(t.key));
    }
    for (const r of runs) {
      checkId("run", str(r.run_uuid));
      for (const p of params.get(str(r.run_uuid)) ?? []) checkKey("param", str(p.key));
      for (const t of tags.get(str(r.run_uuid)) ?? []) checkKey("tag", str(t.key));
      for (const m of metrics.get(str(r.run_uuid)) ?? []) checkKey("metric", str(m.key));
    }
    for (const m of models) {
      checkModelName(str(m.name));
      for (const a of aliases.get(str(m.name)) ?? []) checkAliasName(str(a.alias));
      for (const t of [...(modelTags.get(str(m.name)) ?? []), ...(versionTags.get(str(m.name)) ?? [])]) checkKey("tag", str(t.key));
    }

    const summary: ImportSummary = { experiments: 0, runs: 0, params: 0, tags: 0, metricPoints: 0, models: 0, versions: 0, aliases: 0 };
    for (const e of experiments) {
      const id = str(e.experiment_id);
      writeMeta(join(root, id, "meta.yaml"), {
        artifact_location: str(e.artifact_location), creation_time: num(e.creation_time) ?? 0, experiment_id: id,
        last_update_time: num(e.last_update_time) ?? 0, lifecycle_stage: str(e.lifecycle_stage) || "active", name: str(e.name),
      });
      for (const t of experimentTags.get(id) ?? []) writeFileAtomic(join(root, id, "tags", str(t.key)), str(t.value));
      summary.experiments++;
    }
    for (const r of runs) {
      const runId = str(r.run_uuid);
      const dir = join(root, str(r.experiment_id), runId);
      for (const p of params.get(runId) ?? []) (writeFileAtomic(join(dir, "params", str(p.key)), str(p.value)), summary.params++);
      for (const t of tags.get(runId) ?? []) (writeFileAtomic(join(dir, "tags", str(t.key)), str(t.value)), summary.tags++);
      const lines = new Map<string, string[]>();
      for (const m of metrics.get(runId) ?? []) {
        const value = Number(m.is_nan) === 1 ? Number.NaN : Number(m.value);
        lines.set(str(m.key), [...(lines.get(str(m.key)) ?? []), `${str(m.timestamp)} ${formatMetricValue(value)} ${str(m.step) || "0"}`]);
        summary.metricPoints++;
      }
      for (const [key, list] of lines) writeFileAtomic(join(dir, "metrics", key), `${list.join("\n")}\n`);
      const meta: RunMetaFile & { deleted_time?: number } = {
        artifact_uri: str(r.artifact_uri), end_time: num(r.end_time), entry_point_name: str(r.entry_point_name), experiment_id: str(r.experiment_id),
        lifecycle_stage: str(r.lifecycle_stage) || "active", run_id: runId, run_name: str(r.name), run_uuid: runId, source_name: str(r.source_name),
        source_type: sourceTypes[str(r.source_type)] ?? 4, source_version: str(r.source_version), start_time: num(r.start_time),
        status: statusCodes[(str(r.status) || "FINISHED") as RunStatus] ?? statusCodes.FINISHED, tags: [], user_id: str(r.user_id),
        ...(r.deleted_time !== null && r.deleted_time !== undefined && { deleted_time: Number(r.deleted_time) }),
      };
      // meta.yaml last: a run is listed once its files are there.
      writeMeta(join(dir, "meta.yaml"), meta);
      summary.runs++;
    }
    for (const m of models) {
      const name = str(m.name);
      const fresh = !existsSync(join(modelDir(root, name), "meta.yaml"));
      writeYaml(join(modelDir(root, name), "meta.yaml"), { creation_timestamp: num(m.creation_time) ?? 0, description: str(m.description), last_updated_timestamp: num(m.last_updated_time) ?? 0, name });
      if (fresh) appendEventTo(join(modelDir(root, name), "events.jsonl"), { action: "create_model", model: name, before: null, after: { name, imported_from: file }, at: num(m.creation_time) ?? Date.now() });
      for (const t of modelTags.get(name) ?? []) writeFileAtomic(join(modelDir(root, name), "tags", str(t.key)), str(t.value));
      for (const v of versions.get(name) ?? []) {
        const version = Number(v.version);
        for (const t of (versionTags.get(name) ?? []).filter((x) => Number(x.version) === version)) writeFileAtomic(join(versionDir(root, name, version), "tags", str(t.key)), str(t.value));
        writeYaml(join(versionDir(root, name, version), "meta.yaml"), versionMeta({
          name, version, creationTimestamp: num(v.creation_time) ?? 0, lastUpdatedTimestamp: num(v.last_updated_time) ?? 0, currentStage: str(v.current_stage) || "None",
          description: str(v.description), source: str(v.source), runId: v.run_id ? str(v.run_id) : null, runLink: str(v.run_link), status: str(v.status) || "READY",
          statusMessage: v.status_message ? str(v.status_message) : null, userId: v.user_id ? str(v.user_id) : null, storageLocation: v.storage_location ? str(v.storage_location) : null, tags: {}, aliases: [],
        }));
        summary.versions++;
      }
      for (const a of aliases.get(name) ?? []) (writeFileAtomic(join(modelDir(root, name), "aliases", str(a.alias)), String(a.version)), summary.aliases++);
      summary.models++;
    }
    return summary;
  } finally {
    db.close();
  }
}
