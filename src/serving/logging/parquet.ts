import { bitWidth, byteArrays, Bytes, encodeHybrid, encodeRun, plain } from "./parquet-encodings.js";
import { binary, bool, encodeStruct, i32, i64, list, struct, type ThriftStruct, type ThriftValue } from "./thrift.js";

/**
 * A lean Parquet writer for the feature log: one row group, every column OPTIONAL (nullable),
 * uncompressed; strings dictionary-encoded (a status or model name costs a few bits per row),
 * everything else PLAIN; definition levels and dictionary indices in the RLE/bit-packed hybrid
 * (both in parquet-encodings.ts).
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

const u32 = (n: number) => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n);
  return b;
};

/** The total length of some chunks, in bytes. */
const size = (chunks: Uint8Array[]) => chunks.reduce((a, b) => a + b.length, 0);

/** A page: its header (with both sizes, uncompressed) followed by its body. */
function page(header: ThriftStruct, body: Uint8Array[]): Uint8Array[] {
  const bytes = size(body);
  return [encodeStruct({ ...header, 2: i32(bytes), 3: i32(bytes) }), ...body];
}

/**
 * Rows per data page. A page is encoded in one go, so this bounds how long the event loop
 * waits between two writes of a large flush (a few milliseconds).
 */
export const PAGE_ROWS = 16_384;

/**
 * A column chunk as pages, each built when asked for: a dictionary page for text with few
 * distinct values (statuses, names; near-unique text such as request ids is PLAIN), then
 * data pages of at most PAGE_ROWS rows.
 */
function* columnPages(c: ParquetColumn, rows: number): Generator<{ kind: "dictionary" | "data"; chunks: Uint8Array[] }, number[]> {
  const dictionary = c.type === "VARCHAR" && c.data.dictionary.length > 0 && c.data.dictionary.length <= rows / 2 ? c.data : undefined;
  const width = dictionary ? bitWidth(dictionary.dictionary.length - 1) : 0;
  if (dictionary) {
    const entries = new Bytes();
    byteArrays(entries, dictionary.dictionary);
    yield { kind: "dictionary", chunks: page({ 1: i32(PAGE.DICTIONARY), 7: struct({ 1: i32(dictionary.dictionary.length), 2: i32(ENCODING.PLAIN) }) }, [entries.done()]) };
  }
  for (let from = 0; from < rows; from += PAGE_ROWS) {
    const to = Math.min(rows, from + PAGE_ROWS);
    const n = to - from;
    const levels = c.valid.subarray(from, to);
    let present = 0;
    for (let r = 0; r < n; r++) present += levels[r]!;
    const encodedLevels = present === n ? encodeRun(n, 1, 1) : encodeHybrid(levels, n, 1);
    const header = (encoding: number): ThriftStruct => ({ 1: i32(PAGE.DATA), 5: struct({ 1: i32(n), 2: i32(encoding), 3: i32(ENCODING.RLE), 4: i32(ENCODING.RLE) }) });
    const body = [u32(encodedLevels.length), encodedLevels];
    if (dictionary) {
      let indices = dictionary.ids.subarray(from, to);
      if (present < n) {
        indices = new Int32Array(present);
        for (let r = from, k = 0; r < to; r++) if (c.valid[r]) indices[k++] = dictionary.ids[r]!;
      }
      const encoded = dictionary.dictionary.length === 1 ? encodeRun(present, 0, width) : encodeHybrid(indices, present, width);
      yield { kind: "data", chunks: page(header(ENCODING.RLE_DICTIONARY), [...body, Uint8Array.of(width), encoded]) };
    } else {
      yield { kind: "data", chunks: page(header(ENCODING.PLAIN), [...body, plain(c, from, to, present)]) };
    }
  }
  return dictionary ? [ENCODING.PLAIN, ENCODING.RLE, ENCODING.RLE_DICTIONARY] : [ENCODING.PLAIN, ENCODING.RLE];
}

const MAGIC = Buffer.from("PAR1");

/**
 * Writes a Parquet file of `rows` rows through `write`, one page per call, so the caller's
 * awaits let the event loop run between pages. Columns are taken from `columns` one at a
 * time, as they are written (a generator can build each when asked). Returns the file's size
 * in bytes.
 */
export async function writeParquet(columns: Iterable<ParquetColumn>, rows: number, write: (chunks: Uint8Array[]) => Promise<void>): Promise<number> {
  await write([MAGIC]);
  let offset = MAGIC.length;
  const schema: ThriftValue[] = [];
  const metas: ThriftValue[] = [];
  for (const column of columns) {
    const start = offset;
    let dictionaryOffset: number | undefined;
    let dataOffset: number | undefined;
    const pages = columnPages(column, rows);
    let next = pages.next();
    for (; !next.done; next = pages.next()) {
      if (next.value.kind === "dictionary") dictionaryOffset = offset;
      else dataOffset ??= offset;
      await write(next.value.chunks);
      offset += size(next.value.chunks);
    }
    schema.push(struct(schemaElement(column)));
    metas.push(
      struct({
        2: i64(start),
        3: struct({
          1: i32(PHYSICAL[column.type]),
          2: list("i32", next.value.map(i32)),
          3: list("binary", [binary(column.name)]),
          4: i32(0), // UNCOMPRESSED
          5: i64(rows),
          6: i64(offset - start),
          7: i64(offset - start),
          9: i64(dataOffset!),
          11: dictionaryOffset === undefined ? undefined : i64(dictionaryOffset),
        }),
      }),
    );
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
