import { MlfError } from "../errors.js";
import type { Definitions, Dtype, FeatureView, Source, ValueType } from "../repo/types.js";

/** One join key a view needs from the entity rows. */
export interface JoinKey {
  /** Column name, the same in the entity rows and in the view's source. */
  column: string;
  entity: string;
  valueType: ValueType;
}

/** One requested feature and the output column it becomes. */
export interface RequestedFeature {
  name: string;
  dtype: Dtype;
  /** `feature`, or `view__feature` with full feature names. */
  column: string;
}

/** Everything retrieval needs to know about one requested view. */
export interface ViewRequest {
  view: FeatureView;
  source: Source;
  /** Empty for an entity-less view (joined on time only). */
  keys: JoinKey[];
  features: RequestedFeature[];
}

export interface FeatureSelection {
  /** `view:feature` references; exclusive with `service`. */
  features?: string[];
  /** A feature service name; exclusive with `features`. */
  service?: string;
  /** Name output columns `view__feature` instead of `feature`. */
  fullFeatureNames?: boolean;
}

/** Splits `view:feature`, rejecting anything else with a message that shows the right form. */
export function parseFeatureRef(ref: string): { view: string; feature: string } {
  const match = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*)$/.exec(ref.trim());
  if (!match) {
    throw new MlfError("invalid_argument", `The feature reference "${ref}" is malformed; write it as view:feature, e.g. driver_hourly_stats:conv_rate.`);
  }
  return { view: match[1]!, feature: match[2]! };
}

/**
 * Resolves refs or a service against the applied definitions into one request per view, in
 * order of first mention, features in the order asked (a feature asked twice counts once).
 * Unknown views, features and services are `not_found`; two views yielding the same output
 * column is an error naming both.
 */
export function resolveFeatures(defs: Definitions, selection: FeatureSelection): ViewRequest[] {
  const wanted = wantedFeatures(defs, selection);
  const requests = new Map<string, ViewRequest>();
  const owners = new Map<string, string>();
  for (const { view: viewName, feature } of wanted) {
    const view = defs.featureViews.find((v) => v.name === viewName);
    if (!view) {
      throw new MlfError("not_found", `Feature view "${viewName}" is not in the applied registry; run "mlf feature-views list" to see the views.`);
    }
    const field = view.schema.find((f) => f.name === feature);
    if (!field) {
      const known = view.schema.map((f) => f.name).join(", ");
      throw new MlfError("not_found", `Feature view "${viewName}" has no feature "${feature}"; it has: ${known}.`);
    }
    let request = requests.get(view.name);
    if (!request) {
      request = { view, source: sourceOf(defs, view), keys: keysOf(defs, view), features: [] };
      requests.set(view.name, request);
    }
    if (request.features.some((f) => f.name === feature)) continue;
    const column = selection.fullFeatureNames ? `${view.name}__${feature}` : feature;
    const owner = owners.get(column);
    if (owner !== undefined && owner !== view.name) {
      throw new MlfError(
        "invalid_argument",
        `Feature "${feature}" is requested from both view "${owner}" and view "${view.name}"; use --full-feature-names (fullFeatureNames) to name them view__feature.`,
      );
    }
    owners.set(column, view.name);
    request.features.push({ name: feature, dtype: field.dtype, column });
  }
  return [...requests.values()];
}

function wantedFeatures(defs: Definitions, selection: FeatureSelection): { view: string; feature: string }[] {
  const refs = selection.features ?? [];
  if (selection.service !== undefined && refs.length > 0) {
    throw new MlfError("usage", "Give either feature references or a feature service, not both.");
  }
  if (selection.service !== undefined) {
    const service = defs.featureServices.find((s) => s.name === selection.service);
    if (!service) {
      throw new MlfError("not_found", `Feature service "${selection.service}" is not in the applied registry; run "mlf feature-services list" to see the services.`);
    }
    return service.features.flatMap((p) => {
      const view = defs.featureViews.find((v) => v.name === p.view);
      const names = p.features ?? view?.schema.map((f) => f.name) ?? [];
      return names.map((feature) => ({ view: p.view, feature }));
    });
  }
  if (refs.length === 0) {
    throw new MlfError("usage", "No features requested; give -f view:feature (repeatable) or --service NAME.");
  }
  return refs.map(parseFeatureRef);
}

function sourceOf(defs: Definitions, view: FeatureView): Source {
  const source = defs.sources.find((s) => s.name === view.source);
  if (!source) throw new MlfError("invalid_definition", `Feature view "${view.name}" uses source "${view.source}", which is not in the applied registry; run "mlf apply".`);
  return source;
}

function keysOf(defs: Definitions, view: FeatureView): JoinKey[] {
  return view.entities.map((name) => {
    const entity = defs.entities.find((e) => e.name === name);
    if (!entity) throw new MlfError("invalid_definition", `Feature view "${view.name}" uses entity "${name}", which is not in the applied registry; run "mlf apply".`);
    return { column: entity.joinKey, entity: entity.name, valueType: entity.valueType };
  });
}

/** The union of the join keys of the requests; a column two entities type differently is an error. */
export function joinKeyColumns(requests: ViewRequest[]): Map<string, JoinKey & { views: string[] }> {
  const keys = new Map<string, JoinKey & { views: string[] }>();
  for (const request of requests) {
    for (const key of request.keys) {
      const seen = keys.get(key.column);
      if (!seen) keys.set(key.column, { ...key, views: [request.view.name] });
      else if (seen.valueType !== key.valueType) {
        throw new MlfError(
          "invalid_definition",
          `Join key "${key.column}" is ${seen.valueType} for entity "${seen.entity}" but ${key.valueType} for entity "${key.entity}"; give the entities one value type.`,
        );
      } else seen.views.push(request.view.name);
    }
  }
  return keys;
}
