import type { Run } from "./types.js";

/** One key compared across runs; `values[i]` belongs to runs[i] (undefined when that run lacks it). */
export interface ComparedKey {
  key: string;
  values: (string | number | undefined)[];
  /** True when the runs do not all hold the same value (a missing value counts as different). */
  differs: boolean;
}

export interface Comparison {
  runIds: string[];
  runNames: string[];
  params: ComparedKey[];
  /** Latest values (MLflow's latest: greatest step, then timestamp). */
  metrics: ComparedKey[];
}

function compareKeys(runs: Run[], pick: (r: Run) => Record<string, string | number>): ComparedKey[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  return keys.map((key) => {
    const values = runs.map((r) => pick(r)[key]);
    const first = values[0];
    const same = (v: unknown) => v === first || (typeof v === "number" && typeof first === "number" && Number.isNaN(v) && Number.isNaN(first));
    return { key, values, differs: !values.every(same) };
  });
}

/** Params and latest metrics of several runs side by side, with the differing keys flagged. */
export function compareRuns(runs: Run[]): Comparison {
  return {
    runIds: runs.map((r) => r.info.runId),
    runNames: runs.map((r) => r.info.runName),
    params: compareKeys(runs, (r) => r.params),
    metrics: compareKeys(runs, (r) => Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, m.value]))),
  };
}
