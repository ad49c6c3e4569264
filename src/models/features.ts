import { MlfError, type Problem } from "../errors.js";
import type { Definitions } from "../repo/types.js";
import type { MlfMetadata } from "./mlmodel.js";
import type { OnnxSignature } from "./onnx.js";

/** What a model reads from the feature store, before the digest is known. */
export type FeatureInputs = Omit<MlfMetadata, "sha256">;

const REF = /^[A-Za-z_][A-Za-z0-9_]*:[A-Za-z_][A-Za-z0-9_]*$/;

function joinKeysOf(defs: Definitions, views: string[]): string[] {
  const keys: string[] = [];
  for (const viewName of views) {
    const view = defs.featureViews.find((v) => v.name === viewName);
    for (const entityName of view?.entities ?? []) {
      const key = defs.entities.find((e) => e.name === entityName)?.joinKey;
      if (key && !keys.includes(key)) keys.push(key);
    }
  }
  return keys;
}

/**
 * The model's feature inputs from `--features` or `--service`. With the applied feature
 * registry (`defs`, inside a repository) every reference must exist; without it only the
 * `view:feature` syntax is checked and the entity keys stay unknown (empty).
 * Returns the number of feature columns when it is known, to compare with the model's input.
 */
export function resolveFeatureInputs(defs: Definitions | undefined, features: string[] | undefined, service: string | undefined): FeatureInputs & { columns?: number } {
  if (features?.length && service) throw new MlfError("usage", "Pass either --features or --service, not both.");
  if (service) {
    if (!defs) return { features: null, featureService: service, entityKeys: [] };
    const found = defs.featureServices.find((s) => s.name === service);
    if (!found) {
      throw new MlfError("not_found", `No feature service named "${service}" in the feature registry; known: ${defs.featureServices.map((s) => s.name).join(", ") || "(none)"}.`);
    }
    const views = found.features.map((p) => p.view);
    const columns = found.features.reduce((n, p) => n + (p.features?.length ?? defs.featureViews.find((v) => v.name === p.view)?.schema.length ?? 0), 0);
    return { features: null, featureService: service, entityKeys: joinKeysOf(defs, views), columns };
  }
  if (!features?.length) return { features: null, featureService: null, entityKeys: [] };
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const ref of features) {
    if (!REF.test(ref)) problems.push({ file: "--features", message: `"${ref}" is not a feature reference`, hint: "write view:feature" });
    else if (seen.has(ref)) problems.push({ file: "--features", message: `"${ref}" is listed twice` });
    else if (defs) {
      const [viewName, feature] = ref.split(":") as [string, string];
      const view = defs.featureViews.find((v) => v.name === viewName);
      if (!view) problems.push({ file: "--features", message: `"${ref}": no feature view named "${viewName}"` });
      else if (!view.schema.some((f) => f.name === feature)) {
        problems.push({ file: "--features", message: `"${ref}": view "${viewName}" has no feature "${feature}"`, hint: `it has ${view.schema.map((f) => f.name).join(", ")}` });
      }
    }
    seen.add(ref);
  }
  if (problems.length > 0) {
    throw new MlfError(defs ? "not_found" : "invalid_argument", `--features has ${problems.length} bad reference${problems.length > 1 ? "s" : ""}; fix them and register again.`, { problems });
  }
  const views = [...new Set(features.map((r) => r.split(":")[0]!))];
  return { features, featureService: null, entityKeys: defs ? joinKeysOf(defs, views) : [], columns: features.length };
}

/**
 * The number of feature columns the model takes: the width of a single 2-D input with a
 * fixed second dimension, else one column per input. Undefined when the shape does not say.
 */
export function inputWidth(signature: OnnxSignature): number | undefined {
  const [only] = signature.inputs;
  if (signature.inputs.length === 1 && only) {
    const width = only.shape.length === 2 ? only.shape[1]! : -1;
    return width > 0 ? width : undefined;
  }
  return signature.inputs.length;
}
