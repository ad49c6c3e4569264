import { MlfError } from "../errors.js";
import { repoLogDir } from "../monitor/logs.js";
import { LOGGING_DEFAULTS } from "../repo/config.js";
import { openRepo, type Repo } from "../repo/repo.js";
import { resolveTrackingDir } from "../tracking/dir.js";
import { openFeatureBackend } from "./features.js";
import { modelSource } from "./model-registry-source.js";
import { startServer, type ServeOptions, type Server } from "./server.js";

export interface OpenServingOptions extends Omit<ServeOptions, "models" | "features" | "featureLog" | "drift"> {
  /** The feature repository (default: MLF_REPO, else the nearest folder with feature_store.yaml). */
  repoDir?: string;
  /** Model references as the user wrote them (SPEC section 7's URIs or file paths). */
  models: string[];
  /** `--tracking-dir`; resolved like every command's (src/tracking/dir.ts). */
  trackingDir?: string;
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
  const { repoDir, models, trackingDir: flag, env = process.env, logFeatures, driftIntervalSeconds = 600, driftWindowSeconds = 86_400, ...rest } = options;
  let repo: Repo | undefined;
  try {
    repo = await openRepo(repoDir, env);
  } catch (error) {
    // Outside a repository is fine when only models are served; a named one must exist.
    if (repoDir !== undefined || env.MLF_REPO || models.length === 0 || !(error instanceof MlfError)) throw error;
  }
  const trackingDir = await resolveTrackingDir({ ...(flag !== undefined && { trackingDir: flag }), ...(repo && { repo: repo.root }), env });
  const sources = models.map((uri) => modelSource(trackingDir, uri));
  const features = repo ? await openFeatureBackend(repo) : undefined;
  const featureLog = repo && featureLogOptions(repo, logFeatures);
  // Gauges for the models only when their answers are logged here.
  const drift = repo && featureLog?.sampleRate !== undefined && driftIntervalSeconds > 0 ? { trackingDir, logDir: featureLog.dir, offline: repo.config.offlineStore, intervalSeconds: driftIntervalSeconds, windowSeconds: driftWindowSeconds } : undefined;
  try {
    return await startServer({ ...rest, models: sources, ...(features && { features }), ...(featureLog && { featureLog }), ...(drift && { drift }) });
  } catch (error) {
    await features?.close();
    throw error;
  }
}
