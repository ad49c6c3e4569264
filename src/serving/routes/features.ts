import type { FastifyInstance } from "fastify";
import { MlfError } from "../../errors.js";
import type { OnlineFeatures } from "../../online/get-online.js";
import { GetOnlineFeaturesBody, PushBody } from "../schemas.js";
import { requireFeatures, type ServerContext } from "../server.js";

/** Feast writes the epoch for values without a time (join keys, NOT_FOUND). */
const EPOCH = "1970-01-01T00:00:00Z";

function iso(ms: number | null): string {
  return ms === null ? EPOCH : new Date(ms).toISOString().replace(".000Z", "Z");
}

/** Feast's response: metadata.feature_names (join keys first) and one columnar result per name. */
export function feastResponse(features: OnlineFeatures) {
  return {
    metadata: { feature_names: features.names },
    results: features.results.map((c) => ({ values: c.values, statuses: c.statuses, event_timestamps: c.eventTimestamps.map(iso) })),
  };
}

/** Feast's feature server routes: /get-online-features and /push. */
export function registerFeatureRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: GetOnlineFeaturesBody }>("/get-online-features", { schema: { body: GetOnlineFeaturesBody } }, async (request) => {
    const body = request.body;
    if ((body.features === undefined) === (body.feature_service === undefined)) {
      throw new MlfError("invalid_argument", 'Send exactly one of "features" and "feature_service".');
    }
    const features = await requireFeatures(ctx).read({
      entities: body.entities,
      ...(body.features !== undefined && { features: body.features }),
      ...(body.feature_service !== undefined && { service: body.feature_service }),
      fullFeatureNames: body.full_feature_names === true,
    });
    return feastResponse(features);
  });

  app.post<{ Body: PushBody }>("/push", { schema: { body: PushBody } }, async (request) => {
    const body = request.body;
    if ((body.push_source_name === undefined) === (body.feature_view === undefined)) {
      throw new MlfError("invalid_argument", 'Send exactly one of "push_source_name" and "feature_view".');
    }
    if (body.to !== undefined && body.to !== "online") {
      throw new MlfError("invalid_argument", `"to": ${JSON.stringify(body.to).slice(0, 30)} is not supported; mlf pushes to the online store only ("to": "online").`);
    }
    const written = await requireFeatures(ctx).push(body);
    return { status: "ok", feature_views: written.views, rows: written.rows };
  });
}
