import { MlfError } from "../../errors.js";
import { preview } from "../../util/json.js";
import { isSupportedElementType, toTyped, type ElementType } from "./convert.js";

/**
 * A request's data before it meets a model, in the three shapes MLflow's scoring protocol
 * produces: a data frame (dataframe_split, dataframe_records, CSV, /predict's feature rows),
 * one tensor for a single-input model (`instances` or `inputs` as a list), or tensors by input
 * name (`inputs` as an object, `instances` as a list of objects).
 */
export type ModelInput =
  | { kind: "frame"; columns: string[]; rows: unknown[][] }
  | { kind: "tensor"; value: unknown[] }
  | { kind: "named"; tensors: Record<string, unknown> };

/** One model input or output as the runtime reports it; `null` marks a dynamic dimension. */
export interface TensorSpec {
  name: string;
  type: string;
  shape: (number | null)[];
}

/** A tensor ready for the runtime: flat row-major data and its dimensions. */
export interface Feed {
  type: ElementType;
  data: ReturnType<typeof toTyped>;
  dims: number[];
}

/** Flattens a nested array, checking it is rectangular; a scalar has shape []. */
export function flatten(value: unknown, what: string): { data: unknown[]; shape: number[] } {
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  const data: unknown[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new MlfError("invalid_argument", `${what} is ragged: nested deeper than its first element; send a rectangular array.`);
      data.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new MlfError("invalid_argument", `${what} is ragged: expected ${shape[depth]} elements at depth ${depth}; send a rectangular array.`);
    }
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
  return { data, shape };
}

function elementType(spec: TensorSpec): ElementType {
  if (!isSupportedElementType(spec.type)) throw new MlfError("runtime", `Model input ${spec.name} has type ${spec.type}, which mlf can not feed; export the model with a numeric, bool or string input.`);
  return spec.type;
}

function checkShape(spec: TensorSpec, shape: number[]): void {
  const ok = shape.length === spec.shape.length && spec.shape.every((d, i) => d === null || d === shape[i]);
  if (!ok) {
    const want = `[${spec.shape.map((d) => d ?? "N").join(", ")}]`;
    throw new MlfError("invalid_argument", `Input ${spec.name} has shape [${shape.join(", ")}] but the model expects ${want}; send data of that shape.`);
  }
}

function tensorFeed(spec: TensorSpec, value: unknown): Feed {
  const type = elementType(spec);
  const { data, shape } = flatten(value, `Input ${spec.name}`);
  checkShape(spec, shape);
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  return { type, dims: shape, data: toTyped(data, type, (i) => `input ${spec.name}, row ${Math.floor(i / per)}`) };
}

/** The column indexes that feed a single [N, F] input: by recorded feature names when known, else all, in order. */
function columnOrder(spec: TensorSpec, columns: string[], featureNames: string[] | undefined): number[] {
  // /predict builds its frame in the recorded order: nothing to match.
  if (featureNames && (featureNames === columns || (featureNames.length === columns.length && featureNames.every((f, i) => f === columns[i])))) return columns.map((_, i) => i);
  if (featureNames && featureNames.length > 0) {
    return featureNames.map((name) => {
      // A recorded `view:feature` matches the column names get-historical writes: `view__feature` or `feature`.
      const sep = name.indexOf(":");
      const candidates = sep < 0 ? [name] : [name, `${name.slice(0, sep)}__${name.slice(sep + 1)}`, name.slice(sep + 1)];
      const i = columns.findIndex((c) => candidates.includes(c));
      if (i < 0) throw new MlfError("invalid_argument", `Column ${preview(name)} is missing; the model's inputs are ${featureNames.length} columns starting ${featureNames.slice(0, 3).join(", ")}.`);
      return i;
    });
  }
  const width = spec.shape[1];
  if (typeof width === "number" && width !== columns.length) {
    throw new MlfError("invalid_argument", `The data has ${columns.length} columns but model input ${spec.name} takes ${width}; send exactly ${width} columns.`);
  }
  return columns.map((_, i) => i);
}

function frameFeeds(inputs: TensorSpec[], frame: { columns: string[]; rows: unknown[][] }, featureNames: string[] | undefined): Record<string, Feed> {
  const n = frame.rows.length;
  if (n === 0) throw new MlfError("invalid_argument", "The data has no rows; send at least one row.");
  frame.rows.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== frame.columns.length) throw new MlfError("invalid_argument", `Row ${r} has ${Array.isArray(row) ? row.length : "no"} values but there are ${frame.columns.length} columns; send one value per column.`);
  });
  const first = inputs[0]!;
  if (inputs.length === 1 && first.shape.length === 2 && !(first.shape[1] === 1 && frame.columns.includes(first.name))) {
    const type = elementType(first);
    const order = columnOrder(first, frame.columns, featureNames);
    const flat = new Array<unknown>(n * order.length);
    for (let r = 0; r < n; r++) for (let c = 0; c < order.length; c++) flat[r * order.length + c] = frame.rows[r]![order[c]!];
    const data = toTyped(flat, type, (i) => `column ${preview(frame.columns[order[i % order.length]!])}, row ${Math.floor(i / order.length)}`);
    return { [first.name]: { type, data, dims: [n, order.length] } };
  }
  // Several inputs (or one rank-1 input): MLflow feeds each input from the column of its name.
  const feeds: Record<string, Feed> = {};
  for (const spec of inputs) {
    const type = elementType(spec);
    let c = frame.columns.indexOf(spec.name);
    if (c < 0 && inputs.length === 1 && frame.columns.length === 1) c = 0;
    if (c < 0) throw new MlfError("invalid_argument", `Column ${spec.name} is missing; the model's inputs are ${inputs.map((i) => i.name).join(", ")}.`);
    if (spec.shape.length !== 1 && !(spec.shape.length === 2 && (spec.shape[1] === 1 || spec.shape[1] === null))) {
      throw new MlfError("invalid_argument", `Model input ${spec.name} has ${spec.shape.length} dimensions and can not be fed from a column; send it with "inputs" as a tensor.`);
    }
    const column = frame.rows.map((row) => row[c]);
    feeds[spec.name] = { type, data: toTyped(column, type, (i) => `column ${spec.name}, row ${i}`), dims: spec.shape.length === 1 ? [n] : [n, 1] };
  }
  return feeds;
}

/**
 * Builds the runtime's feeds for `input` from the model's input metadata. `featureNames` is the
 * model's recorded column order (MLmodel metadata); a frame is reordered by it, so callers may
 * send columns in any order.
 */
export function buildFeeds(inputs: TensorSpec[], input: ModelInput, featureNames?: string[]): Record<string, Feed> {
  if (input.kind === "frame") return frameFeeds(inputs, input, featureNames);
  if (input.kind === "tensor") {
    if (inputs.length !== 1) throw new MlfError("invalid_argument", `The model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(", ")}); send "inputs" as an object keyed by input name.`);
    return { [inputs[0]!.name]: tensorFeed(inputs[0]!, input.value) };
  }
  const unknown = Object.keys(input.tensors).filter((k) => !inputs.some((i) => i.name === k));
  if (unknown.length > 0) throw new MlfError("invalid_argument", `Unknown model input ${preview(unknown[0])}; the model's inputs are ${inputs.map((i) => i.name).join(", ")}.`);
  const feeds: Record<string, Feed> = {};
  for (const spec of inputs) {
    if (!(spec.name in input.tensors)) throw new MlfError("invalid_argument", `Model input ${spec.name} is missing; send every input: ${inputs.map((i) => i.name).join(", ")}.`);
    feeds[spec.name] = tensorFeed(spec, input.tensors[spec.name]);
  }
  return feeds;
}
