import { FEATURE_STATUSES } from "../../repo/feature-logs.js";
import { ColumnBuilder, TypedBuilder } from "./column-builder.js";
import type { ParquetColumn } from "./parquet.js";

/**
 * The text columns of the feature log, kept as the Parquet writer encodes them: a dictionary
 * of the distinct values and one index into it per row. One builder per kind of text, each
 * making its dictionary the cheapest way for what that text repeats.
 */

const textOf = (v: unknown) => (typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v));

/** Text as a dictionary and one index per row, as the Parquet writer encodes it. */
export class TextBuilder extends TypedBuilder<Int32Array> {
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
