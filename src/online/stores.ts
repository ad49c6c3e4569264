import type { OnlineStoreConfig } from "../repo/types.js";
import type { OnlineStore, OnlineStoreOptions } from "./store.js";

type Factory<T extends OnlineStoreConfig["type"]> = (project: string, config: Extract<OnlineStoreConfig, { type: T }>, options: OnlineStoreOptions) => Promise<OnlineStore>;

/**
 * Backends by config `type`. Each factory imports its implementation lazily, so choosing a
 * store costs nothing until it is opened (and `mlf get-online` on SQLite never loads ioredis).
 */
const onlineStores: { [T in OnlineStoreConfig["type"]]: Factory<T> } = {
  sqlite: async (project, config, options) => {
    const { SqliteOnlineStore } = await import("./sqlite/store.js");
    return new SqliteOnlineStore(project, config, options);
  },
  redis: async (project, config) => {
    const { RedisOnlineStore } = await import("./redis/store.js");
    return RedisOnlineStore.open(project, config);
  },
};

export function openOnlineStore(project: string, config: OnlineStoreConfig, options: OnlineStoreOptions = {}): Promise<OnlineStore> {
  return (onlineStores[config.type] as Factory<OnlineStoreConfig["type"]>)(project, config as never, options);
}
