import type { ParquetColumn, ParquetType } from "./parquet.js";
import { writeVarint, type ByteSink } from "./thrift.js";

/**
 * How parquet.ts encodes a page's values and levels (apache/parquet-format, Encodings.md):
 * PLAIN for values, the RLE/bit-packed hybrid for definition levels and dictionary indices,
 * written into a growable byte buffer.
 */

/** Bytes per value of the fixed-width types in PLAIN. */
const WIDTH: Partial<Record<ParquetType, number>> = { INTEGER: 4, BIGINT: 8, TIMESTAMPTZ: 8, FLOAT: 4, DOUBLE: 8 };

/** A growable byte buffer. */
export class Bytes implements ByteSink {
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
export const bitWidth = (max: number) => Math.max(1, Math.ceil(Math.log2(max + 1)));

/** `n` copies of `value` in the hybrid encoding: one RLE run (a column without NULLs, a one-value dictionary). */
export function encodeRun(n: number, value: number, width: number): Uint8Array {
  const out = new Bytes();
  writeVarint(out, n * 2);
  for (let b = 0; b < Math.ceil(width / 8); b++, value >>>= 8) out.byte(value & 0xff);
  return out.done();
}

/**
 * The RLE/bit-packed hybrid encoding of `n` small unsigned integers: runs of 8 or more equal
 * values as one RLE run, the rest bit-packed in groups of 8 (LSB first, the last group padded).
 */
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
      writeVarint(out, run * 2);
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
    writeVarint(out, groups * 2 + 1);
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

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Strings as PLAIN byte arrays; ASCII strings (request ids, names) from one encoded buffer. */
export function byteArrays(out: Bytes, values: readonly string[]): void {
  const joined = values.join("");
  const utf8 = Buffer.from(joined, "utf8");
  // As many bytes as characters: ASCII only, every string's bytes are its characters.
  if (utf8.length !== joined.length) return values.forEach((v) => out.text(v));
  for (let i = 0, at = 0; i < values.length; at += values[i]!.length, i++) out.byteArray(utf8.subarray(at, at + values[i]!.length));
}

/** PLAIN encoding of the non-null values of rows from..to-1 (VARCHAR: its dictionary's strings). */
export function plain(c: ParquetColumn, from: number, to: number, present: number): Uint8Array {
  const { valid } = c;
  if (c.type === "BOOLEAN") {
    const out = new Uint8Array(Math.ceil(present / 8));
    for (let r = from, k = 0; r < to; r++) if (valid[r]) out[k >> 3]! |= (c.data[r] ? 1 : 0) << (k++ & 7);
    return out;
  }
  if (c.type === "VARCHAR" || c.type === "BLOB") {
    const out = new Bytes();
    if (c.type === "BLOB") for (let r = from; r < to; r++) valid[r] && out.byteArray(c.data[r]!);
    else {
      const strings: string[] = [];
      for (let r = from; r < to; r++) if (valid[r]) strings.push(c.data.dictionary[c.data.ids[r]!]!);
      byteArrays(out, strings);
    }
    return out.done();
  }
  const width = WIDTH[c.type]!;
  // Without NULLs (the common case) the typed array already is the PLAIN encoding.
  if (present === to - from && LITTLE_ENDIAN && c.type !== "FLOAT") return new Uint8Array(c.data.buffer, c.data.byteOffset + from * width, present * width).slice();
  const out = new DataView(new ArrayBuffer(present * width));
  for (let r = from, at = 0; r < to; r++) {
    if (!valid[r]) continue;
    if (c.type === "INTEGER") out.setInt32(at, c.data[r]!, true);
    else if (c.type === "FLOAT") out.setFloat32(at, c.data[r]!, true);
    else if (c.type === "DOUBLE") out.setFloat64(at, c.data[r]!, true);
    else out.setBigInt64(at, (c.data as BigInt64Array)[r]!, true);
    at += width;
  }
  return new Uint8Array(out.buffer);
}
