import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { basename, extname, resolve } from "node:path";
import { MlfError } from "../errors.js";
import { referenceBackground, VersionExplainer } from "../explain/version.js";
import { OnnxModel } from "./runtime/onnx.js";

/** A model version opened in the runtime, with what its MLmodel recorded about its inputs. */
export interface ModelArtifact {
  /** The session, created from bytes already checked against the recorded digest when there is one. */
  model: OnnxModel;
  /** Input feature references (`view:feature`) in the model's input order, when recorded. */
  features?: string[];
  /** The feature service the model was trained on, when recorded instead of features. */
  service?: string;
  /** Entity join keys the model's features are looked up by, when recorded. */
  entityKeys?: string[];
  /** Column names of the model's input in order (the signature), when recorded. */
  columns?: string[];
  /** This version's explainer (/explain), built on first use from the same checked bytes. */
  explainer: VersionExplainer;
}

/** What a model reference points at right now. */
export interface ResolvedVersion {
  /** Identifies the artifact: a change means a new version to load and swap in. */
  version: string;
  /** The alias or stage the reference names, when it names one. */
  alias?: string;
  /** Opens this version (not the reference's newest: a version pinned at resolve time). */
  load(): Promise<ModelArtifact>;
}

/**
 * Where a served model comes from: a file, or a registry reference (`NAME@ALIAS`, `NAME/N`,
 * a stage) that is re-resolved on every poll, which is how hot swap learns of a new version.
 */
export interface ModelSource {
  /** The name requests use (`"model": NAME` in /predict, `?model=NAME` on /invocations). */
  name: string;
  /** The reference as given on the command line. */
  uri: string;
  resolve(): Promise<ResolvedVersion>;
}

/**
 * A bare `.onnx` file. Its version is the first 12 hex digits of its sha256, so replacing the
 * file (atomically, by rename) is picked up by the next poll like a new registry version.
 */
export function fileModelSource(path: string, name = basename(path, extname(path))): ModelSource {
  const file = resolve(path);
  let last: { key: string; version: string; bytes: Uint8Array } | undefined;
  return {
    name,
    uri: path,
    async resolve() {
      let key: string;
      try {
        const s = await stat(file);
        key = `${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        throw new MlfError("file_not_found", `The model file ${path} does not exist; pass an existing .onnx file or a registry reference.`);
      }
      if (last?.key !== key) {
        const bytes = await readFile(file);
        last = { key, bytes, version: createHash("sha256").update(bytes).digest("hex").slice(0, 12) };
      }
      const { bytes, version } = last;
      const what = `${path} (${version})`;
      // A bare file has no reference data: explaining it is refused with the fix.
      const explainer = new VersionExplainer(bytes, what, () => referenceBackground("", undefined, `The model file ${path}`));
      return { version, load: async () => ({ model: await OnnxModel.load(bytes, what), explainer }) };
    },
  };
}
