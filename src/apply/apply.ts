import { MlfError } from "../errors.js";
import { openOnlineStore } from "../online/stores.js";
import { tableSpec } from "../online/table-spec.js";
import { definitionsHash, deleteRegistry, onlineStateAfterApply, readRegistry, updateRegistry } from "../repo/registry.js";
import { cacheConfig } from "../repo/config.js";
import { loadRepoDefinitions } from "../repo/definitions.js";
import type { Repo } from "../repo/repo.js";
import type { Definitions } from "../repo/types.js";
import { computePlan, type Plan } from "./plan.js";
import { validateData } from "./validate-data.js";

/**
 * Loads the definitions and checks them against the data; throws every problem at once. On
 * the way it refreshes the config cache that read-side commands use (the one place that
 * writes it besides init).
 */
export async function validateRepo(repo: Repo): Promise<Definitions> {
  await cacheConfig(repo.root);
  const loaded = loadRepoDefinitions(repo);
  const problems = await validateData(repo.root, repo.config, loaded);
  if (problems.length > 0) {
    throw new MlfError("invalid_definition", `The feature repository has ${problems.length} problem${problems.length > 1 ? "s with its data; fix them" : " with its data; fix it"} and run again.`, { problems });
  }
  return loaded.defs;
}

/** What `apply` would change, writing nothing. */
export async function planRepo(repo: Repo): Promise<Plan> {
  const defs = await validateRepo(repo);
  return computePlan(readRegistry(repo.config.registry)?.definitions, defs);
}

export interface ApplyResult {
  plan: Plan;
  /** Registry version after the apply. */
  version: number;
}

/**
 * Validates, then under the registry lock: brings the online tables in line with the
 * definitions and writes the new registry (objects no longer defined are deleted). Tables are
 * changed first: if the process dies in between, the next apply finds the same plan and
 * finishes it, since creating and dropping tables is idempotent.
 */
export async function applyRepo(repo: Repo): Promise<ApplyResult> {
  const defs = await validateRepo(repo);
  const path = repo.config.registry;
  return updateRegistry(path, async (current) => {
    const plan = computePlan(current?.definitions, defs);
    const drop = plan.tables.filter((t) => t.action === "drop").map((t) => t.view);
    const store = await openOnlineStore(repo.config.project, repo.config.onlineStore);
    let tables: { created: string[]; recreated: string[] };
    try {
      await store.dropTables(drop);
      tables = await store.ensureTables(defs.featureViews.filter((v) => v.online).map((v) => tableSpec(defs, v)));
    } finally {
      await store.close();
    }
    const changed = plan.changes.length > 0 || current === undefined;
    const version = (current?.version ?? 0) + (changed ? 1 : 0);
    const online = defs.featureViews.filter((v) => v.online).map((v) => v.name);
    // What the store did, not only what the plan said: a table missing from the store (a
    // deleted database file) is created empty even when no definition changed.
    const recreated = new Set([...plan.tables.filter((t) => t.action !== "drop").map((t) => t.view), ...tables.created, ...tables.recreated]);
    const next = {
      format: 2 as const,
      project: repo.config.project,
      version,
      hash: definitionsHash(defs),
      updatedAt: changed || !current ? new Date().toISOString() : current.updatedAt,
      definitions: defs,
      // Intervals of views whose table was created or recreated no longer hold.
      online: onlineStateAfterApply(current, online, recreated, version),
    };
    return { next, result: { plan, version } };
  });
}

/** Drops every online table of the project and removes the registry. */
export async function teardownRepo(repo: Repo): Promise<void> {
  const store = await openOnlineStore(repo.config.project, repo.config.onlineStore);
  try {
    await store.teardown();
  } finally {
    await store.close();
  }
  await deleteRegistry(repo.config.registry);
}
