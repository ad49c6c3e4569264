import { createHash } from "node:crypto";
import type { InferenceSession } from "onnxruntime-node";
import { MlfError } from "../errors.js";

/** One input or output of a model, as recorded in the MLmodel signature. */
export interface TensorSpec {
  name: string;
  /** ONNX element type as onnxruntime names it (`float32`, `int64`, ...), or `object` for a non-tensor (sequence, map). */
  dtype: string;
  /** Dimensions; -1 marks a dynamic one (usually the batch). Empty for a non-tensor. */
  shape: number[];
}

export interface OnnxSignature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Opens an ONNX model with onnxruntime (imported here, lazily, so commands that never touch
 * a model never load the native runtime). Anything onnxruntime cannot load is refused as
 * not being a valid ONNX model, naming `label` (the file the user gave).
 */
export async function openSession(bytes: Uint8Array, label: string): Promise<InferenceSession> {
  const ort = await import("onnxruntime-node");
  try {
    return await ort.InferenceSession.create(bytes);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    throw new MlfError("invalid_argument", `${label} is not a valid ONNX model (${reason}); export the model to ONNX (e.g. with skl2onnx) and pass that file.`, { cause: error });
  }
}

function spec(meta: InferenceSession.ValueMetadata): TensorSpec {
  if (!meta.isTensor) return { name: meta.name, dtype: "object", shape: [] };
  // onnxruntime reports a symbolic or unknown dimension as a string (often ""); MLflow writes -1.
  return { name: meta.name, dtype: meta.type, shape: meta.shape.map((d) => (typeof d === "number" && d >= 0 ? d : -1)) };
}

/** Input and output names, element types and shapes, read from the model itself. */
export function signatureOf(session: InferenceSession): OnnxSignature {
  return { inputs: session.inputMetadata.map(spec), outputs: session.outputMetadata.map(spec) };
}

/** Validates that `bytes` is an ONNX model and returns its signature (the session is released). */
export async function inspectOnnx(bytes: Uint8Array, label: string): Promise<OnnxSignature> {
  const session = await openSession(bytes, label);
  try {
    return signatureOf(session);
  } finally {
    await session.release();
  }
}
