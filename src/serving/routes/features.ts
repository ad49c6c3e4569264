import type { FastifyInstance } from "fastify";
import { MlfError } from "../../errors.js";
import { feastJson } from "../feast-json.js";
import { GetOnlineFeaturesBody, PushBody } from "../schemas.js";
import { requireFeatures, type ServerContext } from "../context.js";

const JSON_UTF8 = "application/json; charset=utf-8";

/** Feast's feature server routes: /get-online-features and /push. */
export function registerFeatureRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: GetOnlineFeaturesBody }>("/get-online-features", { schema: { body: GetOnlineFeaturesBody } }, async (request, reply) => {
    const body = request.body;
    if ((body.features === undefined) === (body.feature_service === undefined)) {
      throw new MlfError("invalid_argument", 'Send exactly one of "features" and "feature_service".');
    }
    const features = await requireFeatures(ctx).read({ entities: body.entities, features: body.features, service: body.feature_service, fullFeatureNames: body.full_feature_names === true });
    // Feast logs answers per feature service; a request for a list of features has no log.
    if (body.feature_service !== undefined) ctx.featureLog?.log({ kind: "services", name: body.feature_service, route: "/get-online-features", requestId: request.id, at: Date.now(), rows: features.results[0]?.values.length ?? 1, keys: body.entities, columns: features.results.slice(features.keyCount) });
    return reply.type(JSON_UTF8).send(feastJson(features));
  });

  app.post<{ Body: PushBody }>("/push", { schema: { body: PushBody } }, async (request) => {
    const body = request.body;
    if ((body.push_source_name === undefined) === (body.feature_view === undefined)) {
      throw new MlfError("invalid_argument", 'Send exactly one of "push_source_name" and "feature_view".');
    }
    if (body.to !== undefined && body.to !== "online") {
      throw new MlfError("invalid_argument", `"to": ${JSON.stringify(body.to).slice(0, 30)} is not supported; mlf pushes to the online store only ("to": "online").`);
    }
    const target = body.feature_view !== undefined ? { featureView: body.feature_view } : { pushSource: body.push_source_name! };
    const pushed = await requireFeatures(ctx).push(target, body.df);
    return { status: "ok", feature_views: pushed.views.map((v) => v.view), rows: pushed.rows };
  });
}
