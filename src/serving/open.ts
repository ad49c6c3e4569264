import { MlfError } from "../errors.js";
import { openRepo, type Repo } from "../repo/repo.js";
import { resolveTrackingDir } from "../tracking/dir.js";
import { openFeatureBackend } from "./features.js";
import { modelSource } from "./model-registry-source.js";
import { startServer, type ServeOptions, type Server } from "./server.js";

export interface OpenServingOptions extends Omit<ServeOptions, "models" | "features"> {
  /** The feature repository (default: MLF_REPO, else the nearest folder with feature_store.yaml). */
  repoDir?: string;
  /** Model references as the user wrote them (SPEC section 7's URIs or file paths). */
  models: string[];
  /** `--tracking-dir`; resolved like every command's (src/tracking/dir.ts). */
  trackingDir?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * What `mlf serve` starts: the feature routes on the repository's online store when a
 * repository is found (without one, only models are served), and each model reference
 * resolved against the tracking root (`--tracking-dir`, `MLF_TRACKING_DIR`, the repository's
 * tracking.path, ./mlruns: resolveTrackingDir).
 */
export async function openServing(options: OpenServingOptions): Promise<Server> {
  const { repoDir, models, trackingDir: flag, env = process.env, ...rest } = options;
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
  try {
    return await startServer({ ...rest, models: sources, ...(features && { features }) });
  } catch (error) {
    await features?.close();
    throw error;
  }
}
