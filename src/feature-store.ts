import { applyRepo, planRepo, teardownRepo, type ApplyResult } from "./apply/apply.js";
import type { Plan } from "./apply/plan.js";
import { getHistoricalFeatures, type HistoricalFeaturesOptions, type HistoricalFeaturesResult } from "./offline/get-historical.js";
import { OnlineReader, type OnlineFeatures, type OnlineFeaturesRequest } from "./online/get-online.js";
import { materialize, materializeIncremental, type MaterializeOptions, type ViewMaterialization } from "./online/materialize.js";
import { pushRows, type PushColumns, type PushResult, type PushTarget } from "./online/push.js";
import type { OnlineStore } from "./online/store.js";
import { openOnlineStore } from "./online/stores.js";
import { requireRegistry, type RegistryFile } from "./repo/registry.js";
import { FeatureRegistryWatcher } from "./repo/registry-watch.js";
import { appliedRegistry, openRepo, type Repo } from "./repo/repo.js";

/** The online side of a FeatureStore: one store connection, and a reader over the current registry. */
interface Online {
  store: OnlineStore;
  watcher: FeatureRegistryWatcher;
  reader?: OnlineReader;
}

/**
 * The library's entry point for the feature store: a small handle on one repository. Each
 * capability is a free function in its own module; these methods only bind the repository.
 */
export class FeatureStore {
  private online?: Promise<Online>;

  private constructor(readonly repo: Repo) {}

  /** Opens the repository in `dir` (else `MLF_REPO`, else the nearest ancestor of the cwd); see openRepo. */
  static async open(dir?: string): Promise<FeatureStore> {
    return new FeatureStore(await openRepo(dir));
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
   * The online store, opened on first use and kept open, with a reader over the registry as
   * it is now: a registry changed by apply or materialize (from any process) is picked up on
   * the next call, at the cost of one stat per call (see FeatureRegistryWatcher).
   */
  private async current(): Promise<{ store: OnlineStore; reader: OnlineReader }> {
    this.online ??= openOnlineStore(this.repo.config.project, this.repo.config.onlineStore).then((store) => ({ store, watcher: new FeatureRegistryWatcher(this.repo.config.registry) }));
    const opening = this.online;
    // A failed open is not remembered: the next call tries again.
    const online = await opening.catch((error: unknown) => {
      if (this.online === opening) this.online = undefined;
      throw error;
    });
    const polled = online.watcher.poll();
    // Before the first apply: the clear "run mlf apply" error.
    const featureRegistry = polled.registry ?? requireRegistry(this.repo.config.registry);
    if (polled.changed || !online.reader) online.reader = new OnlineReader(featureRegistry, online.store);
    return { store: online.store, reader: online.reader };
  }

  /**
   * Latest feature values for entity keys: keys coerced to the entities' types, a status per
   * value, OUTSIDE_MAX_AGE values null (see OnlineReader.get). The store stays open between calls.
   */
  async getOnlineFeatures(request: OnlineFeaturesRequest): Promise<OnlineFeatures> {
    return (await this.current()).reader.get(request);
  }

  /**
   * Pushes rows into the online store (see pushRows for the rules): `target` is a feature view
   * name or a PushTarget, `df` the rows in column form. Visible to the next read at once.
   */
  async push(target: string | PushTarget, df: PushColumns): Promise<PushResult> {
    const { store, reader } = await this.current();
    return pushRows(reader.featureRegistry, store, target, df);
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
    const online = this.online;
    this.online = undefined;
    // A store that failed to open has nothing to close (its error went to the caller that opened it).
    await (await online?.catch(() => undefined))?.store.close();
  }

  /** The applied feature registry (throws a clear error before the first apply). */
  featureRegistry(): RegistryFile {
    return appliedRegistry(this.repo);
  }

  /** A point-in-time correct training set (see getHistoricalFeatures). */
  getHistoricalFeatures(options: HistoricalFeaturesOptions): Promise<HistoricalFeaturesResult> {
    return getHistoricalFeatures(this.repo, options);
  }
}
