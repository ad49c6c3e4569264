import { binary, bool, encodeStruct, i32, i64, list, struct, type ThriftStruct, type ThriftValue } from "./thrift.js";

/**
 * A lean Parquet writer for the feature log: one row group, every column OPTIONAL (nullable),
 * uncompressed; strings dictionary-encoded (a status or model name costs a few bits per row),
 * everything else PLAIN; definition levels and dictionary indices in the RLE/bit-packed hybrid.
 * That is the subset of the format (apache/parquet-format) every reader supports, and it lets
 * `mlf serve` write its logs without loading DuckDB. The logical types make DuckDB read the
 * columns as the types named here (VARCHAR, TIMESTAMPTZ...).
 */

export type ParquetType = "BOOLEAN" | "INTEGER" | "BIGINT" | "FLOAT" | "DOUBLE" | "VARCHAR" | "BLOB" | "TIMESTAMPTZ";

/**
 * A column of `rows` rows, held as its final binary form already is: typed arrays (no boxed
 * JavaScript value per row). `valid[r]` is 1 where row r has a value and 0 for NULL (the
 * definition level); the data of a NULL row is ignored. TIMESTAMPTZ is microseconds since the
 * epoch (UTC); FLOAT is narrowed from the doubles when written; VARCHAR is a dictionary and one
 * index into it per row.
 */
export type ParquetColumn = { name: string; valid: Uint8Array } & (
  | { type: "INTEGER"; data: Int32Array }
  | { type: "BIGINT" | "TIMESTAMPTZ"; data: BigInt64Array }
  | { type: "FLOAT" | "DOUBLE"; data: Float64Array }
  | { type: "BOOLEAN"; data: Uint8Array }
  | { type: "VARCHAR"; data: { dictionary: readonly string[]; ids: Int32Array } }
  | { type: "BLOB"; data: readonly (Uint8Array | undefined)[] }
);

const PHYSICAL: Record<ParquetType, number> = { BOOLEAN: 0, INTEGER: 1, BIGINT: 2, TIMESTAMPTZ: 2, FLOAT: 4, DOUBLE: 5, VARCHAR: 6, BLOB: 6 };
const WIDTH: Partial<Record<ParquetType, number>> = { INTEGER: 4, BIGINT: 8, TIMESTAMPTZ: 8, FLOAT: 4, DOUBLE: 8 };
const OPTIONAL = 1;
const ENCODING = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 };
const PAGE = { DATA: 0, DICTIONARY: 2 };

/** The schema element of a column: physical type plus the logical type readers map to SQL types. */
function schemaElement(c: ParquetColumn): ThriftStruct {
  const element: ThriftStruct = { 1: i32(PHYSICAL[c.type]), 3: i32(OPTIONAL), 4: binary(c.name) };
  if (c.type === "VARCHAR") {
    element[6] = i32(0); // converted type UTF8
    element[10] = struct({ 1: struct({}) }); // logical type STRING
  } else if (c.type === "TIMESTAMPTZ") {
    element[6] = i32(10); // converted type TIMESTAMP_MICROS
    element[10] = struct({ 8: struct({ 1: bool(true), 2: struct({ 2: struct({}) }) }) }); // TIMESTAMP(isAdjustedToUTC, MICROS)
  }
  return element;
}

/** A growable byte buffer. */
class Bytes {
  private buf = Buffer.allocUnsafe(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  varint(n: number): void {
    while (n >= 0x80) {
      this.byte((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    this.byte(n);
  }

  bytes(data: Uint8Array): void {
    this.room(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  /** A PLAIN byte array: 4-byte little-endian length, then the bytes. */
  byteArray(data: Uint8Array): void {
    this.room(4 + data.length);
    this.buf.writeUInt32LE(data.length, this.length);
    this.buf.set(data, this.length + 4);
    this.length += 4 + data.length;
  }

  /** A string as a PLAIN byte array (UTF-8), written in place. */
  text(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    this.room(4 + n);
    this.buf.writeUInt32LE(n, this.length);
    this.buf.write(s, this.length + 4, "utf8");
    this.length += 4 + n;
  }

  done(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Bits needed for values 0..max (at least 1). */
const bitWidth = (max: number) => Math.max(1, Math.ceil(Math.log2(max + 1)));

/**
 * The RLE/bit-packed hybrid encoding of `n` small unsigned integers: runs of 8 or more equal
 * values as one RLE run, the rest bit-packed in groups of 8 (LSB first, the last group padded).
 */
/** `n` copies of `value` in the hybrid encoding: one RLE run (a column without NULLs, a one-value dictionary). */
function encodeRun(n: number, value: number, width: number): Uint8Array {
  const out = new Bytes();
  out.varint(n * 2);
  for (let b = 0; b < Math.ceil(width / 8); b++, value >>>= 8) out.byte(value & 0xff);
  return out.done();
}

export function encodeHybrid(values: ArrayLike<number>, n: number, width: number): Uint8Array {
  if (width > 24) throw new Error(`bit width ${width} is too large`);
  const out = new Bytes();
  const valueBytes = Math.ceil(width / 8);
  const runAt = (i: number) => {
    let j = i + 1;
    while (j < n && values[j] === values[i]) j++;
    return j - i;
  };
  let i = 0;
  while (i < n) {
    const run = runAt(i);
    if (run >= 8) {
      out.varint(run * 2);
      for (let b = 0, v = values[i]!; b < valueBytes; b++, v >>>= 8) out.byte(v & 0xff);
      i += run;
      continue;
    }
    // Bit-pack groups of 8 until a long run starts at a group boundary (or the end).
    const start = i;
    let groups = 0;
    while (i < n && (groups === 0 || runAt(i) < 8)) {
      i += 8;
      groups++;
    }
    out.varint(groups * 2 + 1);
    let acc = 0;
    let bits = 0;
    for (let k = start; k < start + groups * 8; k++) {
      acc |= (k < n ? values[k]! : 0) << bits;
      bits += width;
      while (bits >= 8) {
        out.byte(acc & 0xff);
        acc >>>= 8;
        bits -= 8;
      }
    }
    i = Math.min(i, n);
  }
  return out.done();
}

const u32 = (n: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n);
  return b;
};

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** PLAIN encoding of the non-null values of a column (all but VARCHAR, which is dictionary-encoded). */
function plain(c: ParquetColumn, rows: number, present: number): Uint8Array {
  const { valid } = c;
  if (c.type === "BOOLEAN") {
    const out = new Uint8Array(Math.ceil(present / 8));
    for (let r = 0, k = 0; r < rows; r++) if (valid[r]) out[k >> 3]! |= (c.data[r] ? 1 : 0) << (k++ & 7);
    return out;
  }
  // A VARCHAR column comes here only without a dictionary, so without a value.
  if (c.type === "VARCHAR") return new Uint8Array(0);
  if (c.type === "BLOB") {
    const out = new Bytes();
    for (let r = 0; r < rows; r++) if (valid[r]) out.byteArray(c.data[r]!);
    return out.done();
  }
  const width = WIDTH[c.type]!;
  // Without NULLs (the common case) the typed array already is the PLAIN encoding.
  if (present === rows && LITTLE_ENDIAN && c.type !== "FLOAT") return new Uint8Array(c.data.buffer, c.data.byteOffset, rows * width).slice();
  const out = new DataView(new ArrayBuffer(present * width));
  for (let r = 0, at = 0; r < rows; r++) {
    if (!valid[r]) continue;
    if (c.type === "INTEGER") out.setInt32(at, c.data[r]!, true);
    else if (c.type === "FLOAT") out.setFloat32(at, c.data[r]!, true);
    else if (c.type === "DOUBLE") out.setFloat64(at, c.data[r]!, true);
    else out.setBigInt64(at, (c.data as BigInt64Array)[r]!, true);
    at += width;
  }
  return new Uint8Array(out.buffer);
}

/** A page: its header (with both sizes, uncompressed) followed by its body. */
function page(header: ThriftStruct, body: Uint8Array[]): Uint8Array[] {
  const size = body.reduce((a, b) => a + b.length, 0);
  return [encodeStruct({ ...header, 2: i32(size), 3: i32(size) }), ...body];
}

const size = (chunks: Uint8Array[]) => chunks.reduce((a, b) => a + b.length, 0);

/** One column chunk starting at file offset `offset`: its pages and its ColumnChunk footer entry. */
function encodeColumn(c: ParquetColumn, rows: number, offset: number): { chunks: Uint8Array[]; meta: ThriftValue } {
  const levels = c.valid.subarray(0, rows);
  let present = 0;
  for (let r = 0; r < rows; r++) present += levels[r]!;
  const encodedLevels = present === rows ? encodeRun(rows, 1, 1) : encodeHybrid(levels, rows, 1);
  const levelBlock = [u32(encodedLevels.length), encodedLevels];
  const dataHeader = (encoding: number): ThriftStruct => ({ 1: i32(PAGE.DATA), 5: struct({ 1: i32(rows), 2: i32(encoding), 3: i32(ENCODING.RLE), 4: i32(ENCODING.RLE) }) });

  let chunks: Uint8Array[];
  let dictionary: Uint8Array[] = [];
  let encodings: number[];
  if (c.type === "VARCHAR" && c.data.dictionary.length > 0) {
    const { dictionary: values, ids } = c.data;
    let indices = ids.subarray(0, rows);
    if (present < rows) {
      indices = new Int32Array(present);
      for (let r = 0, k = 0; r < rows; r++) if (levels[r]) indices[k++] = ids[r]!;
    }
    const width = bitWidth(values.length - 1);
    const entries = new Bytes();
    const joined = values.join("");
    const utf8 = Buffer.from(joined, "utf8");
    if (utf8.length === joined.length) {
      // ASCII only (request ids, names): every string's bytes are its characters, in one buffer.
      for (let i = 0, at = 0; i < values.length; at += values[i]!.length, i++) entries.byteArray(utf8.subarray(at, at + values[i]!.length));
    } else for (const v of values) entries.text(v);
    dictionary = page({ 1: i32(PAGE.DICTIONARY), 7: struct({ 1: i32(values.length), 2: i32(ENCODING.PLAIN) }) }, [entries.done()]);
    const encoded = values.length === 1 ? encodeRun(present, 0, width) : encodeHybrid(indices, present, width);
    chunks = page(dataHeader(ENCODING.RLE_DICTIONARY), [...levelBlock, Uint8Array.of(width), encoded]);
    encodings = [ENCODING.PLAIN, ENCODING.RLE, ENCODING.RLE_DICTIONARY];
  } else {
    chunks = page(dataHeader(ENCODING.PLAIN), [...levelBlock, plain(c, rows, present)]);
    encodings = [ENCODING.PLAIN, ENCODING.RLE];
  }
  const total = size(dictionary) + size(chunks);
  const dataOffset = offset + size(dictionary);
  const meta = struct({
    2: i64(offset),
    3: struct({
      1: i32(PHYSICAL[c.type]),
      2: list("i32", encodings.map(i32)),
      3: list("binary", [binary(c.name)]),
      4: i32(0), // UNCOMPRESSED
      5: i64(rows),
      6: i64(total),
      7: i64(total),
      9: i64(dataOffset),
      11: dictionary.length > 0 ? i64(offset) : undefined,
    }),
  });
  return { chunks: [...dictionary, ...chunks], meta };
}

const MAGIC = Buffer.from("PAR1");

/**
 * Writes a Parquet file of `rows` rows through `write`, one column chunk per call, so the
 * caller's awaits let the event loop run between columns. Returns the file's size in bytes.
 */
export async function writeParquet(columns: readonly ParquetColumn[], rows: number, write: (chunks: Uint8Array[]) => Promise<void>): Promise<number> {
  await write([MAGIC]);
  let offset = MAGIC.length;
  const schema: ThriftValue[] = [];
  const metas: ThriftValue[] = [];
  for (const column of columns) {
    const { chunks, meta } = encodeColumn(column, rows, offset);
    await write(chunks);
    offset += size(chunks);
    schema.push(struct(schemaElement(column)));
    metas.push(meta);
  }
  const footer = encodeStruct({
    1: i32(1),
    2: list("struct", [struct({ 4: binary("schema"), 5: i32(schema.length) }), ...schema]),
    3: i64(rows),
    4: list("struct", [struct({ 1: list("struct", metas), 2: i64(offset - MAGIC.length), 3: i64(rows) })]),
    6: binary("mlf feature log writer"),
  });
  await write([footer, u32(footer.length), MAGIC]);
  return offset + footer.length + 4 + MAGIC.length;
}
