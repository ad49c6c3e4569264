import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { OfflineEngine } from "../../../src/offline/engine.js";
import { columnBuilder } from "../../../src/serving/logging/columns.js";
import { encodeHybrid } from "../../../src/serving/logging/parquet-encodings.js";
import { PAGE_ROWS, writeParquet, type ParquetType } from "../../../src/serving/logging/parquet.js";
import { tempDir } from "../../helpers.js";
import { lcg } from "../../monitor/oracle.js";

/**
 * The lean Parquet writer, read back by DuckDB: every type, NULL patterns, dictionaries of
 * every bit width, and the RLE/bit-packed hybrid checked by a plain decoder written from the
 * spec.
 */

/** The spec's hybrid decoding, one value at a time: the oracle for encodeHybrid. */
function decodeHybrid(bytes: Uint8Array, n: number, width: number): number[] {
  const out: number[] = [];
  let at = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 1; ; shift *= 128) {
      const b = bytes[at++]!;
      value += (b & 0x7f) * shift;
      if (b < 0x80) return value;
    }
  };
  while (out.length < n) {
    const header = varint();
    if (header % 2 === 0) {
      let value = 0;
      for (let b = 0; b < Math.ceil(width / 8); b++) value += bytes[at++]! * 2 ** (8 * b);
      for (let k = 0; k < header / 2; k++) out.push(value);
    } else {
      const count = ((header - 1) / 2) * 8;
      for (let k = 0; k < count; k++) {
        let value = 0;
        for (let bit = 0; bit < width; bit++) {
          const pos = k * width + bit;
          if (bytes[at + (pos >> 3)]! & (1 << (pos & 7))) value += 2 ** bit;
        }
        out.push(value);
      }
      at += count * width / 8;
    }
  }
  assert.equal(at, bytes.length, "trailing bytes");
  return out.slice(0, n);
}

test("the hybrid encoding round-trips runs, noise and every width, and uses RLE for long runs", () => {
  const next = lcg(7);
  for (const width of [1, 2, 3, 7, 8, 9, 13, 16, 20]) {
    for (const n of [1, 7, 8, 9, 15, 16, 17, 100, 1000]) {
      const values = Array.from({ length: n }, () => (next() < 0.5 ? 0 : Math.floor(next() * 2 ** width)));
      // Long runs in the middle.
      for (let i = Math.floor(n / 3); i < Math.min(n, Math.floor(n / 3) + 20); i++) values[i] = values[Math.floor(n / 3)]!;
      assert.deepEqual(decodeHybrid(encodeHybrid(values, n, width), n, width), values, `width ${width}, n ${n}`);
    }
  }
  // 100,000 equal values: one RLE run of a few bytes.
  assert.ok(encodeHybrid(new Uint8Array(100_000).fill(1), 100_000, 1).length <= 4);
});

type Cell = boolean | number | bigint | string | Uint8Array | null;

/** A column to write: its values as the feature logger's ColumnBuilder takes them (TIMESTAMPTZ in ms). */
interface Spec {
  name: string;
  type: ParquetType;
  values: Cell[];
}

async function writeAndRead(t: { after(fn: () => void): void }, columns: Spec[], rows: number): Promise<Record<string, unknown>[]> {
  const path = join(tempDir(t), "f.parquet");
  const parts: Uint8Array[] = [];
  const built = columns.map((c) => {
    // Built with spare capacity, as the logger's batches are.
    const b = columnBuilder(c.name, c.type, rows + 5);
    c.values.forEach((v, r) => b.set(r, v));
    return b.column(rows);
  });
  const bytes = await writeParquet(built, rows, async (chunks) => void parts.push(...chunks));
  const file = Buffer.concat(parts);
  assert.equal(file.length, bytes);
  writeFileSync(path, file);
  const engine = await OfflineEngine.open({ type: "duckdb", threads: 1 });
  try {
    const types = await engine.describe(`(SELECT * FROM read_parquet('${path}'))`);
    assert.deepEqual(types, columns.map((c) => ({ name: c.name, type: c.type === "TIMESTAMPTZ" ? "TIMESTAMP WITH TIME ZONE" : c.type })));
    // Timestamps as microseconds and floats as text keep every digit through the JS client.
    const select = columns.map((c, i) => (c.type === "TIMESTAMPTZ" ? `epoch_us("${c.name}") AS c${i}` : `"${c.name}" AS c${i}`)).join(", ");
    return await engine.rows(`SELECT ${select} FROM read_parquet('${path}')`);
  } finally {
    engine.close();
  }
}

const expectedCell = (type: ParquetType, v: Cell): unknown => {
  if (v === null) return null;
  if (type === "BIGINT") return BigInt(v as number | bigint);
  if (type === "TIMESTAMPTZ") return BigInt(v as number) * 1000n;
  if (type === "FLOAT") return Math.fround(v as number);
  if (type === "BLOB") return Buffer.from(v as Uint8Array).toString("hex");
  return v;
};

function assertColumns(rows: Record<string, unknown>[], columns: Spec[]): void {
  columns.forEach((c, i) => {
    const got = rows.map((r) => {
      const v = r[`c${i}`];
      return c.type === "BLOB" && v !== null ? Buffer.from(v as Uint8Array).toString("hex") : v;
    });
    const want = c.values.map((v) => expectedCell(c.type, v));
    got.forEach((g, r) => {
      const w = want[r];
      if (typeof w === "number" && Number.isNaN(w)) assert.ok(Number.isNaN(g), `${c.name}[${r}]: ${String(g)} is not NaN`);
      else assert.deepEqual(g, w, `${c.name}[${r}]`);
    });
  });
}

test("every type reads back exactly, NULLs, NaN, infinities and extremes included", async (t) => {
  const columns: Spec[] = [
    { name: "timestamp", type: "TIMESTAMPTZ", values: [1_767_225_600_123, 0, null, -1, 4_102_444_800_000] },
    { name: "model", type: "VARCHAR", values: ["delay_model", "delay_model", null, "", "ünïcødé ✓ 🚀"] },
    { name: "model_version", type: "INTEGER", values: [1, 2_147_483_647, -2_147_483_648, null, 0] },
    { name: "key.id", type: "BIGINT", values: [9_007_199_254_740_993n, -9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n, 42, null] },
    { name: "v:f64", type: "DOUBLE", values: [0.1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null] },
    { name: "v:f32", type: "FLOAT", values: [0.1, -3.5, null, 1e38, Number.NaN] },
    { name: "v:flag", type: "BOOLEAN", values: [true, false, null, true, true] },
    { name: "v:bytes", type: "BLOB", values: [Uint8Array.of(0, 255, 7), new Uint8Array(0), null, Buffer.from("abc"), Uint8Array.of(1)] },
    { name: "status.v:f64", type: "VARCHAR", values: ["PRESENT", "PRESENT", "PRESENT", "PRESENT", "NOT_FOUND"] },
    { name: "all null", type: "VARCHAR", values: [null, null, null, null, null] },
    { name: "all null double", type: "DOUBLE", values: [null, null, null, null, null] },
  ];
  assertColumns(await writeAndRead(t, columns, 5), columns);
});

test("random columns of every type and size, dictionary and PLAIN text, over several pages", async (t) => {
  const next = lcg(11);
  const types: ParquetType[] = ["TIMESTAMPTZ", "VARCHAR", "INTEGER", "BIGINT", "DOUBLE", "FLOAT", "BOOLEAN", "BLOB"];
  for (const rows of [1, 8, 9, 333, 5000, PAGE_ROWS * 2 + 17]) {
    const nullShare = next();
    const columns: Spec[] = types.flatMap((type, k) =>
      [0, 1].map((copy): Spec => {
        const distinct = copy === 0 ? 3 : rows;
        const value = (): Cell => {
          if (next() < nullShare * copy) return null;
          switch (type) {
            case "TIMESTAMPTZ":
              return Math.floor((next() - 0.5) * 2 ** 43);
            case "BIGINT":
              return BigInt(Math.floor((next() - 0.5) * 2 ** 53)) * 1000n;
            case "VARCHAR":
              return `s${Math.floor(next() * distinct)}`;
            case "INTEGER":
              return Math.floor((next() - 0.5) * 2 ** 32);
            case "DOUBLE":
            case "FLOAT":
              return (next() - 0.5) * 1e6;
            case "BOOLEAN":
              return next() < 0.3;
            case "BLOB":
              return Uint8Array.from({ length: Math.floor(next() * 5) }, () => Math.floor(next() * 256));
          }
        };
        return { name: `c${k}_${copy}`, type, values: Array.from({ length: rows }, value) };
      }),
    );
    assertColumns(await writeAndRead(t, columns, rows), columns);
  }
});
