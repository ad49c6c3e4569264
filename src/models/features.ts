import { formatFeatureRef, parseSelection, resolvedRefs, resolveSelection } from "../repo/resolve.js";
import type { Definitions } from "../repo/types.js";
import type { MlfMetadata } from "./mlmodel.js";
import type { OnnxSignature } from "./onnx.js";

/** What a model reads from the feature store, before the digest is known. */
export type FeatureInputs = Omit<MlfMetadata, "sha256">;

/**
 * The model's feature inputs from `--features` or `--service` (neither: a model without
 * recorded inputs), resolved by the one feature resolver (repo/resolve.ts), so a model accepts
 * exactly the selections reads accept. With the applied feature registry (`defs`, inside a
 * repository) everything is checked; without it only the rules that need no definitions, and
 * the entity keys stay unknown (empty). Returns the number of feature columns when it is
 * known, to compare with the model's input.
 */
export function resolveFeatureInputs(defs: Definitions | undefined, features: string[] | undefined, service: string | undefined): FeatureInputs & { columns?: number } {
  if (!features?.length && service === undefined) return { features: null, featureService: null, entityKeys: [] };
  const selection = { ...(features?.length && { features }), ...(service !== undefined && { service }) };
  if (!defs) {
    const parsed = parseSelection(selection);
    return "service" in parsed
      ? { features: null, featureService: parsed.service, entityKeys: [] }
      : { features: parsed.refs.map(formatFeatureRef), featureService: null, entityKeys: [], columns: parsed.refs.length };
  }
  // Full feature names: a model may take features of one name from two views.
  const resolution = resolveSelection(defs, { ...selection, fullFeatureNames: true });
  const entityKeys = [...resolution.joinKeys.keys()];
  const columns = resolution.columns.length;
  if (service !== undefined) return { features: null, featureService: service, entityKeys, columns };
  return { features: resolvedRefs(resolution), featureService: null, entityKeys, columns };
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
