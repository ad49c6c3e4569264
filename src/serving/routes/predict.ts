import type { FastifyInstance } from "fastify";
import type { ServedModel } from "../model-pool.js";
import type { Prediction } from "../runtime/onnx.js";
import type { Scoring } from "../routing/routing.js";
import { PredictBody } from "../schemas.js";
import type { ServerContext } from "../context.js";
import { isBatch, modelRows, rowCount } from "../model-rows.js";

/**
 * Runs `model` on the rows modelRows assembles for the body (the one feature-fetch path) and
 * hands the answer to the feature log: the values the model saw with their statuses, and for
 * a routed request which variant it was (`scoring`).
 */
async function predictRows(ctx: ServerContext, requestId: string, model: ServedModel, body: PredictBody, count: number, scoring?: Scoring): Promise<Prediction[]> {
  const { refs, rows, columns } = await modelRows(ctx, model, body, count);
  const predictions = await model.model.predict({ kind: "frame", columns: refs, rows }, refs);
  ctx.featureLog?.log({
    // The served name: a route's challenger is loaded under an arm key of its own ("cancer#challenger").
    kind: "models", name: body.model, modelVersion: model.version, route: "/predict", requestId, at: Date.now(), rows: count,
    ...(scoring && { variant: scoring.variant, ...(scoring.positions && { positions: scoring.positions }) }),
    keys: body.entities, features: refs, columns, predictions,
  });
  return predictions;
}

/**
 * /predict: the model's prediction for each entity row. Scalars give `{"prediction"}`, lists
 * give `{"predictions"}` in order; every answer carries the version that answered and the
 * request id (the `x-request-id` of the logs, and what /feedback takes). A routed model's
 * rows are shared between its variants by the router (src/serving/routing), which says per
 * row which variant and version answered.
 */
export function registerPredictRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: PredictBody }>("/predict", { schema: { body: PredictBody } }, async (request) => {
    const body = request.body;
    const batch = isBatch(body);
    const count = rowCount(body);
    const route = ctx.routing?.route(body.model);
    if (route) {
      const score = (model: ServedModel, part: PredictBody, n: number, scoring: Scoring) => predictRows(ctx, request.id, model, part, n, scoring);
      const { predictions, versions, variants } = await ctx.routing!.predict(route, request.id, body, count, score);
      const routed = { route: route.spec.mode, request_id: request.id };
      return batch ? { predictions, model: body.model, model_versions: versions, variants, ...routed } : { prediction: predictions[0], model: body.model, model_version: versions[0], variant: variants[0], ...routed };
    }
    return ctx.pool.use(body.model, async (model) => {
      const predictions = await predictRows(ctx, request.id, model, body, count);
      const answer = { model: model.name, model_version: model.version, request_id: request.id };
      return batch ? { predictions, ...answer } : { prediction: predictions[0], ...answer };
    });
  });
}
