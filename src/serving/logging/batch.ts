import { KEY_PREFIX, LOG_COLUMNS, STATUS_PREFIX } from "../../repo/feature-logs.js";
import { formatFeatureRef, serviceRefs } from "../../repo/resolve.js";
import type { Definitions, Dtype, ValueType } from "../../repo/types.js";
import type { ColumnBuilder } from "./column-builder.js";
import { columnBuilder, inferred, PARQUET } from "./columns.js";
import type { ParquetColumn, ParquetType } from "./parquet.js";
import type { FeatureLogRecord } from "./record.js";
import { StatusBuilder, UniqueTextBuilder } from "./text-columns.js";

/**
 * The rows of one log file as they are logged: each answer is copied at once into typed
 * columns of the feature log format (src/repo/feature-logs.ts), typed by the applied registry (a
 * join key by its entity's value type, a feature by its dtype). Copying costs a few
 * microseconds per request; keeping the requests' own objects until the flush cost far more
 * (they outlived the young generation, so every garbage collection copied them), and typed
 * arrays hold no JavaScript object per value for the collector to trace.
 */

/** The registry's types, worked out once per applied registry. */
export interface LogTypes {
  keys: Map<string, ValueType>;
  features: Map<string, Dtype>;
  /** The refs a feature service projects, in order (undefined: unknown service). */
  serviceRefs(name: string): string[] | undefined;
}

const cache = new WeakMap<Definitions, LogTypes>();
const NO_TYPES: LogTypes = { keys: new Map(), features: new Map(), serviceRefs: () => undefined };

export function logTypes(defs: Definitions | undefined): LogTypes {
  if (!defs) return NO_TYPES;
  let types = cache.get(defs);
  if (!types) {
    const services = new Map<string, string[] | undefined>();
    types = {
      keys: new Map(defs.entities.map((e) => [e.joinKey, e.valueType])),
      features: new Map(defs.featureViews.flatMap((v) => v.schema.map((f): [string, Dtype] => [`${v.name}:${f.name}`, f.dtype]))),
      serviceRefs(name) {
        if (!services.has(name)) {
          let refs: string[] | undefined;
          try {
            refs = serviceRefs(defs, name).map(formatFeatureRef);
          } catch {
            refs = undefined;
          }
          services.set(name, refs);
        }
        return services.get(name);
      },
    };
    cache.set(defs, types);
  }
  return types;
}

/** The refs of a record's columns, or undefined when they cannot be known (a service removed meanwhile). */
export function recordRefs(record: FeatureLogRecord, types: LogTypes): readonly string[] | undefined {
  const refs = record.features ?? (record.kind === "services" ? types.serviceRefs(record.name) : undefined);
  return refs && refs.length === record.columns.length ? refs : undefined;
}

/** A registry version ("3") as its number; anything else (a file's digest) is NULL. */
function versionNumber(version: string | undefined): number | null {
  return version !== undefined && /^\d{1,9}$/.test(version) ? Number(version) : null;
}

/** The builders of one refs list: records of one model share that list, so this is worked out once per list. */
interface Plan {
  values: ColumnBuilder[];
  statuses: ColumnBuilder[];
}

/**
 * The rows of one log (a model's or a feature service's) logged in one UTC hour: metadata,
 * then `key.*` and the features in first-seen order, their statuses, and the prediction.
 */
export class LogBatch {
  rows = 0;
  /** Records appended. */
  requests = 0;
  private readonly meta: Record<"timestamp" | "model" | "version" | "route" | "variant" | "requestId" | "requestRow", ColumnBuilder>;
  private readonly keys = new Map<string, ColumnBuilder | null>();
  private readonly values = new Map<string, ColumnBuilder>();
  private readonly statuses = new Map<string, ColumnBuilder>();
  private prediction: ColumnBuilder | undefined;
  private readonly plans = new WeakMap<readonly string[], Plan>();

  /**
   * `capacity`: rows to make room for at once (the logger passes the rows of the log's last
   * batch, so a steady load never grows its columns).
   */
  constructor(
    readonly kind: "models" | "services",
    private readonly types: LogTypes,
    private capacity = 0,
  ) {
    const b = (name: string, type: ParquetType) => columnBuilder(name, type, capacity);
    this.meta = {
      timestamp: b(LOG_COLUMNS.timestamp, "TIMESTAMPTZ"),
      model: b(LOG_COLUMNS.model, "VARCHAR"),
      version: b(LOG_COLUMNS.modelVersion, "INTEGER"),
      route: b(LOG_COLUMNS.route, "VARCHAR"),
      variant: b(LOG_COLUMNS.variant, "VARCHAR"),
      requestId: new UniqueTextBuilder(LOG_COLUMNS.requestId, capacity),
      requestRow: b(LOG_COLUMNS.requestRow, "INTEGER"),
    };
  }

  private builders(): ColumnBuilder[] {
    const keys = [...this.keys.values()].filter((k): k is ColumnBuilder => k !== null);
    return [...Object.values(this.meta), ...keys, ...this.values.values(), ...this.statuses.values(), ...(this.prediction ? [this.prediction] : [])];
  }

  private builder(name: string, type: ParquetType): ColumnBuilder {
    return columnBuilder(name, type, this.capacity);
  }

  private reserve(rows: number): void {
    if (rows <= this.capacity) return;
    this.capacity = Math.max(rows, this.capacity * 2, 256);
    for (const b of this.builders()) b.grow(this.capacity);
  }

  private plan(refs: readonly string[], record: FeatureLogRecord): Plan {
    let plan = this.plans.get(refs);
    if (!plan) {
      plan = { values: [], statuses: [] };
      refs.forEach((ref, j) => {
        let value = this.values.get(ref);
        if (!value) {
          const dtype = this.types.features.get(ref);
          this.values.set(ref, (value = this.builder(ref, dtype ? PARQUET[dtype] : inferred(record.columns[j]!.values))));
          this.statuses.set(ref, new StatusBuilder(STATUS_PREFIX + ref, this.capacity));
        }
        plan!.values.push(value);
        plan!.statuses.push(this.statuses.get(ref)!);
      });
      this.plans.set(refs, plan);
    }
    return plan;
  }

  /**
   * Copies a record's rows in (`refs`: its refs, see recordRefs). Should it throw, its rows are
   * left NULL and not counted, and the batch stays usable.
   */
  append(record: FeatureLogRecord, refs: readonly string[]): void {
    const from = this.rows;
    const n = record.rows;
    this.reserve(from + n);
    try {
      const m = this.meta;
      m.timestamp.fill(from, n, record.at);
      m.model.fill(from, n, this.kind === "models" ? record.name : null);
      m.version.fill(from, n, versionNumber(record.modelVersion));
      m.route.fill(from, n, record.route);
      m.variant.fill(from, n, record.variant ?? null);
      m.requestId.fill(from, n, record.requestId);
      const positions = record.positions;
      for (let r = 0; r < n; r++) m.requestRow.set(from + r, positions ? positions[r]! : r);
      for (const name in record.keys) {
        let key = this.keys.get(name);
        if (key === undefined) {
          const valueType = this.types.keys.get(name);
          // Not a join key of the registry: not logged (requests can send any name).
          this.keys.set(name, (key = valueType === undefined ? null : this.builder(KEY_PREFIX + name, PARQUET[valueType])));
        }
        if (key === null) continue;
        const given = record.keys[name];
        if (Array.isArray(given)) for (let r = 0; r < n; r++) key.set(from + r, given[r]);
        else key.fill(from, n, given);
      }
      const plan = this.plan(refs, record);
      for (let j = 0; j < refs.length; j++) {
        const { values, statuses } = record.columns[j]!;
        const value = plan.values[j]!;
        const status = plan.statuses[j]!;
        for (let r = 0; r < n; r++) {
          const v = values[r];
          // A value the request sent has no status: PRESENT unless null. Only PRESENT values are logged.
          const s = statuses?.[r] ?? (v === null || v === undefined ? "NULL_VALUE" : "PRESENT");
          status.set(from + r, s);
          value.set(from + r, s === "PRESENT" ? v : null);
        }
      }
      if (this.kind === "models" && record.predictions) {
        this.prediction ??= this.builder(LOG_COLUMNS.prediction, record.predictions.every((p) => typeof p === "number") ? "DOUBLE" : "VARCHAR");
        for (let r = 0; r < n; r++) this.prediction.set(from + r, record.predictions[r]);
      }
    } catch (error) {
      for (const b of this.builders()) b.valid.fill(0, from, from + n);
      throw error;
    }
    this.rows = from + n;
    this.requests++;
  }

  /** The batch's columns in file order, each made when asked for (see writeParquet). */
  *columns(): Generator<ParquetColumn> {
    for (const b of this.builders()) yield b.column(this.rows);
  }
}
