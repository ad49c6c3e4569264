import type { Dtype } from "../../repo/types.js";
import { parseTime } from "../../util/time.js";
import { ColumnBuilder, TypedBuilder } from "./column-builder.js";
import type { ParquetColumn, ParquetType } from "./parquet.js";
import { TextBuilder } from "./text-columns.js";

/**
 * The column builders of the feature log: one typed column per log column, filled row by row
 * (see LogBatch). Numbers, times, booleans and bytes are here, text in text-columns.ts, the
 * base classes in column-builder.ts.
 */

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
