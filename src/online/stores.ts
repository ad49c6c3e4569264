import type { OnlineStoreConfig } from "../repo/types.js";
import type { OnlineStore, OnlineStoreOptions } from "./store.js";

/**
 * Backends by config `type`. Each factory imports its implementation lazily, so choosing a
 * store costs nothing until it is opened.
 */
const onlineStores = {
  sqlite: async (project: string, config: OnlineStoreConfig, options: OnlineStoreOptions) => {
    const { SqliteOnlineStore } = await import("./sqlite/store.js");
    return new SqliteOnlineStore(project, config, options);
  },
} satisfies Record<OnlineStoreConfig["type"], (project: string, config: OnlineStoreConfig, options: OnlineStoreOptions) => Promise<OnlineStore>>;

export function openOnlineStore(project: string, config: OnlineStoreConfig, options: OnlineStoreOptions = {}): Promise<OnlineStore> {
  return onlineStores[config.type](project, config, options);
}
