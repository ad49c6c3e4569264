import { MlfError } from "../errors.js";
import type { Dtype, ValueType } from "../repo/types.js";
import { preview } from "../util/json.js";
import { formatTime, parseTime } from "../util/time.js";

/**
 * The online value codec: the one layer between the values callers give and get (library
 * calls, JSON bodies, CLI flags) and the typed values an online store backend writes and
 * reads (see OnlineRow in store.ts). Reads, pushes (the library's pushRows and the server's
 * /push) and /predict all go through it, so they accept and answer the same values.
 *
 * Accepted on the way in (anything else is an invalid_argument naming the column and row):
 * - join keys (reads and pushes): int32/int64 an integer number, a bigint or a string of
 *   digits, in the type's range (a number beyond 2^53 is refused: it may already have been
 *   rounded; send a string or a bigint); string a string, or a finite number or bigint, as
 *   text; bytes a string (its UTF-8 bytes) or bytes. Null is refused.
 * - features (pushes): null (or undefined) is "no value"; float32/float64 a finite number;
 *   int32/int64 as join keys; bool true or false; string a string; bytes as join keys;
 *   unix_timestamp a time.
 * - times (event, created and unix_timestamp values): ISO-8601 text (naive means UTC), a Date,
 *   or epoch milliseconds as an integer number.
 *
 * Typed values (what backends get and give back): integers as numbers when they are safe
 * integers, else bigints; floats as numbers; bool as booleans; strings; bytes as Buffers;
 * unix_timestamp as epoch milliseconds.
 *
 * Given out (decodeValue): typed values except bytes as base64 text and unix_timestamp as
 * ISO-8601 UTC text, so every answer is JSON-ready; int64 values beyond 2^53 stay bigints,
 * which mlf's JSON writes as exact numbers (util/json.ts).
 */

const INTEGER = /^[+-]?\d+$/;
const ranges = { int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n] } as const;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** The range of a JavaScript Date, in epoch ms. */
const MAX_TIME_MS = 8.64e15;

const expected: Record<Dtype | "time", string> = {
  int32: "an integer (a number or a string of digits)",
  int64: "an integer (a number up to 2^53, or a string of digits)",
  float32: "a finite number",
  float64: "a finite number",
  string: "a string",
  bytes: "a string or bytes",
  bool: "true or false",
  unix_timestamp: "a time (ISO-8601 text, a Date or epoch milliseconds)",
  time: "a time (ISO-8601 text, a Date or epoch milliseconds)",
};

/** `feature "f"`, `join key "k"` or `"ts"`, with the row when there is one. */
function where(what: string, row: number | undefined): string {
  return row === undefined ? what : `${what} in row ${row}`;
}

function refuse(value: unknown, what: string, row: number | undefined, type: Dtype | "time", hint = expected[type]): MlfError {
  const label = type === "time" ? "time" : `valid ${type}`;
  return new MlfError("invalid_argument", `The value ${preview(value)} of ${where(what, row)} is not a ${label}; pass ${hint}.`);
}

/** A bigint as the typed integer: a number when it is a safe integer. */
export function typedInteger(n: bigint): number | bigint {
  return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n;
}

/** An int32/int64 value as a typed integer, or undefined when it is not one in range. */
function integer(type: "int32" | "int64", value: unknown): number | bigint | undefined {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) return undefined;
    return type === "int64" || (value >= -2147483648 && value <= 2147483647) ? value : undefined;
  }
  const n = typeof value === "bigint" ? value : typeof value === "string" && INTEGER.test(value.trim()) ? BigInt(value.trim()) : undefined;
  if (n === undefined) return undefined;
  const [lo, hi] = ranges[type];
  return n < lo || n > hi ? undefined : typedInteger(n);
}

function bytes(value: unknown): Buffer | undefined {
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/**
 * A join key value as its entity's declared type, so `"1001"` finds an int64 key and 1001 a
 * string key "1001" (see the rules above).
 */
export function coerceKey(key: string, type: ValueType, value: unknown, row?: number): unknown {
  let typed: unknown;
  switch (type) {
    case "int32":
    case "int64":
      typed = integer(type, value);
      break;
    case "string":
      typed = typeof value === "string" ? value : (typeof value === "number" && Number.isFinite(value)) || typeof value === "bigint" ? String(value) : undefined;
      break;
    case "bytes":
      typed = bytes(value);
      break;
  }
  if (typed === undefined) throw refuse(value, `join key "${key}"`, row, type);
  return typed;
}

/** A time value (event, created, unix_timestamp) as epoch milliseconds UTC. */
export function encodeTime(column: string, value: unknown, row?: number): number {
  if (typeof value === "string") {
    try {
      return parseTime(value);
    } catch {
      throw refuse(value, `"${column}"`, row, "time");
    }
  }
  const ms = value instanceof Date ? value.getTime() : typeof value === "number" && Number.isInteger(value) ? value : Number.NaN;
  if (!(Math.abs(ms) <= MAX_TIME_MS)) throw refuse(value, `"${column}"`, row, "time");
  return ms;
}

/** A feature value as the typed value of its dtype (null for no value), or an error naming it. */
export function encodeFeature(name: string, dtype: Dtype, value: unknown, row?: number): unknown {
  if (value === null || value === undefined) return null;
  let typed: unknown;
  switch (dtype) {
    case "float32":
    case "float64":
      typed = typeof value === "number" && Number.isFinite(value) ? value : undefined;
      break;
    case "int32":
    case "int64":
      typed = integer(dtype, value);
      break;
    case "bool":
      typed = typeof value === "boolean" ? value : undefined;
      break;
    case "string":
      typed = typeof value === "string" ? value : undefined;
      break;
    case "bytes":
      typed = bytes(value);
      break;
    case "unix_timestamp":
      return encodeTime(name, value, row);
  }
  if (typed === undefined) throw refuse(value, `feature "${name}"`, row, dtype);
  return typed;
}

/** Bytes as base64 text: a Buffer would otherwise serialise as {"type":"Buffer","data":[...]}. */
export function base64(value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") : value;
}

/** A typed value (not null) as given out: bytes as base64, unix_timestamp as ISO-8601 UTC. */
export function decodeValue(dtype: Dtype, value: unknown): unknown {
  if (dtype === "bytes") return base64(value);
  if (dtype === "unix_timestamp") return formatTime(value as number);
  return value;
}
