import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import { MlfError } from "../../errors.js";
import type { RedisOnlineStoreConfig } from "../../repo/types.js";
import { redisAddress } from "../../repo/redis-config.js";
import { ABORT, BEGIN, COMMIT, DROP, ENSURE, READ, RENEW, SWEEP, WRITE } from "./scripts.js";

/** The scripts, callable by name: ioredis sends EVALSHA and falls back to EVAL once per connection. */
const SCRIPTS = { mlfRead: READ, mlfWrite: WRITE, mlfBegin: BEGIN, mlfCommit: COMMIT, mlfAbort: ABORT, mlfRenew: RENEW, mlfEnsure: ENSURE, mlfDrop: DROP, mlfSweep: SWEEP };
type Script = (numKeys: number, ...args: (string | number | Buffer)[]) => Promise<unknown>;
/** The client with the scripts as methods; `<name>Buffer` answers with Buffers instead of text. */
export type ScriptClient = Redis & Record<keyof typeof SCRIPTS | `${keyof typeof SCRIPTS}Buffer`, Script>;

/**
 * ioredis is loaded with require() on the first open: an ESM import of a CommonJS package
 * makes Node lex its sources for named exports, and commands that never open a Redis store
 * should not load it at all.
 */
const require = createRequire(import.meta.url);

/** A Redis failure as one sentence naming the server and what to do. */
export function redisError(config: RedisOnlineStoreConfig, error: unknown): MlfError {
  if (error instanceof MlfError) return error;
  const message = (error as Error)?.message ?? String(error);
  const at = redisAddress(config);
  if (/WRONGPASS|NOAUTH|invalid password|AUTH/i.test(message)) {
    return new MlfError("unavailable", `Redis at ${at} refused the credentials (${message.split("\n")[0]}); fix the password or username of online_store in feature_store.yaml.`, { cause: error });
  }
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|Connection is closed|Stream isn't writeable|connect/i.test(message)) {
    return new MlfError("unavailable", `Cannot reach Redis at ${at} (${message.split("\n")[0]}); start it or fix online_store.connection_string in feature_store.yaml.`, { cause: error });
  }
  return new MlfError("runtime", `Redis at ${at} failed: ${message.split("\n")[0]}`, { cause: error });
}

/**
 * Connects, authenticates and selects the database within the config's timeout, or fails
 * with one sentence: a server that is down, refuses the password, or accepts the TCP
 * connection and never answers must not hang a command. Once connected the client
 * reconnects by itself (a long-lived server outlives a Redis restart); commands issued while
 * it is disconnected fail at once instead of queueing.
 */
export async function connect(config: RedisOnlineStoreConfig): Promise<ScriptClient> {
  const Client = require("ioredis") as typeof import("ioredis").default;
  let ready = false;
  let lastError: unknown;
  const client = new Client({
    host: config.host,
    port: config.port,
    db: config.db,
    ...(config.username !== undefined && { username: config.username }),
    ...(config.password !== undefined && { password: config.password }),
    ...(config.tls && { tls: config.tlsCaFile ? { ca: readFileSync(config.tlsCaFile) } : {} }),
    lazyConnect: true,
    connectTimeout: config.connectTimeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => (ready ? Math.min(times * 100, 2000) : null),
    scripts: Object.fromEntries(Object.entries(SCRIPTS).map(([name, lua]) => [name, { lua }])),
  }) as ScriptClient;
  // The library never prints: ioredis logs unhandled 'error' events, so one is always handled.
  client.on("error", (error: unknown) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${config.connectTimeoutMs / 1000} s (connect timeout)`)), config.connectTimeoutMs);
  });
  try {
    await Promise.race([client.connect(), deadline]);
    ready = true;
    return client;
  } catch (error) {
    client.disconnect();
    // ioredis rejects with "Connection is closed"; the cause (refused, WRONGPASS) came as an event.
    throw redisError(config, lastError ?? error);
  } finally {
    clearTimeout(timer);
  }
}
