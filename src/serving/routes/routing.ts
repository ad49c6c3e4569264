import type { FastifyInstance } from "fastify";
import { MlfError } from "../../errors.js";
import type { ServerContext } from "../context.js";
import { FeedbackBody, RoutesQuery } from "../schemas.js";

/** /feedback (an outcome for a routed prediction) and /routes (shares, guard rails, history). */
export function registerRoutingRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: FeedbackBody }>("/feedback", { schema: { body: FeedbackBody } }, async (request) => {
    if (!ctx.routing) throw new MlfError("not_found", "No model is routed on this server, so no prediction takes feedback; declare a route with --route or routes: in feature_store.yaml.");
    return ctx.routing.feedback(request.body);
  });

  app.get<{ Querystring: RoutesQuery }>("/routes", { schema: { querystring: RoutesQuery } }, async (request) => ({
    routes: ctx.routing?.status(request.query.history === undefined ? 100 : Number(request.query.history)) ?? [],
  }));
}
