import { getHistoricalFeatures, type HistoricalFeaturesOptions, type HistoricalFeaturesResult } from "./offline/get-historical.js";
import { applyRepo, planRepo, teardownRepo, type ApplyResult } from "./repo/apply.js";
import type { Plan } from "./repo/plan.js";
import { appliedRegistry, openRepo, type Repo } from "./repo/repo.js";
import type { RegistryFile } from "./repo/registry.js";

/**
 * The library's entry point for the feature store: a small handle on one repository. Each
 * capability is a free function in its own module; these methods only bind the repository.
 */
export class FeatureStore {
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

  /** The applied registry (throws a clear error before the first apply). */
  registry(): RegistryFile {
    return appliedRegistry(this.repo);
  }

  /** A point-in-time correct training set (see getHistoricalFeatures). */
  getHistoricalFeatures(options: HistoricalFeaturesOptions): Promise<HistoricalFeaturesResult> {
    return getHistoricalFeatures(this.repo, options);
  }
}
