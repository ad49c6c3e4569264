import type { FastifyInstance } from "fastify";
import { PredictBody } from "../schemas.js";
import type { ServerContext } from "../context.js";
import { isBatch, modelRows, rowCount } from "../model-rows.js";

/**
 * /predict: the model runs on the rows modelRows assembles (features fetched online by entity
 * key in the model's recorded order, request-time values in `features` filling or overriding
 * them). Scalars give `{"prediction"}`, lists give `{"predictions"}` in order.
 */
export function registerPredictRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: PredictBody }>("/predict", { schema: { body: PredictBody } }, async (request) => {
    const body = request.body;
    const batch = isBatch(body);
    const count = rowCount(body);
    return ctx.pool.use(body.model, async (model) => {
      const { refs, rows } = await modelRows(ctx, model, body, count);
      const predictions = await model.model.predict({ kind: "frame", columns: refs, rows }, refs);
      const answer = { model: model.name, model_version: model.version };
      return batch ? { predictions, ...answer } : { prediction: predictions[0], ...answer };
    });
  });
}
