import type { FastifyInstance } from "fastify";
import type { ServerContext } from "../context.js";
import { explainBody } from "../explain.js";
import { isBatch, rowCount } from "../model-rows.js";
import { PredictBody } from "../schemas.js";

/**
 * /explain: /predict's body, answered with the prediction and why (see explainBody). The
 * version is held for the whole request, so the features, the prediction and the attributions
 * all come from one version even while a new one swaps in.
 */
export function registerExplainRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: PredictBody }>("/explain", { schema: { body: PredictBody } }, async (request) => {
    const body = request.body;
    const batch = isBatch(body);
    const count = rowCount(body);
    return ctx.pool.use(body.model, (model) => explainBody(ctx, model, body, count, batch));
  });
}
