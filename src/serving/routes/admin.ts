import type { FastifyInstance } from "fastify";
import { MlfError } from "../../errors.js";
import { renderGauge } from "../metrics.js";
import { measureLag } from "../process-metrics.js";
import type { ServerContext } from "../context.js";

/** Liveness, readiness, metrics, the model list and reload. */
export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get("/health", async () => ({ status: "ok" }));

  app.get("/ready", async () => {
    const features = ctx.features ? await ctx.features.check() : undefined;
    if (features) throw new MlfError("unavailable", features);
    const missing = ctx.pool.status().filter((m) => m.version === null);
    if (missing.length > 0) {
      const why = missing.map((m) => `${m.name}${m.last_error ? ` (${m.last_error.message})` : ""}`).join("; ");
      throw new MlfError("unavailable", `Not every model is loaded: ${why}.`);
    }
    return { status: "ready" };
  });

  app.get("/models", async () => ({ models: ctx.pool.status(), ...(ctx.routing && { routes: ctx.routing.status() }) }));

  app.post("/admin/reload", async () => {
    await Promise.all([ctx.pool.refresh(true), ctx.features?.reload()]);
    return { models: ctx.pool.status() };
  });

  app.get("/metrics", async (_request, reply) => {
    const lag = await measureLag();
    const models = ctx.pool.status();
    const lines = [
      ...ctx.metrics.render(),
      ...renderGauge("mlf_model_info", "Served model versions (1 = serving).", models.filter((m) => m.version !== null).map((m) => ({ labels: { model: m.name, version: m.version!, alias: m.alias ?? "" }, value: 1 }))),
      ...renderGauge("mlf_model_loaded_timestamp_seconds", "When the serving version was loaded (Unix seconds).", models.filter((m) => m.loaded_at !== null).map((m) => ({ labels: { model: m.name }, value: Date.parse(m.loaded_at!) / 1000 }))),
      ...renderGauge("mlf_model_load_failed", "1 when the last load of a model failed and an older version (or none) serves.", models.map((m) => ({ labels: { model: m.name }, value: m.last_error ? 1 : 0 }))),
    ];
    if (ctx.features) {
      const freshness = await ctx.features.freshness();
      lines.push(...renderGauge("mlf_feature_freshness_seconds", "Age of the newest value stored per online feature view (now - newest event timestamp, materialized or pushed).", freshness.filter((f) => f.ageSeconds !== null).map((f) => ({ labels: { view: f.view }, value: f.ageSeconds! }))));
    }
    for (const source of ctx.metricSources) lines.push(...source.render());
    if (ctx.routing) lines.push(...ctx.routing.renderMetrics());
    lines.push(...ctx.processMetrics.render(lag));
    return reply.type("text/plain; version=0.0.4; charset=utf-8").send(`${lines.join("\n")}\n`);
  });
}
