import { statSync } from "node:fs";
import { OnlineReader, type OnlineFeatures, type OnlineFeaturesRequest } from "./online/get-online.js";
import { materialize, materializeIncremental, type MaterializeOptions, type ViewMaterialization } from "./online/materialize.js";
import { applyRepo, planRepo, teardownRepo, type ApplyResult } from "./repo/apply.js";
import type { Plan } from "./repo/plan.js";
import { appliedRegistry, openRepo, type Repo } from "./repo/repo.js";
import type { RegistryFile } from "./repo/registry.js";

/**
 * The library's entry point for the feature store: a small handle on one repository. Each
 * capability is a free function in its own module; these methods only bind the repository.
 */
export class FeatureStore {
  /** The open online reader and the registry file state it was built from. */
  private online?: { reader: OnlineReader; mtimeMs: number };

  private constructor(readonly repo: Repo) {}

  /** Opens the repository in `dir` (else `MLF_REPO`, else the nearest ancestor of the cwd). */
  static async open(dir?: string): Promise<FeatureStore> {
    return new FeatureStore(openRepo(dir));
  }

  plan(): Promise<Plan> {
    return planRepo(this.repo);
  }

  apply(): Promise<ApplyResult> {
    return applyRepo(this.repo);
  }

  teardown(): Promise<void> {
    return teardownRepo(this.repo);
  }

  /**
   * Latest feature values for entity keys (SPEC section 4): keys coerced to the entities'
   * types, a status per value, OUTSIDE_MAX_AGE values null. The store stays open between
   * calls; a registry changed by apply or materialize is picked up on the next call.
   */
  async getOnlineFeatures(request: OnlineFeaturesRequest): Promise<OnlineFeatures> {
    const path = this.repo.config.registry;
    const mtimeMs = statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? -1;
    if (!this.online || this.online.mtimeMs !== mtimeMs) {
      await this.online?.reader.close();
      this.online = undefined;
      this.online = { reader: await OnlineReader.open(appliedRegistry(this.repo), this.repo.config.onlineStore), mtimeMs };
    }
    return this.online.reader.get(request);
  }

  /** Loads the latest row per entity with start <= ts <= end (epoch ms UTC, inclusive). */
  materialize(startMs: number, endMs: number, options?: MaterializeOptions): Promise<ViewMaterialization[]> {
    return materialize(this.repo, startMs, endMs, options);
  }

  /** Materializes each view from its last materialized end (first time: end - ttl) to end. */
  materializeIncremental(endMs: number, options?: MaterializeOptions): Promise<ViewMaterialization[]> {
    return materializeIncremental(this.repo, endMs, options);
  }

  /** Releases the online store handle, if one was opened. */
  async close(): Promise<void> {
    await this.online?.reader.close();
    this.online = undefined;
  }

  /** The applied registry (throws a clear error before the first apply). */
  registry(): RegistryFile {
    return appliedRegistry(this.repo);
  }
}
