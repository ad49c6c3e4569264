import { findRepoRoot } from "./config.js";
import { loadConfig } from "./config-parse.js";
import { loadDefinitions, type LoadedDefinitions } from "./definitions.js";
import { requireRegistry, type RegistryFile } from "./registry.js";
import type { RepoConfig } from "./types.js";

/** A feature repository located on disk: its root folder and parsed feature_store.yaml. */
export interface Repo {
  root: string;
  config: RepoConfig;
}

/** Finds and opens a repository (see findRepoRoot for the search order). Reads only the config. */
export function openRepo(dir?: string, env: NodeJS.ProcessEnv = process.env): Repo {
  const root = findRepoRoot({ ...(dir !== undefined && { repo: dir }), env });
  return { root, config: loadConfig(root) };
}

/** Parses and checks every definition file of the repository (schema and rules, no data). */
export function loadRepoDefinitions(repo: Repo): LoadedDefinitions {
  return loadDefinitions(repo.root, [repo.config.trackingPath]);
}

/** The applied state (what `mlf apply` last wrote); read-side commands work from this. */
export function appliedRegistry(repo: Repo): RegistryFile {
  return requireRegistry(repo.config.registry);
}
