import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../errors.js";
import type { Metric } from "./types.js";

/** Temp files of writeFileAtomic (`.<name>.<pid>.<hex>.tmp`): a half-written value, never a key. */
const TEMP_FILE = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Visits every key file below `dir` as `(key, path)`: keys with `/` are stored as
 * sub-folders; temp and lock files are skipped; a missing folder has no keys.
 */
function walkKeys(dir: string, visit: (key: string, path: string) => void, prefix = ""): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const entry of entries) {
    if (TEMP_FILE.test(entry.name) || entry.name.endsWith(".lock")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walkKeys(path, visit, `${prefix}${entry.name}/`);
    else if (entry.isFile()) visit(`${prefix}${entry.name}`, path);
  }
}

/** Reads a `params/` or `tags/` folder: one file per key, the raw value as content. */
export function readKeyValues(dir: string): Record<string, string> {
  const values: Record<string, string> = {};
  walkKeys(dir, (key, path) => (values[key] = readFileSync(path, "utf8")));
  return values;
}

/** Metric keys of a `metrics/` folder (sub-folders become `a/b` keys). */
export function listMetricKeys(dir: string): string[] {
  const keys: string[] = [];
  walkKeys(dir, (key) => keys.push(key));
  return keys;
}

/** Python's float spellings as MLflow writes them (`nan`, `inf`, `-inf`) plus JavaScript's. */
export function parseMetricValue(text: string): number {
  switch (text.toLowerCase()) {
    case "nan":
      return Number.NaN;
    case "inf":
    case "+inf":
    case "infinity":
      return Number.POSITIVE_INFINITY;
    case "-inf":
    case "-infinity":
      return Number.NEGATIVE_INFINITY;
  }
  return text.trim() === "" ? Number.NaN : Number(text);
}

/** The value as Python's `str(float)` would write it, so MLflow reads it back. */
export function formatMetricValue(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Number.POSITIVE_INFINITY) return "inf";
  if (value === Number.NEGATIVE_INFINITY) return "-inf";
  return String(value);
}

/**
 * One metric line as MLflow's file store writes it: `<timestamp_ms> <value> <step>`, then for a
 * logged model's metric file the run that logged it, then, when the point was computed on a
 * dataset, `<dataset_name> <dataset_digest>`.
 */
export function metricLine(m: Pick<Metric, "timestamp" | "value" | "step" | "dataset">, runId?: string): string {
  return [m.timestamp, formatMetricValue(m.value), m.step, ...(runId === undefined ? [] : [runId]), ...(m.dataset ? [m.dataset.name, m.dataset.digest] : [])].join(" ");
}

/** A run's metric file, or a logged model's (each line also names the run that logged the point). */
export type MetricFileKind = "run" | "model";

/**
 * Parses a metric file (see metricLine; old run files omit the step). Every writer ends a line
 * with a newline, so a last line without one is a write that was cut short: it is skipped and
 * reported in `warnings`. A malformed complete line is corrupt data and an error.
 */
export function parseMetricFile(text: string, key: string, file: string, warnings: string[], kind: MetricFileKind = "run"): Metric[] {
  const lines = text.split("\n");
  const tail = lines.pop()!;
  if (tail.trim() !== "") warnings.push(`${file}: skipped a torn last line "${tail.slice(0, 60)}" (a write was cut short).`);
  const sizes = kind === "run" ? [2, 3, 5] : [4, 6];
  const out: Metric[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const parts = line.split(/\s+/);
    const timestamp = Number(parts[0]);
    const value = parseMetricValue(parts[1] ?? "");
    const step = parts.length > 2 ? Number(parts[2]) : 0;
    const valueOk = !Number.isNaN(value) || parts[1]?.toLowerCase() === "nan";
    if (!sizes.includes(parts.length) || !Number.isInteger(timestamp) || !valueOk || !Number.isInteger(step)) {
      const shape = kind === "run" ? "<timestamp_ms> <value> <step>" : "<timestamp_ms> <value> <step> <run_id>";
      throw new MlfError("invalid_data", `${file} line ${i + 1} is not "${shape} [<dataset_name> <dataset_digest>]": "${line.slice(0, 60)}"; fix or remove that line.`);
    }
    const rest = parts.slice(3);
    const runId = kind === "model" ? rest.shift()! : undefined;
    out.push({ key, value, timestamp, step, ...(runId !== undefined && { runId }), ...(rest.length === 2 && { dataset: { name: rest[0]!, digest: rest[1]! } }) });
  }
  return out;
}

/** MLflow's latest metric: the point with the greatest (step, timestamp, value). */
export function latestMetric(points: Metric[]): Metric | undefined {
  let best: Metric | undefined;
  for (const p of points) {
    if (!best || p.step > best.step || (p.step === best.step && (p.timestamp > best.timestamp || (p.timestamp === best.timestamp && greater(p.value, best.value))))) best = p;
  }
  return best;
}

// NaN compares greater than every number, as in MLflow's ordering of latest values.
const greater = (a: number, b: number) => (Number.isNaN(a) ? !Number.isNaN(b) : !Number.isNaN(b) && a > b);
