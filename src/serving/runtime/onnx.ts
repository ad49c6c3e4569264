import type { InferenceSession, Tensor } from "onnxruntime-node";
import { MlfError } from "../../errors.js";
import { buildFeeds, type ModelInput, type TensorSpec } from "./input.js";

/** One row's prediction: a number (P(class 1), a regression value, a label), a string label, or a vector. */
export type Prediction = number | string | boolean | Prediction[];

type Ort = typeof import("onnxruntime-node");
let ortModule: Promise<Ort> | undefined;
/** onnxruntime is imported on first use, so commands that never run a model never load it. */
function ort(): Promise<Ort> {
  ortModule ??= import("onnxruntime-node");
  return ortModule;
}

/** Runtime messages can quote whole tensors; keep them to one readable line. */
export function truncate(message: string, max = 200): string {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

function specs(metadata: readonly InferenceSession.ValueMetadata[]): TensorSpec[] {
  return metadata.map((m) =>
    m.isTensor
      ? { name: m.name, type: String(m.type), shape: m.shape.map((d) => (typeof d === "number" && d >= 0 ? d : null)) }
      : { name: m.name, type: "non-tensor", shape: [] },
  );
}

function plain(value: unknown): number | string | boolean {
  return typeof value === "bigint" ? Number(value) : (value as number | string | boolean);
}

interface Output {
  dims: readonly number[];
  data: ArrayLike<unknown>;
}

/** Row i of an output with dims [N, ...]: a scalar for [N] and [N, 1], else the nested row. */
function row(output: Output, i: number): Prediction {
  const { dims, data } = output;
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  if (per === 1) return plain(data[i]);
  const nest = (offset: number, depth: number): Prediction[] => {
    const size = dims.slice(depth + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: dims[depth]! }, (_, k) => (depth === dims.length - 1 ? plain(data[offset + k]) : nest(offset + k * size, depth + 1)));
  };
  return nest(i * per, 1);
}

/**
 * An ONNX model loaded in onnxruntime. `predict` decodes outputs into one prediction per row:
 * - a binary classifier (an output named like `probabilities` with shape [N, 2], as skl2onnx
 *   exports with zipmap=False) predicts P(class 1), column 1 of that output, which is what
 *   MLflow's pyfunc gives as the probability output's value for the positive class;
 * - another classifier (a probabilities output with more columns beside a label output)
 *   predicts the label;
 * - any other model predicts its first output's row (a scalar for [N] and [N, 1]).
 */
export class OnnxModel {
  private constructor(
    private readonly session: InferenceSession,
    readonly inputs: TensorSpec[],
    readonly outputs: TensorSpec[],
  ) {}

  /** Loads a model from its bytes (so the bytes that were digest-checked are the bytes run). */
  static async load(bytes: Uint8Array, what: string): Promise<OnnxModel> {
    const { InferenceSession } = await ort();
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(bytes, { graphOptimizationLevel: "all", intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (error) {
      throw new MlfError("runtime", `The model ${what} can not be loaded by onnxruntime (${truncate((error as Error).message)}); check it is a valid ONNX file.`);
    }
    return OnnxModel.fromSession(session, what);
  }

  /** Wraps a session opened elsewhere (the registry's digest-checking loader). */
  static async fromSession(session: InferenceSession, what: string): Promise<OnnxModel> {
    const model = new OnnxModel(session, specs(session.inputMetadata), specs(session.outputMetadata));
    const nonTensor = model.outputs.find((o) => o.type === "non-tensor");
    if (nonTensor) {
      await session.release();
      throw new MlfError("runtime", `The model ${what} has a non-tensor output ${nonTensor.name}; export it without ZipMap (skl2onnx: options={"zipmap": False}).`);
    }
    return model;
  }

  /** Runs the model on `input`; `featureNames` is the recorded column order, when known. */
  async predict(input: ModelInput, featureNames?: string[]): Promise<Prediction[]> {
    const { Tensor } = await ort();
    const feeds = buildFeeds(this.inputs, input, featureNames);
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new Tensor(f.type, f.data, f.dims)]));
    let result: InferenceSession.OnnxValueMapType;
    try {
      result = await this.session.run(tensors);
    } catch (error) {
      throw new MlfError("invalid_argument", `The model rejected the input (${truncate((error as Error).message)}).`);
    }
    const rows = Object.values(feeds)[0]!.dims[0] ?? 1;
    // Picked once: picking per row re-extracted the whole output each time (quadratic in the batch).
    const output = this.pick(result);
    return Array.from({ length: rows }, (_, i) => row(output, i));
  }

  private pick(result: InferenceSession.OnnxValueMapType): Output {
    const tensor = (name: string): Output => {
      const t = result[name] as Tensor;
      return { dims: t.dims, data: t.data as ArrayLike<unknown> };
    };
    const probs = this.outputs.find((o) => /prob/i.test(o.name) && o.shape.length === 2);
    if (probs) {
      const p = tensor(probs.name);
      if (p.dims[1] === 2) return { dims: [p.dims[0]!], data: column1(p.data as ArrayLike<number>) };
      const label = this.outputs.find((o) => /label/i.test(o.name));
      if (label) return tensor(label.name);
    }
    return tensor(this.outputs[0]!.name);
  }

  /** A zero-filled input of one row: the check a new version passes before it is swapped in. */
  async selfCheck(): Promise<Prediction> {
    const zeros: Record<string, unknown> = {};
    for (const spec of this.inputs) {
      const fill = spec.type === "string" ? "" : spec.type === "bool" ? false : 0;
      const build = (depth: number): unknown => (depth === spec.shape.length ? fill : Array.from({ length: depth === 0 ? 1 : (spec.shape[depth] ?? 1) }, () => build(depth + 1)));
      zeros[spec.name] = build(0);
    }
    const [prediction] = await this.predict({ kind: "named", tensors: zeros });
    const bad = (p: Prediction | undefined): boolean => p === undefined || (typeof p === "number" && !Number.isFinite(p)) || (Array.isArray(p) && p.some(bad));
    if (bad(prediction)) throw new MlfError("runtime", "The model's test prediction on a zero input is not a finite value.");
    return prediction!;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Column 1 of an [N, 2] matrix. */
function column1(data: ArrayLike<number>): number[] {
  const out = new Array<number>(data.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = data[i * 2 + 1]!;
  return out;
}
