import type { ParquetColumn } from "./parquet.js";

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
export abstract class TypedBuilder<T extends Typed> extends ColumnBuilder {
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
