import { findRepoRoot, loadConfigCached } from "./config.js";
import { requireRegistry, type RegistryFile } from "./registry.js";
import type { RepoConfig } from "./types.js";

/** A feature repository located on disk: its root folder and parsed feature_store.yaml. */
export interface Repo {
  root: string;
  config: RepoConfig;
}

/**
 * Finds and opens a repository: `dir`, else `MLF_REPO`, else the nearest ancestor of the cwd
 * holding feature_store.yaml (see findRepoRoot). Reads only the config, from its cache while
 * the file is unchanged (see loadConfigCached), and writes nothing. The one opener of the
 * library, the CLI and the server; it loads neither the definitions nor the YAML libraries
 * when the cache is current, so read-side commands stay fast.
 */
export async function openRepo(dir?: string, env: NodeJS.ProcessEnv = process.env): Promise<Repo> {
  const root = findRepoRoot({ ...(dir !== undefined && { repo: dir }), env });
  return { root, config: await loadConfigCached(root) };
}

/** The applied state (what `mlf apply` last wrote); read-side commands work from this. */
export function appliedRegistry(repo: Repo): RegistryFile {
  return requireRegistry(repo.config.registry);
}
