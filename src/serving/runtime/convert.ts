import { MlfError } from "../../errors.js";
import { preview } from "../../util/json.js";

/**
 * MLflow's safe-conversion rules for building a model input from JSON values: a value is
 * accepted only when it converts to the input's element type without losing information.
 * - float32/float64 inputs take numbers (JSON numbers are doubles; like MLflow's onnx flavor,
 *   a double fed to a float32 input is narrowed, which is the one lossy step MLflow allows);
 * - integer inputs take integral numbers within the type's range, never 1.5 or "1";
 * - bool inputs take booleans; string inputs take strings.
 * A null in a float input becomes NaN, as pandas makes it for MLflow and as a training set from
 * get-historical holds a missing value; a model without an imputer then predicts NaN, which
 * JSON answers as null. Nulls in other inputs, and infinities anywhere, are rejected.
 */
export type ElementType = "float32" | "float64" | "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64" | "bool" | "string";

type Typed = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | string[];

const integerRanges: Partial<Record<ElementType, [number, number]>> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-2147483648, 2147483647],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER], uint64: [0, Number.MAX_SAFE_INTEGER],
};

export function isSupportedElementType(type: string): type is ElementType {
  return type === "float32" || type === "float64" || type === "bool" || type === "string" || type in integerRanges;
}

function reject(value: unknown, type: ElementType, where: () => string): never {
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
  throw new MlfError("invalid_argument", `Can not safely convert ${got} ${preview(value)} to ${type} for ${where()}; send a ${type === "string" ? "string" : type === "bool" ? "boolean" : type.startsWith("float") ? "finite number" : "whole number in range"}.`);
}

/** Converts `values` into a typed array for `type`; `where(i)` names the offending element in errors. */
export function toTyped(values: readonly unknown[], type: ElementType, where: (index: number) => string): Typed {
  const n = values.length;
  if (type === "string") {
    return values.map((v, i) => (typeof v === "string" ? v : reject(v, type, () => where(i))));
  }
  if (type === "bool") {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== "boolean") reject(v, type, () => where(i));
      out[i] = v ? 1 : 0;
    }
    return out;
  }
  if (type === "float32" || type === "float64") {
    const out = type === "float32" ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null) out[i] = Number.NaN;
      else if (typeof v !== "number" || !Number.isFinite(v)) reject(v, type, () => where(i));
      else out[i] = v;
    }
    return out;
  }
  const [min, max] = integerRanges[type]!;
  const check = (v: unknown, i: number): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) reject(v, type, () => where(i));
    return v;
  };
  if (type === "int64" || type === "uint64") {
    const out = type === "int64" ? new BigInt64Array(n) : new BigUint64Array(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(check(values[i], i));
    return out;
  }
  const Ctor = { int8: Int8Array, int16: Int16Array, int32: Int32Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array }[type];
  const out = new Ctor(n);
  for (let i = 0; i < n; i++) out[i] = check(values[i], i);
  return out;
}
