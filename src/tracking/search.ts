import { getExperiment, listExperiments } from "./read.js";
import { indexedRuns, scanRuns, type IndexOptions } from "./run-index.js";
import { parseFilter, parseOrderBy, type Clause, type OrderBy, type SearchKey } from "./filter.js";
import type { Run } from "./types.js";

export interface SearchOptions extends IndexOptions {
  /** Experiment names or ids; default every active experiment. */
  experiments?: string[];
  /** MLflow filter string, e.g. `metrics.auc > 0.8 and params.model = 'lr'`. */
  filter?: string;
  /** Order-by clauses, e.g. `["metrics.auc DESC"]`; ties fall back to start_time DESC, then run id. */
  orderBy?: string[];
  /** At most this many runs (after ordering). */
  maxResults?: number;
  /** false reads every run's files instead of the index (the baseline; same answer). */
  useIndex?: boolean;
  /** Include runs whose lifecycle_stage is deleted. */
  includeDeleted?: boolean;
}

export interface SearchResult {
  runs: Run[];
  warnings: string[];
}

/** The value a key has on a run; undefined when the run does not have it. */
export function valueOf(run: Run, key: SearchKey): number | string | undefined {
  switch (key.kind) {
    case "metric":
      return run.metrics[key.name]?.value;
    case "param":
      return run.params[key.name];
    case "tag":
      return run.tags[key.name];
    case "attribute": {
      const i = run.info;
      const attrs: Record<string, number | string | null> = {
        run_id: i.runId, run_name: i.runName, status: i.status, user_id: i.userId, artifact_uri: i.artifactUri,
        lifecycle_stage: i.lifecycleStage, experiment_id: i.experimentId, start_time: i.startTime, created: i.startTime, end_time: i.endTime,
      };
      return attrs[key.name] ?? undefined;
    }
  }
}

const likeCache = new Map<string, RegExp>();
function likeRegex(pattern: string, insensitive: boolean): RegExp {
  const cacheKey = `${insensitive ? "i" : "s"}${pattern}`;
  let re = likeCache.get(cacheKey);
  if (!re) {
    const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replaceAll("%", ".*").replaceAll("_", ".");
    re = new RegExp(`^${body}$`, insensitive ? "is" : "s");
    likeCache.set(cacheKey, re);
  }
  return re;
}

/** One clause on one run. A run without the key never matches, whatever the comparator. */
export function matches(run: Run, clause: Clause): boolean {
  return compareValue(valueOf(run, clause.key), clause);
}

/** A clause's comparison on a value (an object's value of the clause's key); undefined never matches. */
export function compareValue(v: number | string | undefined, clause: Clause): boolean {
  if (v === undefined) return false;
  const want = clause.value;
  switch (clause.comparator) {
    case "=":
      return v === want;
    case "!=":
      return v !== want;
    case "<":
      return (v as number) < (want as number);
    case "<=":
      return (v as number) <= (want as number);
    case ">":
      return (v as number) > (want as number);
    case ">=":
      return (v as number) >= (want as number);
    case "LIKE":
      return likeRegex(want as string, false).test(String(v));
    case "ILIKE":
      return likeRegex(want as string, true).test(String(v));
    case "IN":
      return (want as string[]).includes(String(v));
    case "NOT IN":
      return !(want as string[]).includes(String(v));
  }
}

const missing = (v: number | string | undefined) => v === undefined || (typeof v === "number" && Number.isNaN(v));

/**
 * MLflow's order: each clause in turn, runs without the key (or NaN) last in either direction;
 * ties keep MLflow's default order (start_time DESC, then run id), so results are stable.
 */
export function sortRuns(runs: Run[], orderBy: OrderBy[]): Run[] {
  return [...runs].sort((a, b) => {
    for (const o of orderBy) {
      const x = valueOf(a, o.key);
      const y = valueOf(b, o.key);
      const mx = missing(x);
      const my = missing(y);
      if (mx || my) {
        if (mx !== my) return mx ? 1 : -1;
        continue;
      }
      if (x! < y!) return o.ascending ? -1 : 1;
      if (x! > y!) return o.ascending ? 1 : -1;
    }
    const sa = a.info.startTime ?? 0;
    const sb = b.info.startTime ?? 0;
    if (sa !== sb) return sb - sa;
    return a.info.runId < b.info.runId ? -1 : a.info.runId > b.info.runId ? 1 : 0;
  });
}

/** Runs of the given experiments that match the filter, in order. Parsing errors are invalid_argument. */
export function searchRuns(root: string, options: SearchOptions = {}): SearchResult {
  const clauses = parseFilter(options.filter);
  const orderBy = parseOrderBy(options.orderBy);
  const experiments = options.experiments?.length ? options.experiments.map((e) => getExperiment(root, e)) : listExperiments(root);
  const result: SearchResult = { runs: [], warnings: [] };
  for (const experiment of experiments) {
    const { runs, warnings } = options.useIndex === false ? scanRuns(root, experiment.experimentId, options.now) : indexedRuns(root, experiment.experimentId, options);
    result.warnings.push(...warnings);
    for (const run of runs) {
      if (run.info.lifecycleStage === "deleted" && !options.includeDeleted) continue;
      if (clauses.every((c) => matches(run, c))) result.runs.push(run);
    }
  }
  result.runs = sortRuns(result.runs, orderBy);
  if (options.maxResults !== undefined) result.runs = result.runs.slice(0, options.maxResults);
  return result;
}
