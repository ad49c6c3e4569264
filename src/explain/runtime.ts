import type { InferenceSession, Tensor } from "onnxruntime-node";
import { MlfError } from "../errors.js";
import { openSession } from "../models/onnx.js";

/**
 * A model run by onnxruntime on batches of numeric rows, for KernelSHAP. It reads the output
 * the server reports: a probabilities output ([N, classes], the tensor OnnxModel decodes as
 * P(class 1) for a binary classifier) when there is one, else the first output.
 * onnxruntime is imported only when a model needs it.
 */
export class OnnxScorer {
  private constructor(
    private readonly session: InferenceSession,
    private readonly tensor: typeof Tensor,
    private readonly input: { name: string; type: "float32" | "float64" },
    private readonly output: string,
    /** Features per row. */
    readonly width: number,
  ) {}

  static async open(bytes: Uint8Array, label: string): Promise<OnnxScorer> {
    const session = await openSession(bytes, label);
    const { Tensor } = await import("onnxruntime-node");
    const inputs = session.inputMetadata;
    const input = inputs[0];
    const ok = inputs.length === 1 && input?.isTensor && (input.type === "float32" || input.type === "float64") && input.shape.length === 2 && typeof input.shape[1] === "number" && input.shape[1] > 0;
    if (!ok || !input?.isTensor) {
      await session.release();
      throw new MlfError("invalid_argument", `${label} does not take one [N, features] float tensor, which explanations need; export the model with a single numeric input.`);
    }
    const outputs = session.outputMetadata;
    const scores = outputs.filter((o) => o.isTensor && (o.type === "float32" || o.type === "float64"));
    const output = scores.find((o) => /prob/i.test(o.name) && o.isTensor && o.shape.length === 2) ?? scores[0];
    if (!output || outputs.some((o) => !o.isTensor)) {
      await session.release();
      const why = output ? "has a non-tensor output" : "has no float output to explain";
      throw new MlfError("invalid_argument", `${label} ${why}; export it with a float score or probabilities tensor and without ZipMap (skl2onnx: options={"zipmap": False}).`);
    }
    return new OnnxScorer(session, Tensor, { name: input.name, type: input.type as "float32" | "float64" }, output.name, input.shape[1] as number);
  }

  /** Runs `rows` rows (row-major in `data`); returns the output row-major with `columns` values per row. */
  async run(data: Float64Array, rows: number): Promise<{ values: Float64Array; columns: number }> {
    const typed = this.input.type === "float32" ? Float32Array.from(data) : data;
    const feed = new this.tensor(this.input.type, typed, [rows, this.width]);
    let result: InferenceSession.OnnxValueMapType;
    try {
      result = await this.session.run({ [this.input.name]: feed });
    } catch (error) {
      throw new MlfError("invalid_argument", `The model rejected the rows to explain (${(error as Error).message.split("\n")[0]}).`);
    }
    const out = result[this.output] as Tensor;
    const values = Float64Array.from(out.data as ArrayLike<number>);
    return { values, columns: rows === 0 ? 0 : values.length / rows };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
