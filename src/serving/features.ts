import { statSync } from "node:fs";
import { OnlineReader, type OnlineFeatures, type OnlineFeaturesRequest } from "../online/get-online.js";
import type { OnlineStore } from "../online/store.js";
import { openOnlineStore } from "../online/stores.js";
import { readRegistry, type RegistryFile } from "../repo/registry.js";
import type { Repo } from "../repo/repo.js";
import { MlfError } from "../errors.js";
import { pushBatches } from "./push.js";
import type { PushBody } from "./schemas.js";

/**
 * The feature store as the server uses it: the online module's OnlineReader over the applied
 * registry, re-read whenever `mlf apply` or `mlf materialize` rewrites the registry file (the
 * server's poll and /admin/reload call `reload`). One online store connection is shared.
 */
export interface FeatureBackend {
  /** Latest values with statuses (OnlineReader.get); `onlyKnownKeys` drops entity keys the features do not use. */
  read(request: OnlineFeaturesRequest, options?: { onlyKnownKeys?: boolean }): Promise<OnlineFeatures>;
  /** Writes pushed rows (newer wins, one transaction per view); returns the views written and the row count. */
  push(body: PushBody): Promise<{ views: string[]; rows: number }>;
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
  /** Re-reads the registry file when it changed. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export async function openFeatureBackend(repo: Repo): Promise<FeatureBackend> {
  const path = repo.config.registry;
  // Requests answered in one event-loop turn share a read snapshot: a loaded server pays for
  // starting a read once per turn (pushes go through this store, so they are seen at once).
  const store: OnlineStore = await openOnlineStore(repo.config.project, repo.config.onlineStore, { shareTurnSnapshots: true });
  let reader: OnlineReader | undefined;
  let seen = "";

  const registry = (): RegistryFile => {
    if (!reader) throw new MlfError("unavailable", `No feature registry at ${path}; run "mlf apply" in the repository.`);
    return reader.registry;
  };
  const reload = async () => {
    let key = "none";
    try {
      const s = statSync(path);
      key = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch {
      // No registry yet: stays unready until one is applied.
    }
    if (key === seen) return;
    const next = key === "none" ? undefined : readRegistry(path);
    reader = next ? new OnlineReader(next, store) : undefined;
    seen = key;
  };
  await reload();

  return {
    async read(request, options = {}) {
      const current = reader ?? (registry(), reader!);
      // `return await`: returning the promise itself would cost two more microtask turns per read.
      if (!options.onlyKnownKeys) return await current.get(request);
      const keys = current.plan(request).keyTypes;
      const names = Object.keys(request.entities);
      if (names.every((k) => keys.has(k))) return await current.get(request);
      const entities = Object.fromEntries(names.filter((k) => keys.has(k)).map((k) => [k, request.entities[k]]));
      return await current.get({ ...request, entities });
    },
    async push(body) {
      const batches = pushBatches(registry().definitions, body);
      for (const batch of batches) {
        await store.write(batch.spec, [batch.rows]);
      }
      return { views: batches.map((b) => b.spec.view), rows: batches[0]?.rows.length ?? 0 };
    },
    serviceFeatures(name) {
      const defs = registry().definitions;
      const service = defs.featureServices.find((s) => s.name === name);
      if (!service) throw new MlfError("not_found", `Feature service "${name}" is not in the registry; list them with "mlf feature-services list".`);
      return service.features.flatMap((p) => (p.features ?? defs.featureViews.find((v) => v.name === p.view)?.schema.map((f) => f.name) ?? []).map((f) => `${p.view}:${f}`));
    },
    async freshness(now = Date.now()) {
      if (!reader) return [];
      const views = reader.registry.definitions.featureViews.filter((v) => v.online).map((v) => v.name);
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
