import type { DuckDBDataChunk, DuckDBResult } from "@duckdb/node-api";
import { MlfError } from "../errors.js";
import { openEngineWithSources } from "../offline/engine.js";
import { tableSpec } from "../repo/plan.js";
import { recordMaterialization, requireRegistry, type RegistryFile } from "../repo/registry.js";
import type { Repo } from "../repo/repo.js";
import type { FeatureView } from "../repo/types.js";
import { formatTime } from "../util/time.js";
import { latestRowsSql } from "./materialize-sql.js";
import type { OnlineRow, OnlineTableSpec } from "./store.js";
import { openOnlineStore } from "./stores.js";

/** The start used for "all history" (unlimited ttl, first incremental run): 0001-01-01Z. */
export const ALL_HISTORY_MS = -62_135_596_800_000;

/** How far in the future an END may be: clocks drift, data from tomorrow does not exist. */
const FUTURE_SLACK_MS = 60_000;

export interface MaterializeOptions {
  /** Only these views (default: every online view). */
  views?: string[];
  /** Called after each written batch with the rows of the view written so far. */
  onProgress?: (view: string, rows: number) => void;
  /** The clock for the future check, epoch ms (default: Date.now()). */
  now?: number;
}

/** One view's run. `start`/`end` are ISO-8601 UTC, both inclusive. */
export interface ViewMaterialization {
  view: string;
  start: string;
  end: string;
  /** Entities whose latest row fell in the interval. */
  rows: number;
  /** Of those, rows that were newer than the stored ones and replaced or created them. */
  written: number;
  seconds: number;
  /** Set when the view was already materialized up to `end` (incremental only). */
  upToDate?: boolean;
}

function checkEnd(endMs: number, now: number): void {
  if (endMs > now + FUTURE_SLACK_MS) {
    throw new MlfError("invalid_argument", `The end ${formatTime(endMs)} is in the future; materialize up to now at the latest.`);
  }
}

function selectViews(registry: RegistryFile, names: string[] | undefined): FeatureView[] {
  const online = registry.definitions.featureViews.filter((v) => v.online);
  if (!names || names.length === 0) return online;
  return names.map((name) => {
    const view = registry.definitions.featureViews.find((v) => v.name === name);
    if (!view) throw new MlfError("not_found", `Feature view "${name}" is not in the registry; list them with "mlf feature-views list".`);
    if (!view.online) throw new MlfError("invalid_argument", `Feature view "${name}" is not online; set online: true and run "mlf apply" first.`);
    return view;
  });
}

/** DuckDB chunks as store rows, fetching the next chunk while the store writes this one. */
async function* streamRows(result: DuckDBResult, spec: OnlineTableSpec): AsyncGenerator<OnlineRow[]> {
  const k = spec.keys.length;
  const n = spec.features.length;
  const blobs = spec.features.map((f) => f.dtype === "bytes");
  const toRow = (r: unknown[]): OnlineRow => {
    const values = r.slice(k, k + n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (blobs[i] && v !== null) values[i] = Buffer.from((v as { bytes: Uint8Array }).bytes);
    }
    const key = r.slice(0, k).map((v) => (v !== null && typeof v === "object" ? Buffer.from((v as { bytes: Uint8Array }).bytes) : v));
    return { key, values, eventTs: r[k + n] as number, createdTs: r[k + n + 1] as number | null };
  };
  let pending: Promise<DuckDBDataChunk | null> = result.fetchChunk();
  for (;;) {
    const chunk = await pending;
    if (!chunk || chunk.rowCount === 0) return;
    pending = result.fetchChunk();
    yield (chunk.getRows() as unknown[][]).map(toRow);
  }
}

/**
 * Loads into the online store, for each selected online view, the latest row per entity
 * with `startMs <= ts <= endMs` (epoch ms UTC, both inclusive), computed by DuckDB over the
 * same source views as historical retrieval. Each view is written in one transaction
 * (newer-wins, see OnlineStore.write) and its interval recorded in the registry afterwards;
 * a run killed mid-way leaves the previous values and intervals as they were.
 */
export async function materialize(repo: Repo, startMs: number, endMs: number, options: MaterializeOptions = {}): Promise<ViewMaterialization[]> {
  if (startMs > endMs) {
    throw new MlfError("invalid_argument", `The start ${formatTime(startMs)} is after the end ${formatTime(endMs)}; pass START <= END.`);
  }
  checkEnd(endMs, options.now ?? Date.now());
  const registry = requireRegistry(repo.config.registry);
  const views = selectViews(registry, options.views);
  return run(repo, registry, views.map((view) => ({ view, startMs })), endMs, options);
}

/**
 * Materializes each selected view from its last materialized end to `endMs`; a view never
 * materialized starts at `endMs - ttl`, or at the beginning of history when its ttl is
 * unlimited. A view already materialized up to `endMs` is reported `upToDate` and skipped.
 */
export async function materializeIncremental(repo: Repo, endMs: number, options: MaterializeOptions = {}): Promise<ViewMaterialization[]> {
  checkEnd(endMs, options.now ?? Date.now());
  const registry = requireRegistry(repo.config.registry);
  const plans = selectViews(registry, options.views).map((view) => {
    const intervals = registry.materializations[view.name] ?? [];
    const lastEnd = intervals.length > 0 ? Math.max(...intervals.map((i) => Date.parse(i.end))) : undefined;
    const startMs = lastEnd ?? (view.ttlSeconds > 0 ? endMs - view.ttlSeconds * 1000 : ALL_HISTORY_MS);
    return { view, startMs };
  });
  const todo = plans.filter((p) => p.startMs < endMs);
  const done = await run(repo, registry, todo, endMs, options);
  return plans.map(
    (p) =>
      done.find((d) => d.view === p.view.name) ?? { view: p.view.name, start: formatTime(p.startMs), end: formatTime(endMs), rows: 0, written: 0, seconds: 0, upToDate: true },
  );
}

async function run(repo: Repo, registry: RegistryFile, plans: { view: FeatureView; startMs: number }[], endMs: number, options: MaterializeOptions): Promise<ViewMaterialization[]> {
  if (plans.length === 0) return [];
  const defs = registry.definitions;
  const engine = await openEngineWithSources(repo.root, repo.config.offlineStore, defs);
  const store = await openOnlineStore(registry.project, repo.config.onlineStore);
  const results: ViewMaterialization[] = [];
  try {
    for (const { view, startMs } of plans) {
      const began = performance.now();
      const spec = tableSpec(defs, view);
      const source = defs.sources.find((s) => s.name === view.source)!;
      let result: DuckDBResult;
      try {
        result = await engine.connection.stream(latestRowsSql(spec, source, startMs, endMs));
      } catch (error) {
        throw new MlfError("invalid_data", `Feature view "${view.name}" cannot be read from source "${source.name}": ${(error as Error).message.split("\n")[0]}; run "mlf plan" to check the definitions.`, { cause: error });
      }
      let rows = 0;
      const progress = async function* (batches: AsyncGenerator<OnlineRow[]>) {
        for await (const batch of batches) {
          yield batch;
          rows += batch.length;
          options.onProgress?.(view.name, rows);
        }
      };
      const written = await store.write(spec, progress(streamRows(result, spec)));
      const interval = { start: formatTime(startMs), end: formatTime(endMs), at: new Date().toISOString() };
      recordMaterialization(repo.config.registry, view.name, interval);
      results.push({ view: view.name, start: interval.start, end: interval.end, rows: written.rows, written: written.written, seconds: (performance.now() - began) / 1000 });
    }
  } finally {
    await store.close();
    engine.close();
  }
  return results;
}
