import { dirname, join } from "node:path";
import { MlfError } from "../errors.js";
import { repoLogDir } from "../repo/feature-logs.js";
import { LOGGING_DEFAULTS } from "../repo/config.js";
import { openRepo, type Repo } from "../repo/repo.js";
import { resolveTrackingDir } from "../tracking/dir.js";
import { openFeatureBackend } from "./features.js";
import { modelSource } from "./model-registry-source.js";
import { repoRoutes } from "./routing/repo-routes.js";
import { parseRouteFlag, type RouteSpec } from "./routing/spec.js";
import { startServer, type ServeOptions, type Server } from "./server.js";

export interface OpenServingOptions extends Omit<ServeOptions, "models" | "features" | "routes" | "routingState" | "featureLog" | "drift"> {
  /** The feature repository (default: MLF_REPO, else the nearest folder with feature_store.yaml). */
  repoDir?: string;
  /** Model references as the user wrote them (SPEC section 7's URIs or file paths). */
  models: string[];
  /** `--tracking-dir`; resolved like every command's (src/tracking/dir.ts). */
  trackingDir?: string;
  /** `--route` flags (src/serving/routing/spec.ts); each replaces feature_store.yaml's route of its model. */
  routes?: string[];
  /** The routing state file; default data/routing.db beside the repository's online store. */
  routingDb?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Feature logging (in a repository only): by default as feature_store.yaml says (its
   * `logging:` block logs every model and feature service; a feature service's own `logging:`
   * logs that service); true logs every model and service even without a block; false nothing.
   */
  logFeatures?: boolean;
  /** Seconds between recomputes of the drift gauges while logging (default 600; 0: no gauges). */
  driftIntervalSeconds?: number;
  /** Seconds of logs the drift gauges compare (default 86,400: a day). */
  driftWindowSeconds?: number;
}

/** The feature logger's options for a repository, or undefined when logging is off. */
function featureLogOptions(repo: Repo, logFeatures: boolean | undefined): ServeOptions["featureLog"] {
  if (logFeatures === false) return undefined;
  const logging = repo.config.logging;
  return {
    dir: repoLogDir(repo.root, repo.config),
    // Without a block (and without --log-features) only services with their own `logging:` log.
    ...((logging || logFeatures) && { sampleRate: logging?.sampleRate ?? LOGGING_DEFAULTS.sampleRate }),
    flushSeconds: logging?.flushSeconds ?? LOGGING_DEFAULTS.flushSeconds,
    queueSize: logging?.queueSize ?? LOGGING_DEFAULTS.queueSize,
  };
}

/**
 * What `mlf serve` starts: the feature routes on the repository's online store when a
 * repository is found (without one, only models are served), and each model reference
 * resolved against the tracking root (`--tracking-dir`, `MLF_TRACKING_DIR`, the repository's
 * tracking.path, ./mlruns: resolveTrackingDir).
 */
export async function openServing(options: OpenServingOptions): Promise<Server> {
  const { repoDir, models, trackingDir: flag, routes: flags = [], routingDb, env = process.env, logFeatures, driftIntervalSeconds = 600, driftWindowSeconds = 86_400, ...rest } = options;
  let repo: Repo | undefined;
  try {
    repo = await openRepo(repoDir, env);
  } catch (error) {
    // Outside a repository is fine when only models are served; a named one must exist.
    if (repoDir !== undefined || env.MLF_REPO || models.length === 0 || !(error instanceof MlfError)) throw error;
  }
  const trackingDir = await resolveTrackingDir({ ...(flag !== undefined && { trackingDir: flag }), ...(repo && { repo: repo.root }), env });
  const sources = models.map((uri) => modelSource(trackingDir, uri));
  const specs = routeSpecs(flags, repo, new Set(sources.map((s) => s.name)), rest.log);
  const routes = specs.map((spec) => ({ spec, sources: spec.challengers.map((c) => modelSource(trackingDir, c.uri)) }));
  const routingState = routingDb ?? (repo && join("path" in repo.config.onlineStore ? dirname(repo.config.onlineStore.path) : join(repo.root, "data"), "routing.db"));
  const features = repo ? await openFeatureBackend(repo) : undefined;
  const featureLog = repo && featureLogOptions(repo, logFeatures);
  // Gauges for the models only when their answers are logged here.
  const drift = repo && featureLog?.sampleRate !== undefined && driftIntervalSeconds > 0 ? { trackingDir, logDir: featureLog.dir, offline: repo.config.offlineStore, intervalSeconds: driftIntervalSeconds, windowSeconds: driftWindowSeconds } : undefined;
  try {
    return await startServer({ ...rest, models: sources, ...(features && { features }), ...(routes.length > 0 && { routes }), ...(routingState && { routingState }), ...(featureLog && { featureLog }), ...(drift && { drift }) });
  } catch (error) {
    await features?.close();
    throw error;
  }
}

/**
 * The routes to apply: `--route` flags, then feature_store.yaml's routes of the other served
 * models. A route in the file for a model this server does not serve is skipped (the file
 * serves every server of the repository); a flag for one is an error.
 */
function routeSpecs(flags: string[], repo: Repo | undefined, served: Set<string>, log: OpenServingOptions["log"]): RouteSpec[] {
  const specs = flags.map((flag) => parseRouteFlag(flag));
  const flagged = new Set(specs.map((s) => s.model));
  for (const spec of repo ? repoRoutes(repo.root) : []) {
    if (flagged.has(spec.model)) continue;
    if (served.has(spec.model)) specs.push(spec);
    else log?.({ level: "info", msg: "route skipped", model: spec.model, declared: spec.origin, reason: "the model is not served" });
  }
  return specs;
}
