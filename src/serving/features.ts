import { MlfError } from "../errors.js";
import { OnlineReader, type OnlineFeatures, type OnlineFeaturesRequest } from "../online/get-online.js";
import { pushRows, type PushColumns, type PushResult, type PushTarget } from "../online/push.js";
import type { OnlineStore } from "../online/store.js";
import { openOnlineStore } from "../online/stores.js";
import type { RegistryFile } from "../repo/registry.js";
import type { Definitions } from "../repo/types.js";
import { FeatureRegistryWatcher } from "../repo/registry-watch.js";
import type { Repo } from "../repo/repo.js";
import { formatFeatureRef, serviceRefs } from "../repo/resolve.js";

/**
 * The feature store as the server uses it: the online module's OnlineReader over the applied
 * registry, re-read whenever `mlf apply` or `mlf materialize` rewrites the registry file (the
 * server's poll and /admin/reload call `reload`). One online store connection is shared.
 */
export interface FeatureBackend {
  /** Latest values with statuses (OnlineReader.get); `onlyKnownKeys` drops entity keys the features do not use. */
  read(request: OnlineFeaturesRequest, options?: { onlyKnownKeys?: boolean }): Promise<OnlineFeatures>;
  /** Writes pushed rows (pushRows: checked first, newer wins, one transaction per view). */
  push(target: PushTarget, df: PushColumns): Promise<PushResult>;
  /** The applied definitions now (a new object after each reload that changed them); undefined before the first apply. */
  definitions(): Definitions | undefined;
  /** The feature refs (`view:feature`) a feature service projects, in order. */
  serviceFeatures(service: string): string[];
  /**
   * Per online view, seconds from the newest event time stored in the online store (by any
   * materialization or push, from any process) to `now` (epoch ms); null when the view holds
   * no rows.
   */
  freshness(now?: number): Promise<{ view: string; ageSeconds: number | null }[]>;
  /** undefined when ready to serve, else why not. */
  check(): string | undefined;
  /** Re-reads the feature registry file when it changed (FeatureRegistryWatcher). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function openFeatureBackend(repo: Repo): Promise<FeatureBackend> {
  const path = repo.config.registry;
  // Requests answered in one event-loop turn share a read snapshot: a loaded server pays for
  // starting a read once per turn (pushes go through this store, so they are seen at once).
  const store: OnlineStore = await openOnlineStore(repo.config.project, repo.config.onlineStore, { shareTurnSnapshots: true });
  const watcher = new FeatureRegistryWatcher(path);
  // No registry yet: the backend stays unready until one is applied.
  let reader: OnlineReader | undefined;

  const featureRegistry = (): RegistryFile => {
    if (!reader) throw new MlfError("unavailable", `No feature registry at ${path}; run "mlf apply" in the repository.`);
    return reader.featureRegistry;
  };
  const reload = async () => {
    const { registry, changed } = watcher.poll();
    if (changed) reader = registry ? new OnlineReader(registry, store) : undefined;
  };
  await reload();

  return {
    async read(request, options = {}) {
      const current = reader ?? (featureRegistry(), reader!);
      // `return await`: returning the promise itself would cost two more microtask turns per read.
      if (!options.onlyKnownKeys) return await current.get(request);
      const keys = current.plan(request).keyTypes;
      const names = Object.keys(request.entities);
      if (names.every((k) => keys.has(k))) return await current.get(request);
      const entities = Object.fromEntries(names.filter((k) => keys.has(k)).map((k) => [k, request.entities[k]]));
      return await current.get({ ...request, entities });
    },
    push(target, df) {
      return pushRows(featureRegistry(), store, target, df);
    },
    definitions: () => reader?.featureRegistry.definitions,
    serviceFeatures(name) {
      return serviceRefs(featureRegistry().definitions, name).map(formatFeatureRef);
    },
    async freshness(now = Date.now()) {
      if (!reader) return [];
      const views = reader.featureRegistry.definitions.featureViews.filter((v) => v.online).map((v) => v.name);
      const newest = await store.newestEventTimes(views);
      return views.map((view, i) => ({ view, ageSeconds: newest[i] === undefined ? null : Math.max(0, (now - newest[i]!) / 1000) }));
    },
    check() {
      return reader ? undefined : `No feature registry at ${path}; run "mlf apply" in the repository.`;
    },
    reload,
    close: () => store.close(),
  };
}
