import { MlfError } from "../errors.js";
import type { FeatureStatus, OnlineFeatures } from "../online/get-online.js";
import { parseFeatureRef } from "../repo/resolve.js";
import { preview } from "../util/json.js";
import { requireFeatures, type ServerContext } from "./context.js";
import type { PredictBody } from "./schemas.js";
import type { ModelArtifact } from "./sources.js";

/**
 * A model's input rows for a /predict-shaped body (entities plus request-time `features`):
 * the one feature-fetch path of /predict, /explain and `mlf explain`, so an explanation is
 * always of the very values a prediction would be made from.
 */

type Value = PredictBody["features"] extends Record<string, infer V> | undefined ? V : never;

/** The model version whose inputs are assembled, as the pool or `mlf explain` loaded it. */
type Model = Pick<ModelArtifact, "features" | "service"> & { name: string; version: string };

/** What reading a model's rows needs of a server: its feature store, if it has one. */
type Features = Pick<ServerContext, "features">;

/** One model input over the request's rows. */
export interface InputColumn {
  values: readonly unknown[];
  /** Per row, the online read's status; absent for a value the request itself sent. */
  statuses?: readonly FeatureStatus[];
}

export interface ModelRows {
  /** The model's input refs (`view:feature`), in input order. */
  refs: string[];
  /** One row per entity row of the request, one value per ref. */
  rows: unknown[][];
  /** Per ref, its values and statuses (an OnlineColumn as read, for a value read online). */
  columns: InputColumn[];
}

/** What the model's input refs need, worked out once per refs list. */
interface Inputs {
  refs: string[];
  /** Per ref, the names a request-time value may be sent under: `view:feature`, `view__feature`, `feature`. */
  aliases: [string, string, string][];
  /** Per ref, its column name in a full-feature-names online read (`view__feature`). */
  columns: string[];
}

/**
 * Inputs by refs array: a model's recorded features are one array for the life of the loaded
 * version, so the split names are worked out once instead of per request.
 */
const prepared = new WeakMap<string[], Inputs>();

function inputsOf(refs: string[]): Inputs {
  let inputs = prepared.get(refs);
  if (!inputs) {
    const aliases = refs.map((ref): [string, string, string] => {
      const { view, feature } = parseFeatureRef(ref);
      return [ref, `${view}__${feature}`, feature];
    });
    inputs = { refs, aliases, columns: aliases.map((a) => a[1]) };
    prepared.set(refs, inputs);
  }
  return inputs;
}

/** The request-time value of input i, sent under any of its names; `in`, not `??`: an explicit null is a value. */
function provided(features: Record<string, Value>, aliases: [string, string, string]): Value | undefined {
  for (const key of aliases) if (key in features) return features[key];
  return undefined;
}

/** The model's input refs in order: recorded features, or its feature service's projection. */
function inputRefs(ctx: Features, model: Model): string[] {
  if (model.features) return model.features;
  if (model.service) return requireFeatures(ctx).serviceFeatures(model.service);
  throw new MlfError("invalid_argument", `Model ${model.name} version ${model.version} records no input features; register it with --features or --service, or call /invocations with the feature values.`);
}

/** Whether the body asks for a batch (any list) rather than one row (only scalars). */
export function isBatch(body: PredictBody): boolean {
  return Object.values(body.entities).some(Array.isArray) || (body.features !== undefined && Object.values(body.features).some(Array.isArray));
}

/** How many entity rows the request has: 1 for scalars, else the (common) length of the lists. */
export function rowCount(body: PredictBody): number {
  const lengths = [...Object.values(body.entities), ...Object.values(body.features ?? {})].filter(Array.isArray).map((v) => v.length);
  const count = lengths[0] ?? 1;
  if (lengths.some((n) => n !== count)) throw new MlfError("invalid_argument", `Entity and feature lists have different lengths (${[...new Set(lengths)].join(", ")}); send one value per row in every list.`);
  return count;
}

/**
 * The model's `count` input rows for `body`: features are fetched from the online store by
 * entity key in the model's recorded order, request-time values (in `features`) fill or
 * override them. A value never written for an entity (NOT_FOUND) is a 404 naming it; a null or
 * too old value stays null (NaN for float inputs), as the training set from get-historical
 * holds it.
 */
export async function modelRows(ctx: Features, model: Model, body: PredictBody, count: number): Promise<ModelRows> {
  const features = body.features ?? {};
  const sent = Object.keys(features).length > 0;
  const { refs, aliases, columns: names } = inputsOf(inputRefs(ctx, model));
  const given = sent ? aliases.map((a) => provided(features, a)) : undefined;
  // Without request-time values every input is read online, with the model's own refs array.
  const missing = given ? refs.filter((_, i) => given[i] === undefined) : refs;
  let online: OnlineFeatures | undefined;
  if (missing.length > 0) {
    // One row per entity: scalars are broadcast by the reader unless features make more rows.
    const entities = count === 1 ? body.entities : Object.fromEntries(Object.entries(body.entities).map(([k, v]) => [k, Array.isArray(v) ? v : Array.from({ length: count }, () => v)]));
    online = await requireFeatures(ctx).read({ features: missing, entities, fullFeatureNames: true }, { onlyKnownKeys: true });
  }
  const columns = new Array<InputColumn>(refs.length);
  // The read answers the keys, then `missing` in order: the j-th missing ref is column keyCount + j.
  for (let i = 0, j = online?.keyCount ?? 0; i < refs.length; i++) {
    const value = given?.[i];
    if (value !== undefined) {
      columns[i] = { values: Array.isArray(value) ? value : Array.from({ length: count }, () => value) };
      continue;
    }
    const at = online!.names[j] === names[i] ? j : online!.names.indexOf(names[i]!);
    j++;
    const column = online!.results[at]!;
    const lost = column.statuses.indexOf("NOT_FOUND");
    if (lost >= 0) {
      const key = Object.entries(body.entities).map(([k, v]) => `${k}=${preview(Array.isArray(v) ? v[lost] : v)}`).join(", ");
      throw new MlfError("not_found", `No online value of ${refs[i]} for ${key}; materialize the view, push the row, or send ${refs[i]} in "features".`);
    }
    columns[i] = column;
  }
  const rows = new Array<unknown[]>(count);
  for (let r = 0; r < count; r++) {
    const row = new Array<unknown>(refs.length);
    for (let c = 0; c < refs.length; c++) row[c] = columns[c]!.values[r];
    rows[r] = row;
  }
  return { refs, rows, columns };
}
