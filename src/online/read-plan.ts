import { MlfError } from "../errors.js";
import { tableSpec } from "../repo/plan.js";
import type { Definitions, Dtype, FeatureView, ValueType } from "../repo/types.js";
import type { OnlineTableSpec } from "./store.js";

/** What an online read asks for: feature refs (`view:feature`) or a feature service. */
export interface FeatureSelection {
  features?: string[];
  service?: string;
  /** Name outputs `view__feature` instead of `feature`. */
  fullFeatureNames?: boolean;
}

/** One view's part of a read: which features, where their outputs go, which keys it needs. */
export interface ViewRead {
  view: FeatureView;
  spec: OnlineTableSpec;
  features: string[];
  dtypes: Dtype[];
  /** Index in ReadPlan.featureNames of each feature. */
  outputs: number[];
  /** The view's join keys, in spec order. */
  keys: string[];
  /** Maximum age in ms; 0 = unlimited. */
  ttlMs: number;
}

/** A resolved selection: validated once, reused for every read of the same shape. */
export interface ReadPlan {
  featureNames: string[];
  views: ViewRead[];
  /** Every join key the views need, with its declared type. */
  keyTypes: Map<string, ValueType>;
}

/** The `view:feature` refs of a selection, services expanded in their declared order. */
function refsOf(defs: Definitions, selection: FeatureSelection): [string, string][] {
  if (selection.service !== undefined) {
    if (selection.features && selection.features.length > 0) {
      throw new MlfError("invalid_argument", "Pass either features or a feature service, not both.");
    }
    const service = defs.featureServices.find((s) => s.name === selection.service);
    if (!service) throw new MlfError("not_found", `Feature service "${selection.service}" is not in the registry; list them with "mlf feature-services list".`);
    return service.features.flatMap((p) => {
      const view = defs.featureViews.find((v) => v.name === p.view);
      return (p.features ?? view?.schema.map((f) => f.name) ?? []).map((f): [string, string] => [p.view, f]);
    });
  }
  const refs = selection.features ?? [];
  if (refs.length === 0) throw new MlfError("invalid_argument", "No features requested; pass features as view:feature or a feature service.");
  return refs.map((ref) => {
    const match = /^([^:]+):([^:]+)$/.exec(ref.trim());
    if (!match) throw new MlfError("invalid_argument", `The feature reference "${ref}" is not of the form view:feature.`);
    return [match[1]!, match[2]!];
  });
}

/** Resolves a selection against the applied definitions; every mistake is a clear error. */
export function planRead(defs: Definitions, selection: FeatureSelection): ReadPlan {
  const views = new Map<string, ViewRead>();
  const featureNames: string[] = [];
  const owner = new Map<string, string>();
  const keyTypes = new Map<string, ValueType>();
  for (const [viewName, feature] of refsOf(defs, selection)) {
    let read = views.get(viewName);
    if (!read) {
      const view = defs.featureViews.find((v) => v.name === viewName);
      if (!view) throw new MlfError("not_found", `Feature view "${viewName}" is not in the registry; list them with "mlf feature-views list".`);
      if (!view.online) throw new MlfError("invalid_argument", `Feature view "${viewName}" is not online; set online: true and run "mlf apply" and "mlf materialize".`);
      const spec = tableSpec(defs, view);
      for (const k of spec.keys) if (!keyTypes.has(k.name)) keyTypes.set(k.name, k.type);
      read = { view, spec, features: [], dtypes: [], outputs: [], keys: spec.keys.map((k) => k.name), ttlMs: view.ttlSeconds * 1000 };
      views.set(viewName, read);
    }
    const field = read.view.schema.find((f) => f.name === feature);
    if (!field) throw new MlfError("not_found", `Feature "${feature}" is not in feature view "${viewName}"; see "mlf feature-views describe ${viewName}".`);
    const name = selection.fullFeatureNames ? `${viewName}__${feature}` : feature;
    const previous = owner.get(name);
    if (previous === `${viewName}:${feature}`) continue;
    if (previous !== undefined) {
      throw new MlfError("invalid_argument", `Features ${previous} and ${viewName}:${feature} are both named "${name}"; request full feature names (--full-feature-names).`);
    }
    owner.set(name, `${viewName}:${feature}`);
    read.features.push(feature);
    read.dtypes.push(field.dtype);
    read.outputs.push(featureNames.length);
    featureNames.push(name);
  }
  return { featureNames, views: [...views.values()], keyTypes };
}
