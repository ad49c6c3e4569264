import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { referenceBackground, VersionExplainer } from "../explain/version.js";
import { loadModel } from "../models/load.js";
import { parseModelUri, resolveModelUri, type ResolvedModel } from "../models/uri.js";
import { OnnxModel } from "./runtime/onnx.js";
import { fileModelSource, type ModelArtifact, type ModelSource } from "./sources.js";

/** What the MLmodel's `metadata.mlf` block recorded about the model's inputs. */
function recorded(resolved: ResolvedModel): Omit<ModelArtifact, "model" | "explainer"> {
  const mlf = resolved.mlmodel?.mlf;
  if (!mlf) return {};
  return {
    ...(mlf.features && mlf.features.length > 0 && { features: mlf.features }),
    ...(mlf.featureService && { service: mlf.featureService }),
    ...(mlf.entityKeys.length > 0 && { entityKeys: mlf.entityKeys }),
  };
}

async function open(trackingDir: string, uri: string, what: string, cwd: string): Promise<ModelArtifact> {
  // The registry's loader checks the file against the sha256 recorded at registration.
  const loaded = await loadModel(trackingDir, uri, { cwd });
  const explainer = new VersionExplainer(loaded.bytes, what, () => referenceBackground(trackingDir, loaded.resolved.version, what));
  return { model: await OnnxModel.fromSession(loaded.session, what), explainer, ...recorded(loaded.resolved) };
}

/**
 * A model reference as `mlf serve --model` takes it (SPEC section 7's URIs): a registry
 * reference is re-resolved on every poll, so moving an alias, promoting a stage or registering
 * a newer `latest` swaps the served version; the version that resolved is then loaded by its
 * number, so an alias moved meanwhile can not mix two versions. A plain .onnx file is watched
 * by its digest; an MLflow model folder by its model file's digest.
 */
export function modelSource(trackingDir: string, uri: string, cwd = process.cwd()): ModelSource {
  const parsed = parseModelUri(uri, { cwd });
  if (parsed.kind === "registry") {
    const { name, selector } = parsed;
    const alias = selector.type === "alias" ? selector.alias : selector.type === "stage" ? selector.stage : selector.type === "latest" ? "latest" : undefined;
    return {
      name,
      uri,
      async resolve() {
        const resolved = resolveModelUri(trackingDir, uri, { cwd });
        const version = String(resolved.version!.version);
        return { version, ...(alias !== undefined && { alias }), load: () => open(trackingDir, `models:/${name}/${version}`, `${name} version ${version}`, cwd) };
      },
    };
  }
  const file = fileModelSource(parsed.path);
  return {
    name: file.name,
    uri,
    async resolve() {
      if (!(await stat(parsed.path).catch(() => undefined))?.isDirectory()) return file.resolve();
      const resolved = resolveModelUri(trackingDir, parsed.path, { cwd });
      const version = createHash("sha256").update(await readFile(resolved.modelFile)).digest("hex").slice(0, 12);
      return { version, load: () => open(trackingDir, parsed.path, `${uri} (${version})`, cwd) };
    },
  };
}
