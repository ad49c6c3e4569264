import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { runLiveness } from "./liveness.js";
import { experimentDir as experimentFolder, listRunIds, readRun } from "./read.js";
import { isRunIndex } from "./run-index-check.js";
import type { RunIndexFile, StoredEntry } from "./run-index-schema.js";
import type { Run } from "./types.js";

/**
 * The per-experiment run index: a cache of every run's info, params, tags and latest metrics,
 * so search does not open every file of every run. It lives outside the tracking folder (in
 * the user's cache dir), because mlf never modifies a folder it only reads: a store written by
 * MLflow, or copied from another machine, is left byte for byte as it is.
 *
 * It stays correct when MLflow or another process writes: on every use the experiment folder
 * is listed (new and removed runs) and each run's meta.yaml and params/metrics/tags folders are
 * stat'ed; a changed signature means the run is read again. RUNNING runs are always read again
 * (MLflow appends to an existing metric file without touching any folder). mlf's own writers
 * bump the kind folder's mtime, so even a write to a finished run is seen. An entry whose files
 * changed within SETTLE_MS of being read is read again next time, because file-system mtimes
 * are coarse (a second write in the same tick would keep the same mtime).
 */

const FORMAT = 2 as const;
const SETTLE_MS = 2_000;

interface Entry {
  sig: string;
  readAt: number;
  run: Run;
  warnings: string[];
}

/** Values JSON cannot hold (NaN, ±Infinity) are stored as their names. */
const encodeValue = (v: number): StoredEntry["m"][string][0] => (Number.isNaN(v) ? "NaN" : v === Infinity ? "Infinity" : v === -Infinity ? "-Infinity" : v);
const decodeValue = (v: number | string) => (typeof v === "number" ? v : Number(v));

function encode(e: Entry): StoredEntry {
  const i = e.run.info;
  const m: StoredEntry["m"] = {};
  for (const [k, x] of Object.entries(e.run.metrics)) m[k] = [encodeValue(x.value), x.timestamp, x.step];
  return {
    s: e.sig, t: e.readAt,
    i: [i.runId, i.runName, i.experimentId, i.userId, i.status, i.startTime, i.endTime, i.lifecycleStage, i.artifactUri, i.artifactDir],
    p: e.run.params, m, g: e.run.tags, ...(e.warnings.length > 0 && { w: e.warnings }),
  };
}

function decode(s: StoredEntry): Entry {
  const [runId, runName, experimentId, userId, status, startTime, endTime, lifecycleStage, artifactUri, artifactDir] = s.i;
  const metrics: Run["metrics"] = {};
  for (const [key, [value, timestamp, step]] of Object.entries(s.m)) metrics[key] = { key, value: decodeValue(value), timestamp, step };
  return {
    sig: s.s, readAt: s.t, warnings: s.w ?? [],
    // Copies: the stored entry may be the memoized index's, which callers must not reach.
    run: { info: { runId, runName, experimentId, userId, status, startTime, endTime, lifecycleStage, artifactUri, artifactDir }, params: { ...s.p }, metrics, tags: { ...s.g }, liveness: "unknown" },
  };
}

export interface IndexOptions {
  /** Folder for index files; default `MLF_CACHE_DIR`, else `$XDG_CACHE_HOME/mlf`, else `~/.cache/mlf`. */
  cacheDir?: string;
  /** Epoch ms used for liveness and settling; default now. */
  now?: number;
}

export interface IndexedRuns {
  runs: Run[];
  warnings: string[];
  /** Runs served from the index vs read from their files (for tests and the bench). */
  reused: number;
  read: number;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLF_CACHE_DIR) return resolve(env.MLF_CACHE_DIR);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), ".cache"), "mlf");
}

export function indexFile(experimentDir: string, cacheDir: string): string {
  const id = createHash("sha256").update(resolve(experimentDir)).digest("hex").slice(0, 32);
  return join(cacheDir, "tracking-index", `${id}.json`);
}

/** meta.yaml mtime+size and the three key folders' mtimes; "" when meta.yaml is missing. */
function signature(folder: string): { sig: string; newest: number } {
  const meta = statSync(join(folder, "meta.yaml"), { throwIfNoEntry: false });
  if (!meta) return { sig: "", newest: 0 };
  let newest = meta.mtimeMs;
  let sig = `${meta.mtimeMs}:${meta.size}`;
  for (const sub of ["params", "metrics", "tags"]) {
    const m = statSync(join(folder, sub), { throwIfNoEntry: false })?.mtimeMs ?? -1;
    newest = Math.max(newest, m);
    sig += `:${m}`;
  }
  return { sig, newest };
}

/**
 * The index last parsed or written per file, with the file's inode, mtime and size then: a
 * long-running process (`mlf server`, `mlf ui`) searching again skips parsing an unchanged
 * file (about 0.25 s for 10k runs). Every write is a rename to a new inode, so a file another
 * process rewrote never matches, whatever its mtime's resolution.
 */
const parsedIndexes = new Map<string, { stamp: string; index: RunIndexFile }>();

function stampOf(file: string): string | undefined {
  const s = statSync(file, { throwIfNoEntry: false });
  return s && `${s.ino}:${s.mtimeMs}:${s.size}`;
}

/** The index of `experimentDir`; a missing, torn, foreign or outdated file counts as empty (it is only a cache, rebuilt from the runs). */
function loadIndex(file: string, experimentDir: string): RunIndexFile {
  const stamp = stampOf(file);
  const memo = parsedIndexes.get(file);
  if (stamp !== undefined && memo?.stamp === stamp) return memo.index;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (isRunIndex(parsed) && parsed.experimentDir === experimentDir) {
      if (stamp !== undefined) parsedIndexes.set(file, { stamp, index: parsed });
      return parsed;
    }
  } catch {
    // see above
  }
  return { format: FORMAT, experimentDir, runs: {} };
}

/** Every run of one experiment, from the index where it is still valid and from the files otherwise. */
export function indexedRuns(root: string, experimentId: string, options: IndexOptions = {}): IndexedRuns {
  const now = options.now ?? Date.now();
  // Resolved once: a deleted experiment's runs are in `.trash`, and every run is below it.
  const experimentDir = resolve(experimentFolder(root, experimentId));
  const file = indexFile(experimentDir, options.cacheDir ?? defaultCacheDir());
  const index = loadIndex(file, experimentDir);
  const next: Record<string, StoredEntry> = {};
  const out: IndexedRuns = { runs: [], warnings: [], reused: 0, read: 0 };
  let changed = false;
  for (const runId of listRunIds(root, experimentId)) {
    const folder = join(experimentDir, runId);
    const { sig, newest } = signature(folder);
    if (sig === "") continue; // a folder without meta.yaml is not a run (yet)
    const stored = index.runs[runId];
    let entry: Entry | undefined;
    if (stored && stored.s === sig && stored.i[4] !== "RUNNING" && newest < stored.t - SETTLE_MS) {
      entry = decode(stored);
      next[runId] = stored;
      out.reused++;
    } else {
      const warnings: string[] = [];
      try {
        const run = readRun(root, { experimentId, runId }, warnings, now);
        if (run) {
          entry = { sig, readAt: now, run, warnings };
          next[runId] = encode(entry);
        }
      } catch (error) {
        out.warnings.push(`Skipped run ${runId}: ${(error as Error).message}`);
      }
      out.read++;
      changed = true;
    }
    if (!entry) continue;
    out.warnings.push(...entry.warnings);
    entry.run.liveness = runLiveness(entry.run.info.status, entry.run.tags, now);
    out.runs.push(entry.run);
  }
  if (changed || Object.keys(index.runs).length !== Object.keys(next).length) {
    try {
      const written: RunIndexFile = { format: FORMAT, experimentDir, runs: next };
      writeFileAtomic(file, JSON.stringify(written));
      const stamp = stampOf(file);
      if (stamp !== undefined) parsedIndexes.set(file, { stamp, index: written });
    } catch {
      // An unwritable cache only costs speed; the answer is already correct.
    }
  }
  return out;
}

/** The baseline the index replaces: read every file of every run, as MLflow's file store does. */
export function scanRuns(root: string, experimentId: string, now = Date.now()): IndexedRuns {
  const out: IndexedRuns = { runs: [], warnings: [], reused: 0, read: 0 };
  for (const runId of listRunIds(root, experimentId)) {
    try {
      const run = readRun(root, { experimentId, runId }, out.warnings, now);
      if (run) out.runs.push(run);
    } catch (error) {
      out.warnings.push(`Skipped run ${runId}: ${(error as Error).message}`);
    }
    out.read++;
  }
  return out;
}
