import { MlfError } from "../errors.js";
import type { ValueType } from "../repo/types.js";

const INTEGER = /^[+-]?\d+$/;
const ranges = { int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n] } as const;

function bad(key: string, type: ValueType, value: unknown): MlfError {
  const shown = typeof value === "string" ? `"${value}"` : typeof value === "bigint" ? value.toString() : JSON.stringify(value) ?? String(value);
  return new MlfError("invalid_argument", `The value ${shown} of join key "${key}" is not a valid ${type}; pass ${type === "string" ? "a string" : type === "bytes" ? "a string or bytes" : "an integer (a number or a string of digits)"}.`);
}

/**
 * Coerces a request value to the entity's declared type, so `"1001"` finds an int64 key and
 * 1001 finds a string key "1001". Integers come back as numbers when they are safe, else as
 * bigints (SQLite stores both as the same INTEGER). NULL, NaN, fractions, out-of-range
 * integers, booleans and objects are refused with an error naming the key.
 */
export function coerceKey(key: string, type: ValueType, value: unknown): unknown {
  switch (type) {
    case "int32":
    case "int64": {
      let n: bigint;
      if (typeof value === "number") {
        if (!Number.isInteger(value)) throw bad(key, type, value);
        if (Number.isSafeInteger(value) && type === "int64") return value;
        n = BigInt(value);
      } else if (typeof value === "bigint") n = value;
      else if (typeof value === "string" && INTEGER.test(value.trim())) n = BigInt(value.trim());
      else throw bad(key, type, value);
      const [lo, hi] = ranges[type];
      if (n < lo || n > hi) throw bad(key, type, value);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case "string":
      if (typeof value === "string") return value;
      if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "bigint") return String(value);
      throw bad(key, type, value);
    case "bytes":
      if (typeof value === "string") return Buffer.from(value, "utf8");
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      throw bad(key, type, value);
  }
}
