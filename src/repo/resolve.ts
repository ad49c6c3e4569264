import { MlfError } from "../errors.js";
import type { Definitions, Dtype, FeatureView, Source, ValueType } from "./types.js";

/**
 * Feature resolution: the one place where a selection (feature references or a feature
 * service) is checked against the applied definitions. Historical retrieval, online reads,
 * model registration and the server all resolve through here, so they accept the same
 * selections and refuse the same mistakes with the same errors:
 *
 * 1. exactly one of `features` (at least one ref) and `service`: else `invalid_argument`;
 * 2. a ref is `view:feature`, both names as definitions spell them (letters, digits, `_`);
 *    spaces around it are ignored: else `invalid_argument`;
 * 3. a ref listed twice is refused (`invalid_argument`), as Feast does: it would make two
 *    outputs of one name (a service never repeats a feature: apply refuses that);
 * 4. an unknown service, view or feature is `not_found`;
 * 5. with `online: true` (online reads), a view that is not online is `invalid_argument`;
 * 6. two features with the same output name (`feature`, or `view__feature` with full feature
 *    names) are `invalid_argument`, naming both;
 * 7. a join key column that two entities type differently is `invalid_definition`.
 *
 * A service expands to its projections in declared order (a view listed without features
 * means all of its features, in schema order). Views come in order of first mention, each
 * with its features in the order asked; `columns` lists every output in the order asked.
 */

/** What a caller asks for: feature refs (`view:feature`) or a feature service. */
export interface FeatureSelection {
  /** `view:feature` references; exclusive with `service`. */
  features?: string[];
  /** A feature service name; exclusive with `features`. */
  service?: string;
  /** Name outputs `view__feature` instead of `feature`. */
  fullFeatureNames?: boolean;
}

export interface FeatureRef {
  view: string;
  feature: string;
}

/** One join key a view needs: the entity's join key column and its declared type. */
export interface JoinKey {
  /** Column name, the same in entity rows, in the view's source and in the online table. */
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
  /** Position of `column` in Resolution.columns (the order asked). */
  output: number;
}

/** Everything a reader needs to know about one requested view. */
export interface ViewRequest {
  view: FeatureView;
  source: Source;
  /** The view's join keys in entity order; empty for an entity-less view. */
  keys: JoinKey[];
  features: RequestedFeature[];
}

export interface Resolution {
  views: ViewRequest[];
  /** Every output column (feature), in the order asked. */
  columns: string[];
  /** The union of the views' join keys, in order of first mention, with the views needing each. */
  joinKeys: Map<string, JoinKey & { views: string[] }>;
}

const REF = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*)$/;

/** Splits `view:feature`, rejecting anything else with a message that shows the right form (rule 2). */
export function parseFeatureRef(ref: string): FeatureRef {
  const match = REF.exec(ref.trim());
  if (!match) {
    throw new MlfError("invalid_argument", `The feature reference "${ref}" is malformed; write it as view:feature, e.g. driver_hourly_stats:conv_rate.`);
  }
  return { view: match[1]!, feature: match[2]! };
}

/** `view:feature`. */
export const formatFeatureRef = (ref: FeatureRef): string => `${ref.view}:${ref.feature}`;

/**
 * Rules 1-3, which need no definitions: the refs of a selection, or the service it names.
 * (Model registration outside a repository checks this much.)
 */
export function parseSelection(selection: FeatureSelection): { refs: FeatureRef[] } | { service: string } {
  const features = selection.features ?? [];
  if (selection.service !== undefined && features.length > 0) {
    throw new MlfError("invalid_argument", "Pass either feature references (view:feature) or a feature service, not both.");
  }
  if (selection.service !== undefined) return { service: selection.service };
  if (features.length === 0) {
    throw new MlfError("invalid_argument", "No features requested; pass feature references (view:feature) or a feature service.");
  }
  const seen = new Set<string>();
  const refs = features.map((text) => {
    const ref = parseFeatureRef(text);
    const key = formatFeatureRef(ref);
    if (seen.has(key)) throw new MlfError("invalid_argument", `The feature reference "${key}" is listed twice; list each feature once.`);
    seen.add(key);
    return ref;
  });
  return { refs };
}

function findView(defs: Definitions, name: string): FeatureView {
  const view = defs.featureViews.find((v) => v.name === name);
  if (!view) throw new MlfError("not_found", `Feature view "${name}" is not in the feature registry; list them with "mlf feature-views list".`);
  return view;
}

/** The refs a feature service projects, in declared order (rule 4 for the service). */
export function serviceRefs(defs: Definitions, name: string): FeatureRef[] {
  const service = defs.featureServices.find((s) => s.name === name);
  if (!service) {
    const known = defs.featureServices.map((s) => s.name).join(", ") || "(none)";
    throw new MlfError("not_found", `Feature service "${name}" is not in the feature registry; known: ${known}.`);
  }
  return service.features.flatMap((p) => (p.features ?? findView(defs, p.view).schema.map((f) => f.name)).map((feature) => ({ view: p.view, feature })));
}

/** The join keys of a view, typed by their entities (the online table's key columns too). */
export function viewJoinKeys(defs: Definitions, view: FeatureView): JoinKey[] {
  return view.entities.map((name) => {
    const entity = defs.entities.find((e) => e.name === name);
    if (!entity) throw new MlfError("invalid_definition", `Feature view "${view.name}" uses entity "${name}", which is not in the feature registry; run "mlf apply".`);
    return { column: entity.joinKey, entity: entity.name, valueType: entity.valueType };
  });
}

function sourceOf(defs: Definitions, view: FeatureView): Source {
  const source = defs.sources.find((s) => s.name === view.source);
  if (!source) throw new MlfError("invalid_definition", `Feature view "${view.name}" uses source "${view.source}", which is not in the feature registry; run "mlf apply".`);
  return source;
}

/** Resolves a selection against the applied definitions (every rule above); the first mistake is thrown. */
export function resolveSelection(defs: Definitions, selection: FeatureSelection, options: { online?: boolean } = {}): Resolution {
  const parsed = parseSelection(selection);
  const refs = "refs" in parsed ? parsed.refs : serviceRefs(defs, parsed.service);
  const views = new Map<string, ViewRequest>();
  const columns: string[] = [];
  const owners = new Map<string, string>();
  for (const ref of refs) {
    let request = views.get(ref.view);
    if (!request) {
      const view = findView(defs, ref.view);
      if (options.online && !view.online) {
        throw new MlfError("invalid_argument", `Feature view "${view.name}" is not online; set online: true, run "mlf apply" and materialize it.`);
      }
      request = { view, source: sourceOf(defs, view), keys: viewJoinKeys(defs, view), features: [] };
      views.set(ref.view, request);
    }
    const field = request.view.schema.find((f) => f.name === ref.feature);
    if (!field) {
      throw new MlfError("not_found", `Feature view "${ref.view}" has no feature "${ref.feature}"; it has: ${request.view.schema.map((f) => f.name).join(", ")}.`);
    }
    const column = selection.fullFeatureNames ? `${ref.view}__${ref.feature}` : ref.feature;
    const owner = owners.get(column);
    if (owner !== undefined) {
      throw new MlfError(
        "invalid_argument",
        `Features ${owner} and ${formatFeatureRef(ref)} are both named "${column}"; request full feature names (--full-feature-names) to name them view__feature.`,
      );
    }
    owners.set(column, formatFeatureRef(ref));
    request.features.push({ name: ref.feature, dtype: field.dtype, column, output: columns.length });
    columns.push(column);
  }
  const resolved = [...views.values()];
  return { views: resolved, columns, joinKeys: joinKeyColumns(resolved) };
}

/** The `view:feature` refs of a resolution, in the order asked (services expanded). */
export function resolvedRefs(resolution: Resolution): string[] {
  const refs = new Array<string>(resolution.columns.length);
  for (const { view, features } of resolution.views) for (const f of features) refs[f.output] = `${view.name}:${f.name}`;
  return refs;
}

/** The union of the requests' join keys (rule 7). */
function joinKeyColumns(requests: ViewRequest[]): Map<string, JoinKey & { views: string[] }> {
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
