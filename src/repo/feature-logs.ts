import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../errors.js";
import { DEFAULT_LOG_DIR } from "./config.js";
import type { RepoConfig } from "./types.js";

/**
 * The feature log: what `mlf serve` answered, one Parquet file per flush, so monitoring can
 * compare live inputs with the training data. This module is the format's single definition:
 * the server writes it, `mlf monitor drift` reads it.
 *
 * Layout, under the repository (default `data/logs/`):
 *
 *   <log dir>/models/<model>/<yyyy-mm-dd>/<hh>-<seq>.parquet     answers of /predict
 *   <log dir>/services/<service>/<yyyy-mm-dd>/<hh>-<seq>.parquet answers of /get-online-features
 *                                                                 for a feature service
 *
 * `<yyyy-mm-dd>/<hh>` is the UTC hour every row of the file was logged in (a writer starts a
 * new file when the hour changes); `<seq>` a 6-digit sequence number within that hour
 * (000001, 000002, ...). A file is written under a hidden
 * temp name (a leading dot) and linked into place when complete, never appended to, so a
 * reader sees whole files only and a crash loses at most the rows not yet flushed. Readers
 * ignore names starting with a dot.
 *
 * Columns (one row per entity row of a request; a batch request gives several rows):
 *
 *   timestamp         TIMESTAMPTZ  when the request was answered (UTC)
 *   model             VARCHAR      registered model name (NULL for a feature service log)
 *   model_version     INTEGER      the version that answered (NULL for a feature service log)
 *   route             VARCHAR      the HTTP route, e.g. "/predict"
 *   variant           VARCHAR      the routing variant that answered ("champion", "challenger"...) or
 *                                  "shadow" for a shadow's predictions; NULL when not routed
 *   request_id        VARCHAR      one id per request, shared by the rows of a batch
 *   request_row       INTEGER      the row's position in its request, from 0
 *   key.<join_key>    the entity's value type   one column per entity join key
 *   <view>:<feature>  the feature's dtype       one column per feature value (NULL unless PRESENT)
 *   status.<view>:<feature>  VARCHAR            PRESENT, NOT_FOUND, NULL_VALUE or OUTSIDE_MAX_AGE
 *   prediction        DOUBLE (VARCHAR for a label-valued model)   /predict logs only
 *
 * Feature columns are named by their reference `view:feature`, so they never collide with a
 * metadata column, a join key or a feature of the same name in another view. Files of one
 * folder may differ in their feature columns (a new model version): readers union by name.
 */

/** The default log folder, relative to the repository root (feature_store.yaml's `logging.path` moves it). */
export { DEFAULT_LOG_DIR } from "./config.js";

/** The log folder of the repository at `root`: its `logging.path`, else `data/logs`. */
export function repoLogDir(root: string, config: Pick<RepoConfig, "logging">): string {
  return config.logging?.path ?? join(root, DEFAULT_LOG_DIR);
}

export const LOG_COLUMNS = {
  timestamp: "timestamp",
  model: "model",
  modelVersion: "model_version",
  route: "route",
  variant: "variant",
  requestId: "request_id",
  requestRow: "request_row",
  prediction: "prediction",
} as const;

/** Column prefixes of entity keys and feature statuses. */
export const KEY_PREFIX = "key.";
export const STATUS_PREFIX = "status.";

/** The statuses a feature value can have (SPEC section 4). */
export const FEATURE_STATUSES = ["PRESENT", "NOT_FOUND", "NULL_VALUE", "OUTSIDE_MAX_AGE"] as const;

/** Whether a log column is metadata rather than a feature value. */
export function isLogMetadataColumn(name: string): boolean {
  return (Object.values(LOG_COLUMNS) as string[]).includes(name) || name.startsWith(KEY_PREFIX) || name.startsWith(STATUS_PREFIX);
}

/** The folder holding one model's (or feature service's) logs. */
export function logFolder(logDir: string, kind: "models" | "services", name: string): string {
  return join(logDir, kind, name);
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Where the `seq`-th file of the UTC hour of `at` (epoch ms) goes. */
export function logFilePath(folder: string, at: number, seq: number): string {
  const d = new Date(at);
  const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  return join(folder, day, `${pad(d.getUTCHours(), 2)}-${pad(seq, 6)}.parquet`);
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const FILE = /^(\d{2})-(\d{6})\.parquet$/;

/** The UTC hour (0-23) and sequence number in a log file's name, or undefined for a name outside the layout. */
export function parseLogFileName(name: string): { hour: number; seq: number } | undefined {
  const f = FILE.exec(name);
  return f ? { hour: Number(f[1]), seq: Number(f[2]) } : undefined;
}

/**
 * The finished log files of a folder, oldest first, without the hours that end at or before
 * `since` (epoch ms). Names that are not part of the layout (temp files, notes) are ignored.
 */
export function listLogFiles(folder: string, since?: number): string[] {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new MlfError("file_not_found", `No feature log folder at ${folder}; log with "mlf serve" or pass the current data with --current FILE.`);
  }
  const files: string[] = [];
  for (const day of readdirSync(folder).sort()) {
    const d = DAY.exec(day);
    if (!d) continue;
    const dayStart = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
    for (const name of readdirSync(join(folder, day)).sort()) {
      const f = parseLogFileName(name);
      if (!f) continue;
      if (since !== undefined && dayStart + (f.hour + 1) * 3_600_000 <= since) continue;
      files.push(join(folder, day, name));
    }
  }
  return files;
}
