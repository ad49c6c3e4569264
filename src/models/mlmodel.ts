import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { MlfError } from "../errors.js";
import { readFileIfExists } from "../util/fs.js";
import type { OnnxSignature, TensorSpec } from "./onnx.js";

/** The file name of the model inside a version folder. */
export const MODEL_FILE = "model.onnx";

/**
 * What mlf records under `metadata.mlf` of an MLmodel file: how serving turns an entity key
 * into the model's input without training-serving skew.
 */
export interface MlfMetadata {
  /** Feature references (`view:feature`) in the order of the model's input columns, or null when a service is used. */
  features: string[] | null;
  /** The feature service whose projection (in its order) feeds the model, or null. */
  featureService: string | null;
  /** Join keys of the entities the features are looked up by, in first-use order. */
  entityKeys: string[];
  /** sha256 (hex) of model.onnx as registered; checked before every load. */
  sha256: string;
  /** The data the version was trained on, for drift monitoring; absent when none was recorded. */
  reference?: MlfReference;
}

/** A model version's reference data (src/monitor/reference.ts writes it at registration). */
export interface MlfReference {
  /** Absolute path of the training file when registered. */
  path: string;
  /** Its sha256 (hex): drift re-reads the file only while it still has this digest. */
  sha256: string;
  rows: number;
  /** The profile's file name in the version folder (`reference.json`). */
  profile: string;
}

/** The parts of an MLmodel file mlf uses. */
export interface MLmodel {
  /** The onnx flavor's model file, relative to the MLmodel's folder; undefined when there is no onnx flavor. */
  onnxData: string | undefined;
  signature: OnnxSignature | undefined;
  mlf: MlfMetadata | undefined;
  runId: string | null;
  flavors: string[];
}

const mlflowSpec = (t: TensorSpec) => ({ type: "tensor", "tensor-spec": { dtype: t.dtype, shape: t.shape }, name: t.name });

/** The MLmodel text of a registered version: an onnx flavor, the ONNX signature, mlf's metadata. */
export function renderMLmodel(options: { signature: OnnxSignature; mlf: MlfMetadata; runId: string | null; sizeBytes: number; now: number }): string {
  return stringify({
    artifact_path: "model",
    flavors: { onnx: { data: MODEL_FILE, providers: ["CPUExecutionProvider"], code: null } },
    model_size_bytes: options.sizeBytes,
    model_uuid: randomUUID().replaceAll("-", ""),
    run_id: options.runId,
    // MLflow's own format for this field: "YYYY-MM-DD HH:MM:SS.ffffff", UTC.
    utc_time_created: new Date(options.now).toISOString().replace("T", " ").replace("Z", "000"),
    signature: {
      // MLflow stores each side as a JSON string inside the YAML.
      inputs: JSON.stringify(options.signature.inputs.map(mlflowSpec)),
      outputs: JSON.stringify(options.signature.outputs.map(mlflowSpec)),
      params: null,
    },
    metadata: {
      mlf: {
        features: options.mlf.features,
        feature_service: options.mlf.featureService,
        entity_keys: options.mlf.entityKeys,
        model_sha256: options.mlf.sha256,
        ...(options.mlf.reference && { reference: options.mlf.reference }),
      },
    },
  });
}

function parseSpecs(text: unknown): TensorSpec[] | undefined {
  if (typeof text !== "string") return undefined;
  const list = JSON.parse(text) as { name?: string; type?: string; "tensor-spec"?: { dtype?: string; shape?: number[] } }[];
  return list.map((s, i) => ({ name: s.name ?? `input_${i}`, dtype: s["tensor-spec"]?.dtype ?? s.type ?? "object", shape: s["tensor-spec"]?.shape ?? [] }));
}

const isReference = (v: unknown): v is MlfReference => {
  const r = v as Partial<MlfReference> | null | undefined;
  return typeof r?.path === "string" && typeof r.sha256 === "string" && typeof r.rows === "number" && typeof r.profile === "string";
};

const strings = (v: unknown): string[] | null => (Array.isArray(v) ? v.map(String) : null);

/** Reads `<dir>/MLmodel`, or undefined when the folder has none. */
export function readMLmodel(dir: string): MLmodel | undefined {
  const file = join(dir, "MLmodel");
  const text = readFileIfExists(file);
  if (text === undefined) return undefined;
  try {
    const doc = (parse(text) ?? {}) as Record<string, unknown>;
    const flavors = (doc.flavors ?? {}) as Record<string, Record<string, unknown>>;
    const signature = doc.signature as Record<string, unknown> | undefined;
    const inputs = parseSpecs(signature?.inputs);
    const outputs = parseSpecs(signature?.outputs);
    const mlf = ((doc.metadata ?? {}) as Record<string, unknown>).mlf as Record<string, unknown> | undefined;
    return {
      onnxData: typeof flavors.onnx?.data === "string" ? flavors.onnx.data : undefined,
      signature: inputs && outputs ? { inputs, outputs } : undefined,
      mlf: mlf && {
        features: strings(mlf.features),
        featureService: typeof mlf.feature_service === "string" ? mlf.feature_service : null,
        entityKeys: strings(mlf.entity_keys) ?? [],
        sha256: String(mlf.model_sha256 ?? ""),
        ...(isReference(mlf.reference) && { reference: mlf.reference }),
      },
      runId: typeof doc.run_id === "string" ? doc.run_id : null,
      flavors: Object.keys(flavors),
    };
  } catch (error) {
    throw new MlfError("invalid_data", `${file} is not a readable MLmodel file (${(error as Error).message.split("\n")[0]}).`);
  }
}
