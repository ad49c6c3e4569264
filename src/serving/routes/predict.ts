import type { FastifyInstance } from "fastify";
import { MlfError } from "../../errors.js";
import type { OnlineFeatures } from "../../online/get-online.js";
import { parseFeatureRef } from "../../repo/resolve.js";
import type { FeatureLogColumn } from "../logging/record.js";
import type { ServedModel } from "../model-pool.js";
import { preview } from "../../util/json.js";
import { PredictBody } from "../schemas.js";
import { requireFeatures, type ServerContext } from "../context.js";

type Value = PredictBody["features"] extends Record<string, infer V> | undefined ? V : never;

/** What /predict needs to know about a model's input refs, worked out once per refs list. */
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
function inputRefs(ctx: ServerContext, model: ServedModel): string[] {
  if (model.features) return model.features;
  if (model.service) return requireFeatures(ctx).serviceFeatures(model.service);
  throw new MlfError("invalid_argument", `Model ${model.name} version ${model.version} records no input features; register it with --features or --service, or call /invocations with the feature values.`);
}

/** How many entity rows the request has: 1 for scalars, else the (common) length of the lists. */
function rowCount(body: PredictBody): number {
  const lengths = [...Object.values(body.entities), ...Object.values(body.features ?? {})].filter(Array.isArray).map((v) => v.length);
  const count = lengths[0] ?? 1;
  if (lengths.some((n) => n !== count)) throw new MlfError("invalid_argument", `Entity and feature lists have different lengths (${[...new Set(lengths)].join(", ")}); send one value per row in every list.`);
  return count;
}

/**
 * /predict: features are fetched from the online store by entity key in the model's recorded
 * order, request-time values (in `features`) fill or override them, and the model runs on
 * the assembled rows. Scalars give `{"prediction"}`, lists give `{"predictions"}` in order.
 * A value never written for an entity (NOT_FOUND) is a 404 naming it; a null or too old value
 * is fed as null (NaN for float inputs), as the training set from get-historical holds it.
 */
export function registerPredictRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: PredictBody }>("/predict", { schema: { body: PredictBody } }, async (request) => {
    const body = request.body;
    const batch = Object.values(body.entities).some(Array.isArray) || (body.features !== undefined && Object.values(body.features).some(Array.isArray));
    const count = rowCount(body);
    const features = body.features ?? {};
    const sent = Object.keys(features).length > 0;
    return ctx.pool.use(body.model, async (model) => {
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
      const columns = new Array<unknown[]>(refs.length);
      const logged = new Array<FeatureLogColumn>(refs.length);
      // The read answers the keys, then `missing` in order: the j-th missing ref is column keyCount + j.
      for (let i = 0, j = online?.keyCount ?? 0; i < refs.length; i++) {
        const value = given?.[i];
        if (value !== undefined) {
          columns[i] = Array.isArray(value) ? value : Array.from({ length: count }, () => value);
          logged[i] = { values: columns[i]! };
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
        columns[i] = column.values;
        logged[i] = column;
      }
      const rows = new Array<unknown[]>(count);
      for (let r = 0; r < count; r++) {
        const row = new Array<unknown>(refs.length);
        for (let c = 0; c < refs.length; c++) row[c] = columns[c]![r];
        rows[r] = row;
      }
      const predictions = await model.model.predict({ kind: "frame", columns: refs, rows }, refs);
      ctx.featureLog?.log({ kind: "models", name: model.name, modelVersion: model.version, route: "/predict", requestId: request.id, at: Date.now(), rows: count, keys: body.entities, features: refs, columns: logged, predictions });
      const answer = { model: model.name, model_version: model.version };
      return batch ? { predictions, ...answer } : { prediction: predictions[0], ...answer };
    });
  });
}
