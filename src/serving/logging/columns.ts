import { FEATURE_STATUSES } from "../../repo/feature-logs.js";
import type { Dtype } from "../../repo/types.js";
import { parseTime } from "../../util/time.js";
import type { ParquetColumn, ParquetType } from "./parquet.js";

/** The column builders of the feature log: one typed column per log column, filled row by row (see LogBatch). */

/** The log column type of a feature dtype or entity value type. */
export const PARQUET: Record<Dtype, ParquetType> = {
  int32: "INTEGER", int64: "BIGINT", float32: "FLOAT", float64: "DOUBLE",
  string: "VARCHAR", bytes: "BLOB", bool: "BOOLEAN", unix_timestamp: "TIMESTAMPTZ",
};

/** The type of a feature the registry does not know (a model input no view has any more), from a value. */
export function inferred(values: readonly unknown[]): ParquetType {
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
export class UniqueTextBuilder extends ColumnBuilder {
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
export class StatusBuilder extends TypedBuilder<Int32Array> {
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
