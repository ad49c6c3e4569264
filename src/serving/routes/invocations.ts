import type { FastifyInstance } from "fastify";
import { parseInvocation } from "../runtime/invocation.js";
import { InvocationBody, ModelQuery } from "../schemas.js";
import type { ServerContext } from "../context.js";

/**
 * MLflow's scoring protocol. The body is JSON with exactly one of dataframe_split,
 * dataframe_records, instances, inputs, or text/csv with a header row (parsed into a
 * dataframe_split by the server's CSV parser). The answer is `{"predictions":[...]}`, one
 * prediction per row as OnnxModel.predict decodes it. With several served models,
 * `?model=NAME` picks one.
 */
export function registerInvocationRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Querystring: { model?: string }; Body: InvocationBody }>(
    "/invocations",
    { schema: { querystring: ModelQuery, body: InvocationBody } },
    async (request) => {
      const input = parseInvocation(request.body);
      const predictions = await ctx.pool.use(request.query.model, (m) => m.model.predict(input, m.columns ?? m.features));
      return { predictions };
    },
  );
}
