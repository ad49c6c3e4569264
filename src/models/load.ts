import { readFileSync } from "node:fs";
import type { InferenceSession } from "onnxruntime-node";
import { MlfError } from "../errors.js";
import { openSession, sha256, signatureOf, type OnnxSignature } from "./onnx.js";
import { resolveModelUri, type ResolvedModel } from "./uri.js";

/** A model ready to run: where it came from, its verified digest and an onnxruntime session. */
export interface LoadedModel {
  resolved: ResolvedModel;
  /** sha256 (hex) of the bytes the session was created from. */
  sha256: string;
  /** Those bytes (what an explainer of this version parses). */
  bytes: Uint8Array;
  session: InferenceSession;
  signature: OnnxSignature;
}

/** Whether the model file still has the digest recorded at registration (true when none was recorded). */
export function checkDigest(resolved: ResolvedModel, bytes: Uint8Array): { expected: string | null; actual: string; ok: boolean } {
  const actual = sha256(bytes);
  const expected = resolved.mlmodel?.mlf?.sha256 || null;
  return { expected, actual, ok: expected === null || expected === actual };
}

function readModelFile(resolved: ResolvedModel): Buffer {
  try {
    return readFileSync(resolved.modelFile);
  } catch {
    throw new MlfError("file_not_found", `Cannot read the model file ${resolved.modelFile} of ${resolved.uri}; the registry folder is incomplete, register the model again.`);
  }
}

/** The model file's bytes, refused when they do not have the sha256 recorded at registration. */
export function readCheckedModel(resolved: ResolvedModel): { bytes: Buffer; sha256: string } {
  const bytes = readModelFile(resolved);
  const digest = checkDigest(resolved, bytes);
  if (!digest.ok) {
    throw new MlfError(
      "invalid_data",
      `${resolved.modelFile} does not match the sha256 recorded at registration (expected ${digest.expected}, found ${digest.actual}); the file was changed, so register the model again instead of editing a version.`,
    );
  }
  return { bytes, sha256: digest.actual };
}

/**
 * Resolves `uri` and opens the model with onnxruntime, after checking the file's sha256
 * against the one recorded in MLmodel: a file changed after registration is refused. The
 * session is created from the very bytes that were checked.
 */
export async function loadModel(trackingDir: string, uri: string, options: { cwd?: string } = {}): Promise<LoadedModel> {
  const resolved = resolveModelUri(trackingDir, uri, options);
  const checked = readCheckedModel(resolved);
  const session = await openSession(checked.bytes, resolved.modelFile);
  return { resolved, ...checked, session, signature: signatureOf(session) };
}
