import type { Dtype } from "../../repo/types.js";
import type { OnlineRow, OnlineTableSpec, StoredRow } from "../store.js";

/**
 * One view's record as stored in its entity hash field: a short text header the Lua scripts
 * read, then the features in binary.
 *
 *   <generation>:<event ms>:<created ms or empty>|<null bitmap><values>
 *
 * The client sends the record without `<generation>:`; the script that stores it prepends
 * the generation it writes. The bitmap has one bit per feature (1 = NULL, no value bytes);
 * values follow in spec order: float32/float64/unix_timestamp as a float64 (8 bytes LE, so
 * every double round-trips bit for bit, NaN payloads and -0 included), int32/int64 as an
 * int64 (8 bytes LE, exact beyond 2^53), bool as one byte, string/bytes as a uint32 LE byte
 * length and the bytes (strings UTF-8). No type tags: the layout is fixed per view generation
 * (a changed layout starts a new base, see scripts.ts), so the spec says how to read it.
 */

const BAR = 0x7c; // "|"
const TWO_32 = 4294967296;

type Kind = 0 | 1 | 2 | 3 | 4; // double, int64, bool, string, bytes
const kinds: Record<Dtype, Kind> = { float32: 0, float64: 0, unix_timestamp: 0, int32: 1, int64: 1, bool: 2, string: 3, bytes: 4 };

/**
 * Encodes rows of one spec into a batch: each record preceded by its uint32 LE length, so a
 * chunk of records travels as one argument (the WRITE script splits it) instead of one
 * argument, and one Buffer object, per row.
 */
export class RecordWriter {
  private buffer = Buffer.allocUnsafe(1 << 16);
  /** Where the batch being written starts, and where the next record goes. */
  private start = 0;
  private pos = 0;
  private readonly kinds: Kind[];
  private readonly fixed: number;
  private readonly variable: boolean;
  private readonly bitmapBytes: number;

  constructor(spec: OnlineTableSpec) {
    this.kinds = spec.features.map((f) => kinds[f.dtype]);
    this.bitmapBytes = Math.ceil(this.kinds.length / 8);
    this.fixed = this.bitmapBytes + this.kinds.reduce<number>((sum, k) => sum + (k === 2 ? 1 : k === 0 || k === 1 ? 8 : 4), 0);
    this.variable = this.kinds.some((k) => k >= 3);
  }

  /** The records added since the last call, as one buffer. */
  take(): Buffer {
    const batch = this.buffer.subarray(this.start, this.pos);
    this.start = this.pos;
    return batch;
  }

  /** Adds the record of `row` (without its generation) to the batch. */
  add(row: OnlineRow): void {
    const kinds = this.kinds;
    const n = kinds.length;
    const values = row.values;
    const header = `${row.eventTs}:${row.createdTs === null ? "" : row.createdTs}|`;
    let size = header.length + this.fixed;
    if (this.variable) {
      for (let j = 0; j < n; j++) {
        const v = values[j];
        if (v !== null && v !== undefined && kinds[j]! >= 3) size += kinds[j] === 3 ? Buffer.byteLength(v as string) : (v as Uint8Array).byteLength;
      }
    }
    if (this.pos + 4 + size > this.buffer.length) {
      // Batches taken keep the old buffer alive; this batch moves to a fresh one.
      const batch = this.buffer.subarray(this.start, this.pos);
      this.buffer = Buffer.allocUnsafe(Math.max(1 << 16, (batch.length + 4 + size) * 2));
      batch.copy(this.buffer, 0);
      this.start = 0;
      this.pos = batch.length;
    }
    const buffer = this.buffer;
    const start = this.pos;
    let pos = start + 4 + buffer.write(header, start + 4, "latin1");
    const bitmap = pos;
    buffer.fill(0, bitmap, bitmap + this.bitmapBytes);
    pos += this.bitmapBytes;
    for (let j = 0; j < n; j++) {
      const v = values[j];
      if (v === null || v === undefined) {
        buffer[bitmap + (j >> 3)]! |= 1 << (j & 7);
        continue;
      }
      switch (kinds[j]) {
        case 0:
          pos = buffer.writeDoubleLE(Number(v), pos);
          break;
        case 1:
          if (typeof v === "bigint") pos = buffer.writeBigInt64LE(v, pos);
          else {
            // Exact for every safe integer: the low 32 bits, then floor(v / 2^32) as the high word.
            buffer.writeUInt32LE((v as number) >>> 0, pos);
            pos = buffer.writeInt32LE(Math.floor((v as number) / TWO_32), pos + 4);
          }
          break;
        case 2:
          buffer[pos++] = v ? 1 : 0;
          break;
        case 3: {
          const length = buffer.write(v as string, pos + 4, "utf8");
          buffer.writeUInt32LE(length, pos);
          pos += 4 + length;
          break;
        }
        default: {
          const bytes = v as Uint8Array;
          buffer.writeUInt32LE(bytes.byteLength, pos);
          buffer.set(bytes, pos + 4);
          pos += 4 + bytes.byteLength;
        }
      }
    }
    buffer.writeUInt32LE(pos - start - 4, start);
    this.pos = pos;
  }
}

/** Reads records of one spec, keeping the features asked for, in the order asked for. */
export function recordReader(spec: OnlineTableSpec, features: string[]): (record: Buffer) => StoredRow {
  const specKinds = spec.features.map((f) => kinds[f.dtype]);
  const n = specKinds.length;
  const bitmapBytes = Math.ceil(n / 8);
  // Where each spec feature goes in the output (-1: not asked for).
  const slot = new Array<number>(n).fill(-1);
  const wanted = new Map<string, number[]>();
  features.forEach((f, i) => wanted.set(f, [...(wanted.get(f) ?? []), i]));
  const extra: [number, number][] = [];
  spec.features.forEach((f, j) => {
    const at = wanted.get(f.name);
    if (!at) return;
    slot[j] = at[0]!;
    for (const k of at.slice(1)) extra.push([k, at[0]!]);
  });
  const out = features.length;
  return (record) => {
    const bar = record.indexOf(BAR);
    const header = record.toString("latin1", 0, bar);
    const a = header.indexOf(":");
    const b = header.indexOf(":", a + 1);
    const created = header.slice(b + 1);
    const values = new Array<unknown>(out);
    const bitmap = bar + 1;
    let pos = bitmap + bitmapBytes;
    for (let j = 0; j < n; j++) {
      const at = slot[j]!;
      if ((record[bitmap + (j >> 3)]! >> (j & 7)) & 1) {
        if (at >= 0) values[at] = null;
        continue;
      }
      switch (specKinds[j]) {
        case 0:
          if (at >= 0) values[at] = record.readDoubleLE(pos);
          pos += 8;
          break;
        case 1:
          if (at >= 0) {
            const high = record.readInt32LE(pos + 4);
            // |value| < 2^53 when the high word is within +-2^21: a number, else a bigint.
            values[at] = high >= -0x200000 && high < 0x200000 ? high * TWO_32 + record.readUInt32LE(pos) : record.readBigInt64LE(pos);
          }
          pos += 8;
          break;
        case 2:
          if (at >= 0) values[at] = record[pos] === 1;
          pos += 1;
          break;
        default: {
          const length = record.readUInt32LE(pos);
          pos += 4;
          if (at >= 0) values[at] = specKinds[j] === 3 ? record.toString("utf8", pos, pos + length) : Buffer.from(record.subarray(pos, pos + length));
          pos += length;
        }
      }
    }
    for (const [k, from] of extra) values[k] = values[from];
    return { values, eventTs: Number(header.slice(a + 1, b)), createdTs: created === "" ? null : Number(created) };
  };
}
