import type { FastifyInstance } from "fastify";
import { MlfError } from "../../errors.js";
import type { OnlineFeatures } from "../../online/get-online.js";
import type { LoadedModel } from "../model-pool.js";
import { preview } from "../runtime/convert.js";
import { PredictBody } from "../schemas.js";
import { requireFeatures, type ServerContext } from "../server.js";

type Value = PredictBody["features"] extends Record<string, infer V> | undefined ? V : never;

/** A request-time value for `ref` (`view:feature`), sent as `view:feature`, `view__feature` or `feature`. */
function provided(features: Record<string, Value>, ref: string): Value | undefined {
  const [view, name] = ref.split(":") as [string, string];
  return features[ref] ?? features[`${view}__${name}`] ?? features[name];
}

/** The model's input refs in order: recorded features, or its feature service's projection. */
function inputRefs(ctx: ServerContext, model: LoadedModel): string[] {
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
    const batch = [...Object.values(body.entities), ...Object.values(body.features ?? {})].some(Array.isArray);
    const count = rowCount(body);
    const features = body.features ?? {};
    return ctx.pool.use(body.model, async (model) => {
      const refs = inputRefs(ctx, model);
      const given = refs.map((ref) => provided(features, ref));
      const missing = refs.filter((_, i) => given[i] === undefined);
      let online: OnlineFeatures | undefined;
      if (missing.length > 0) {
        const entities = Object.fromEntries(Object.entries(body.entities).map(([k, v]) => [k, Array.isArray(v) ? v : Array.from({ length: count }, () => v)]));
        online = await requireFeatures(ctx).read({ features: missing, entities, fullFeatureNames: true }, { onlyKnownKeys: true });
      }
      const columns = refs.map((ref, i) => {
        const value = given[i];
        if (value !== undefined) return Array.isArray(value) ? value : Array.from({ length: count }, () => value);
        const name = ref.replace(":", "__");
        const column = online!.results[online!.names.indexOf(name)]!;
        const lost = column.statuses.findIndex((s) => s === "NOT_FOUND");
        if (lost >= 0) {
          const key = Object.entries(body.entities).map(([k, v]) => `${k}=${preview(Array.isArray(v) ? v[lost] : v)}`).join(", ");
          throw new MlfError("not_found", `No online value of ${ref} for ${key}; materialize the view, push the row, or send ${ref} in "features".`);
        }
        return column.values;
      });
      const rows = Array.from({ length: count }, (_, r) => columns.map((c) => c[r]));
      const predictions = await model.model.predict({ kind: "frame", columns: refs, rows }, refs);
      const answer = { model: model.name, model_version: model.version };
      return batch ? { predictions, ...answer } : { prediction: predictions[0], ...answer };
    });
  });
}
