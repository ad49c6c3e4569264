import { resolve } from "node:path";
import { findRepoRoot, loadConfigCached } from "../repo/config.js";
import type { RepoConfig } from "../repo/types.js";
import { MlfError } from "../errors.js";

export interface TrackingDirOptions {
  /** `--tracking-dir`, relative to `cwd`. */
  trackingDir?: string;
  /** `-C/--repo`: an explicit feature repository (an error when it is not one). */
  repo?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Where the root came from, for messages and lineage. */
export interface ResolvedTrackingDir {
  dir: string;
  source: "flag" | "env" | "repo" | "default";
  /** The feature repository found on the way, when there is one, with its config. */
  repoRoot?: string;
  repoConfig?: RepoConfig;
}

/**
 * The tracking root of every command that reads the tracking store (`mlf track`, `mlf registry`,
 * `mlf serve`, `mlf server`), resolved one way: `--tracking-dir`, else
 * `MLF_TRACKING_DIR`, else the feature repository's `tracking.path` (when a repository is
 * found; being outside one is fine), else `./mlruns`. Returns an absolute path.
 */
export async function resolveTrackingDir(options: TrackingDirOptions = {}): Promise<string> {
  return (await resolveTrackingRoot(options)).dir;
}

/** resolveTrackingDir with the source of the answer and the repository, when one was found. */
export async function resolveTrackingRoot(options: TrackingDirOptions = {}): Promise<ResolvedTrackingDir> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const repoRoot = findRepo(options, env, cwd);
  // The cached config: `mlf track log-metric` runs in training loops and must start fast.
  const repoConfig = repoRoot === undefined ? undefined : await loadConfigCached(repoRoot);
  const withRepo = repoRoot === undefined ? {} : { repoRoot, repoConfig };
  if (options.trackingDir) return { dir: resolve(cwd, options.trackingDir), source: "flag", ...withRepo };
  if (env.MLF_TRACKING_DIR) return { dir: resolve(cwd, env.MLF_TRACKING_DIR), source: "env", ...withRepo };
  if (repoConfig !== undefined) return { dir: repoConfig.trackingPath, source: "repo", ...withRepo };
  return { dir: resolve(cwd, "mlruns"), source: "default" };
}

function findRepo(options: TrackingDirOptions, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  // An explicit -C or MLF_REPO that is not a repository is the user's mistake: report it.
  if (options.repo !== undefined || env.MLF_REPO) return findRepoRoot({ ...(options.repo !== undefined && { repo: options.repo }), cwd, env });
  try {
    return findRepoRoot({ cwd, env });
  } catch (error) {
    if (error instanceof MlfError && error.code === "usage") return undefined;
    throw error;
  }
}
