/**
 * The part of Thrift's compact protocol that Parquet's page headers and footer need: structs
 * whose fields are i32, i64, binary, bool, struct or list. Written by hand because a Parquet
 * file needs about a dozen of these structs, and a Thrift library would be the heaviest part
 * of the writer. Spec: thrift/doc/specs/thrift-compact-protocol.md.
 */

export type ThriftValue =
  | { type: "i32"; value: number }
  | { type: "i64"; value: number }
  | { type: "binary"; value: string | Uint8Array }
  | { type: "bool"; value: boolean }
  | { type: "struct"; value: ThriftStruct }
  | { type: "list"; element: "i32" | "binary" | "struct"; value: ThriftValue[] };

/** A struct: field id -> value; undefined fields are not written (optional fields). */
export type ThriftStruct = Record<number, ThriftValue | undefined>;

export const i32 = (value: number): ThriftValue => ({ type: "i32", value });
export const i64 = (value: number): ThriftValue => ({ type: "i64", value });
export const binary = (value: string | Uint8Array): ThriftValue => ({ type: "binary", value });
export const bool = (value: boolean): ThriftValue => ({ type: "bool", value });
export const struct = (value: ThriftStruct): ThriftValue => ({ type: "struct", value });
export const list = (element: "i32" | "binary" | "struct", value: ThriftValue[]): ThriftValue => ({ type: "list", element, value });

/** Where writeVarint puts its bytes, one at a time. */
export interface ByteSink {
  byte(b: number): void;
}

/**
 * Writes `n`, a non-negative integer (exact up to 2^53), as an unsigned varint (ULEB128):
 * 7 bits a byte, low bits first. The compact protocol's lengths and integers are varints, and
 * so are the run headers of Parquet's RLE/bit-packed hybrid (parquet-encodings.ts).
 */
export function writeVarint(out: ByteSink, n: number): void {
  while (n >= 0x80) {
    out.byte((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.byte(n);
}

/** Compact type ids; a bool field carries its value in the type id (1 true, 2 false). */
const TYPE_ID = { i32: 5, i64: 6, binary: 8, list: 9, struct: 12 } as const;

class Out implements ByteSink {
  readonly bytes: number[] = [];

  byte(b: number): void {
    this.bytes.push(b);
  }

  /** Zigzag: small negative numbers stay small (-1 -> 1, 1 -> 2). Exact up to 2^52 (file offsets, counts). */
  zigzag(n: number): void {
    writeVarint(this, n >= 0 ? n * 2 : -n * 2 - 1);
  }

  value(v: ThriftValue): void {
    switch (v.type) {
      case "i32":
      case "i64":
        return this.zigzag(v.value);
      case "binary": {
        const data = typeof v.value === "string" ? Buffer.from(v.value, "utf8") : v.value;
        writeVarint(this, data.length);
        for (const b of data) this.bytes.push(b);
        return;
      }
      case "bool":
        // Only inside lists, which Parquet's structs do not use for bools.
        return void this.bytes.push(v.value ? 1 : 2);
      case "struct":
        return this.struct(v.value);
      case "list": {
        const n = v.value.length;
        const element = TYPE_ID[v.element];
        if (n < 15) this.bytes.push((n << 4) | element);
        else {
          this.bytes.push(0xf0 | element);
          writeVarint(this, n);
        }
        for (const item of v.value) this.value(item);
      }
    }
  }

  struct(s: ThriftStruct): void {
    let last = 0;
    for (const id of Object.keys(s).map(Number).sort((a, b) => a - b)) {
      const v = s[id];
      if (v === undefined) continue;
      const type = v.type === "bool" ? (v.value ? 1 : 2) : TYPE_ID[v.type];
      const delta = id - last;
      if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
      else {
        this.bytes.push(type);
        this.zigzag(id);
      }
      last = id;
      if (v.type !== "bool") this.value(v);
    }
    this.bytes.push(0); // stop
  }
}

/** The compact encoding of a struct. */
export function encodeStruct(s: ThriftStruct): Uint8Array {
  const out = new Out();
  out.struct(s);
  return Uint8Array.from(out.bytes);
}
