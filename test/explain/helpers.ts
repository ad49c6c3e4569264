import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";
import { ROOT } from "../helpers.js";

const { onnx } = onnxProto;

/** Models and expected outputs made by test/fixtures/explain/generate.py (see its README). */
export const FIXTURES = join(ROOT, "test", "fixtures", "explain");

export interface Fixture {
  feature_names: string[];
  background: number[][];
  rows: number[][];
  prediction?: number[];
  proba_1?: number[];
  margin?: number[];
  probabilities?: number[][];
  coefficients?: number[];
  intercept?: number;
  scaler_mean?: number[];
  scaler_scale?: number[];
}

export function fixture(name: string): { path: string; bytes: Uint8Array; expected: Fixture } {
  const path = join(FIXTURES, `${name}.onnx`);
  const expectedName = name === "diabetes_forest_v5" ? "diabetes_forest" : name;
  return { path, bytes: readFileSync(path), expected: JSON.parse(readFileSync(join(FIXTURES, `${expectedName}.expected.json`), "utf8")) as Fixture };
}

/** Runs `rows` through onnxruntime; returns every output as rows of numbers. */
export async function runOrt(bytes: Uint8Array, rows: number[][], type: "float32" | "float64" = "float32"): Promise<Record<string, number[][]>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const data = type === "float32" ? Float32Array.from(rows.flat()) : Float64Array.from(rows.flat());
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor(type, data, [rows.length, rows[0]!.length]) });
    return Object.fromEntries(
      Object.entries(out).map(([name, t]) => {
        const values = Array.from(t.data as ArrayLike<number | bigint>, Number);
        const per = values.length / rows.length;
        return [name, rows.map((_, r) => values.slice(r * per, (r + 1) * per))];
      }),
    );
  } finally {
    await session.release();
  }
}

type AttributeValue = number | string | number[] | string[] | { tensor: "float" | "double" | "uint8"; values: number[] };

function attribute(name: string, value: AttributeValue): Onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === "string") return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === "number") return Number.isInteger(value) && !name.endsWith("_float") && name !== "alpha" && name !== "beta" ? { name, type: AttributeType.INT, i: value } : { name, type: AttributeType.FLOAT, f: value };
  if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === "string") return { name, type: AttributeType.STRINGS, strings: (value as string[]).map((s) => new TextEncoder().encode(s)) };
    // Integer-valued lists are ints unless the attribute holds floats (weights, thresholds, ...).
    const floats = /(values|weights|coefficients|intercepts|offset|scale|base_values|imputed_value_floats)$/.test(name);
    return floats ? { name, type: AttributeType.FLOATS, floats: value as number[] } : { name, type: AttributeType.INTS, ints: value as number[] };
  }
  const dataType = { float: onnx.TensorProto.DataType.FLOAT, double: onnx.TensorProto.DataType.DOUBLE, uint8: onnx.TensorProto.DataType.UINT8 }[value.tensor];
  const t: Onnx.ITensorProto = { dims: [value.values.length], dataType };
  if (value.tensor === "float") t.floatData = value.values;
  else if (value.tensor === "double") t.doubleData = value.values;
  else t.int32Data = value.values;
  return { name, type: AttributeType.TENSOR, t };
}

export interface NodeSpec {
  op: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, AttributeValue>;
}

/** Encodes a one-input graph as ONNX bytes (ai.onnx.ml `mlOpset`, default 3), with the onnx-proto package. */
export function onnxModel(spec: {
  input: { name?: string; width: number; type?: "float32" | "float64" };
  outputs: { name: string; type?: "float32" | "int64"; dims: (number | null)[] }[];
  nodes: NodeSpec[];
  initializers?: { name: string; dims: number[]; values: number[] }[];
  mlOpset?: number;
  metadata?: Record<string, string>;
}): Uint8Array {
  const { FLOAT, DOUBLE, INT64 } = onnx.TensorProto.DataType;
  const valueInfo = (name: string, elemType: number, dims: (number | null)[]): Onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (d === null ? { dimParam: "N" } : { dimValue: d })) } } },
  });
  const graph: Onnx.IGraphProto = {
    name: "test",
    input: [valueInfo(spec.input.name ?? "input", spec.input.type === "float64" ? DOUBLE : FLOAT, [null, spec.input.width])],
    output: spec.outputs.map((o) => valueInfo(o.name, o.type === "int64" ? INT64 : FLOAT, o.dims)),
    node: spec.nodes.map((n, k) => ({
      opType: n.op,
      domain: n.domain ?? (["Sub", "Add", "Mul", "Div", "MatMul", "Gemm", "Relu", "Sigmoid", "Softmax", "Identity", "Cast"].includes(n.op) ? "" : "ai.onnx.ml"),
      name: `${n.op.toLowerCase()}_${k}`,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attributes ?? {}).map(([name, value]) => attribute(name, value)),
    })),
    initializer: (spec.initializers ?? []).map((i) => ({ name: i.name, dims: i.dims, dataType: FLOAT, floatData: i.values })),
  };
  const model: Onnx.IModelProto = {
    irVersion: 8,
    producerName: "mlf-test",
    graph,
    opsetImport: [
      { domain: "", version: 13 },
      { domain: "ai.onnx.ml", version: spec.mlOpset ?? 3 },
    ],
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * The oracle: Shapley values by enumerating every feature subset S, with the value function
 * v(S) = mean over background rows z of f(row taking x's values on S and z's elsewhere), the
 * model f being onnxruntime itself. phi_i = Σ_{S ∌ i} |S|! (M-|S|-1)! / M! (v(S ∪ {i}) - v(S)).
 */
export async function bruteForceShapley(bytes: Uint8Array, x: number[], background: number[][]): Promise<number[]> {
  const m = x.length;
  const rows: number[][] = [];
  for (let mask = 0; mask < 2 ** m; mask++) for (const z of background) rows.push(x.map((xi, i) => (mask & (1 << i) ? xi : z[i]!)));
  const out = (await runOrt(bytes, rows)).variable!.map((r) => r[0]!);
  const v = (mask: number) => sum(out.slice(mask * background.length, (mask + 1) * background.length)) / background.length;
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  return x.map((_, i) => {
    let phi = 0;
    for (let mask = 0; mask < 2 ** m; mask++) {
      if (mask & (1 << i)) continue;
      const size = mask.toString(2).split("1").length - 1;
      phi += ((factorial(size) * factorial(m - size - 1)) / factorial(m)) * (v(mask | (1 << i)) - v(mask));
    }
    return phi;
  });
}
