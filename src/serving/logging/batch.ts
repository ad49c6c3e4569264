import { FEATURE_STATUSES, KEY_PREFIX, LOG_COLUMNS, STATUS_PREFIX } from "../../monitor/logs.js";
import { formatFeatureRef, serviceRefs } from "../../repo/resolve.js";
import type { Definitions, Dtype, ValueType } from "../../repo/types.js";
import { parseTime } from "../../util/time.js";
import type { ParquetColumn, ParquetType } from "./parquet.js";
import type { FeatureLogRecord } from "./record.js";

/**
 * The rows of one log file as they are logged: each answer is copied at once into typed
 * columns of the feature log format (src/monitor/logs.ts), typed by the applied registry (a
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

const PARQUET: Record<Dtype, ParquetType> = {
  int32: "INTEGER", int64: "BIGINT", float32: "FLOAT", float64: "DOUBLE",
  string: "VARCHAR", bytes: "BLOB", bool: "BOOLEAN", unix_timestamp: "TIMESTAMPTZ",
};

/** The type of a feature the registry does not know (a model input no view has any more), from a value. */
function inferred(values: readonly unknown[]): ParquetType {
  const v = values.find((x) => x !== null && x !== undefined);
  return typeof v === "number" || typeof v === "bigint" ? "DOUBLE" : typeof v === "boolean" ? "BOOLEAN" : "VARCHAR";
}

/**
 * One column filled row by row, one class per type so that each call site (the same feature
 * of every request) stays monomorphic. `set` takes a JSON-ready value (as the online store
 * answers and requests send: bytes as base64 text, times as ISO text or epoch ms) and stores
 * it in the column's type; a value that does not fit is stored as NULL: the log keeps what the
 * model saw, never a guess.
 */
export abstract class ColumnBuilder {
  valid: Uint8Array;

  constructor(
    readonly name: string,
    capacity: number,
  ) {
    this.valid = new Uint8Array(capacity);
  }

  abstract set(r: number, v: unknown): void;
  /** Copies row `from` to the `n - 1` rows after it. */
  protected abstract repeat(from: number, n: number): void;
  protected abstract resize(capacity: number): void;
  /** The first `rows` rows, for the Parquet writer. */
  abstract column(rows: number): ParquetColumn;

  /** Rows from..from+n-1 all get `v`, converted once. */
  fill(from: number, n: number, v: unknown): void {
    this.set(from, v);
    if (n > 1) {
      this.valid.fill(this.valid[from]!, from + 1, from + n);
      this.repeat(from, n);
    }
  }

  grow(capacity: number): void {
    const valid = new Uint8Array(capacity);
    valid.set(this.valid);
    this.valid = valid;
    this.resize(capacity);
  }
}

type Typed = Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A builder whose data is one typed array. */
abstract class TypedBuilder<T extends Typed> extends ColumnBuilder {
  protected data: T;

  constructor(name: string, capacity: number, private readonly make: (capacity: number) => T) {
    super(name, capacity);
    this.data = make(capacity);
  }

  protected repeat(from: number, n: number): void {
    (this.data as Float64Array).fill((this.data as Float64Array)[from]!, from + 1, from + n);
  }

  protected resize(capacity: number): void {
    const data = this.make(capacity);
    (data as Float64Array).set(this.data as Float64Array);
    this.data = data;
  }
}

class DoubleBuilder extends TypedBuilder<Float64Array> {
  constructor(name: string, capacity: number, readonly type: "DOUBLE" | "FLOAT") {
    super(name, capacity, (c) => new Float64Array(c));
  }
  set(r: number, v: unknown): void {
    if (typeof v === "bigint") v = Number(v);
    if (typeof v === "number") {
      this.data[r] = v;
      this.valid[r] = 1;
    } else this.valid[r] = 0;
  }
  column(rows: number): ParquetColumn {
    return { name: this.name, type: this.type, valid: this.valid.subarray(0, rows), data: this.data };
  }
}

class IntegerBuilder extends TypedBuilder<Int32Array> {
  constructor(name: string, capacity: number) {
    super(name, capacity, (c) => new Int32Array(c));
  }
  set(r: number, v: unknown): void {
    if (typeof v === "bigint") v = Number(v);
    if (typeof v === "number" && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) {
      this.data[r] = v;
      this.valid[r] = 1;
    } else this.valid[r] = 0;
  }
  column(rows: number): ParquetColumn {
    return { name: this.name, type: "INTEGER", valid: this.valid.subarray(0, rows), data: this.data };
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

class BigIntBuilder extends TypedBuilder<BigInt64Array> {
  constructor(name: string, capacity: number) {
    super(name, capacity, (c) => new BigInt64Array(c));
  }
  set(r: number, v: unknown): void {
    if (typeof v === "number" && Number.isSafeInteger(v)) v = BigInt(v);
    if (typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX) {
      this.data[r] = v;
      this.valid[r] = 1;
    } else this.valid[r] = 0;
  }
  column(rows: number): ParquetColumn {
    return { name: this.name, type: "BIGINT", valid: this.valid.subarray(0, rows), data: this.data };
  }
}

/** mlf's times are milliseconds (the online codec's); text without a zone is UTC, as everywhere. */
function millisOf(v: unknown): number {
  if (typeof v === "number") return v;
  if (v instanceof Date) return v.getTime();
  if (typeof v !== "string") return Number.NaN;
  try {
    return parseTime(v);
  } catch {
    return Number.NaN;
  }
}

class TimestampBuilder extends TypedBuilder<BigInt64Array> {
  constructor(name: string, capacity: number) {
    super(name, capacity, (c) => new BigInt64Array(c));
  }
  set(r: number, v: unknown): void {
    const ms = millisOf(v);
    if (Number.isFinite(ms)) {
      this.data[r] = BigInt(Math.round(ms)) * 1000n;
      this.valid[r] = 1;
    } else this.valid[r] = 0;
  }
  column(rows: number): ParquetColumn {
    return { name: this.name, type: "TIMESTAMPTZ", valid: this.valid.subarray(0, rows), data: this.data };
  }
}

class BooleanBuilder extends TypedBuilder<Uint8Array> {
  constructor(name: string, capacity: number) {
    super(name, capacity, (c) => new Uint8Array(c));
  }
  set(r: number, v: unknown): void {
    if (typeof v === "boolean") {
      this.data[r] = v ? 1 : 0;
      this.valid[r] = 1;
    } else this.valid[r] = 0;
  }
  column(rows: number): ParquetColumn {
    return { name: this.name, type: "BOOLEAN", valid: this.valid.subarray(0, rows), data: this.data };
  }
}

const textOf = (v: unknown) => (typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v));

/** Text as a dictionary and one index per row, as the Parquet writer encodes it. */
class TextBuilder extends TypedBuilder<Int32Array> {
  private readonly dictionary = new Map<string, number>();
  /** The last value and its index: a model name or route repeats on every row. */
  private last: unknown;
  private lastId = -1;
  constructor(name: string, capacity: number) {
    super(name, capacity, (c) => new Int32Array(c));
  }
  set(r: number, v: unknown): void {
    if (v === null || v === undefined) {
      this.valid[r] = 0;
      return;
    }
    if (v !== this.last || this.lastId < 0) {
      const text = textOf(v);
      let id = this.dictionary.get(text);
      if (id === undefined) this.dictionary.set(text, (id = this.dictionary.size));
      this.last = v;
      this.lastId = id;
    }
    this.data[r] = this.lastId;
    this.valid[r] = 1;
  }
  column(rows: number): ParquetColumn {
    return { name: this.name, type: "VARCHAR", valid: this.valid.subarray(0, rows), data: { dictionary: [...this.dictionary.keys()], ids: this.data } };
  }
}

/**
 * Text that differs from request to request (the request id): kept by reference per row, its
 * dictionary built at flush time from the runs of equal values (the rows of one request),
 * with no lookup per request.
 */
class UniqueTextBuilder extends ColumnBuilder {
  private data: (string | undefined)[];
  constructor(name: string, capacity: number) {
    super(name, capacity);
    this.data = new Array<string | undefined>(capacity);
  }
  set(r: number, v: unknown): void {
    if (v === null || v === undefined) {
      this.valid[r] = 0;
      return;
    }
    this.data[r] = textOf(v);
    this.valid[r] = 1;
  }
  protected repeat(from: number, n: number): void {
    this.data.fill(this.data[from], from + 1, from + n);
  }
  protected resize(capacity: number): void {
    this.data.length = capacity;
  }
  column(rows: number): ParquetColumn {
    const dictionary: string[] = [];
    const ids = new Int32Array(rows);
    let last: string | undefined;
    for (let r = 0; r < rows; r++) {
      if (!this.valid[r]) continue;
      if (this.data[r] !== last || dictionary.length === 0) dictionary.push((last = this.data[r]!));
      ids[r] = dictionary.length - 1;
    }
    return { name: this.name, type: "VARCHAR", valid: this.valid.subarray(0, rows), data: { dictionary, ids } };
  }
}

/**
 * A feature's statuses: four known values, so a comparison instead of a dictionary lookup
 * (30 features make 30 of these per request).
 */
class StatusBuilder extends TypedBuilder<Int32Array> {
  /** Bit i set when status i was seen. */
  private seen = 0;
  constructor(name: string, capacity: number) {
    super(name, capacity, (c) => new Int32Array(c));
  }
  set(r: number, v: unknown): void {
    const code = v === "PRESENT" ? 0 : v === "NOT_FOUND" ? 1 : v === "NULL_VALUE" ? 2 : v === "OUTSIDE_MAX_AGE" ? 3 : -1;
    this.data[r] = code;
    this.valid[r] = code < 0 ? 0 : 1;
    if (code >= 0) this.seen |= 1 << code;
  }
  column(rows: number): ParquetColumn {
    // Only the statuses seen go in the dictionary: a column of PRESENT only is one RLE run.
    const codes = [0, 1, 2, 3].filter((code) => this.seen & (1 << code));
    const index = new Int32Array(4);
    codes.forEach((code, i) => (index[code] = i));
    const ids = codes.length === 1 && codes[0] === 0 ? this.data : this.data.map((code) => index[code] ?? 0);
    return { name: this.name, type: "VARCHAR", valid: this.valid.subarray(0, rows), data: { dictionary: codes.map((code) => FEATURE_STATUSES[code]!), ids } };
  }
}

class BlobBuilder extends ColumnBuilder {
  private data: (Uint8Array | undefined)[];
  constructor(name: string, capacity: number) {
    super(name, capacity);
    this.data = new Array<Uint8Array | undefined>(capacity);
  }
  set(r: number, v: unknown): void {
    // Bytes travel as base64 text in JSON, in both directions.
    if (typeof v === "string") v = Buffer.from(v, "base64");
    if (v instanceof Uint8Array) {
      this.data[r] = v;
      this.valid[r] = 1;
    } else this.valid[r] = 0;
  }
  protected repeat(from: number, n: number): void {
    this.data.fill(this.data[from], from + 1, from + n);
  }
  protected resize(capacity: number): void {
    this.data.length = capacity;
  }
  column(rows: number): ParquetColumn {
    return { name: this.name, type: "BLOB", valid: this.valid.subarray(0, rows), data: this.data };
  }
}

const builders = {
  DOUBLE: (name, capacity) => new DoubleBuilder(name, capacity, "DOUBLE"),
  FLOAT: (name, capacity) => new DoubleBuilder(name, capacity, "FLOAT"),
  INTEGER: (name, capacity) => new IntegerBuilder(name, capacity),
  BIGINT: (name, capacity) => new BigIntBuilder(name, capacity),
  TIMESTAMPTZ: (name, capacity) => new TimestampBuilder(name, capacity),
  BOOLEAN: (name, capacity) => new BooleanBuilder(name, capacity),
  VARCHAR: (name, capacity) => new TextBuilder(name, capacity),
  BLOB: (name, capacity) => new BlobBuilder(name, capacity),
} satisfies Record<ParquetType, (name: string, capacity: number) => ColumnBuilder>;

/** A builder for a column of `type`. */
export function columnBuilder(name: string, type: ParquetType, capacity: number): ColumnBuilder {
  return builders[type](name, capacity);
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
