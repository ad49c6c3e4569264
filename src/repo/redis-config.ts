import { resolve } from "node:path";
import type { RedisOnlineStoreConfig } from "./types.js";
import type { RedisStoreYaml } from "./schema.js";

const DEFAULT_CONNECT_TIMEOUT_S = 2;

interface Parsed {
  host: string;
  port: number;
  db?: number;
  username?: string;
  password?: string;
  tls?: boolean;
}

/** Options Feast's `host:port,key=value` form may carry, by the key redis-py gives them. */
const FEAST_OPTIONS = new Set(["db", "password", "username", "ssl"]);

function hostPort(text: string): { host: string; port: number } | string {
  // [::1]:6379 for IPv6, host:port, or a host alone (port 6379).
  const match = /^(?:\[([^\]]+)\]|([^:/\s]+))(?::(\d+))?$/.exec(text.trim());
  if (!match) return `"${text}" is not host:port`;
  const port = match[3] === undefined ? 6379 : Number(match[3]);
  if (!(port > 0 && port < 65536)) return `the port of "${text}" is not between 1 and 65535`;
  return { host: match[1] ?? match[2]!, port };
}

/**
 * Reads a connection string: a `redis://[user[:password]@]host[:port][/db]` or `rediss://`
 * (TLS) URL, or Feast's `host:port,db=0,password=...,ssl=true` (values may be JSON, as redis-py
 * reads them). Returns a sentence saying what is wrong when it cannot be read.
 */
export function parseConnectionString(text: string): Parsed | string {
  if (/^rediss?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return `"${text}" is not a valid redis:// URL`;
    }
    const at = hostPort(url.host);
    if (typeof at === "string") return at;
    const parsed: Parsed = { ...at, tls: url.protocol.toLowerCase() === "rediss:" };
    if (url.username) parsed.username = decodeURIComponent(url.username);
    if (url.password) parsed.password = decodeURIComponent(url.password);
    const path = url.pathname.replace(/^\//, "");
    if (path !== "") {
      if (!/^\d+$/.test(path)) return `the database "${path}" in "${text}" is not a number`;
      parsed.db = Number(path);
    }
    return parsed;
  }
  const [first, ...options] = text.split(",");
  const at = hostPort(first!);
  if (typeof at === "string") return at;
  const parsed: Parsed = { ...at };
  for (const option of options) {
    const eq = option.indexOf("=");
    const key = eq < 0 ? option.trim() : option.slice(0, eq).trim();
    if (eq < 0 || !FEAST_OPTIONS.has(key)) return `"${option}" is not one of db=, password=, username=, ssl= (a cluster of several hosts is not supported)`;
    let value: unknown = option.slice(eq + 1);
    try {
      value = JSON.parse(value as string);
    } catch {
      // A plain word: kept as text, as redis-py does.
    }
    if (key === "db") {
      if (!Number.isInteger(Number(value)) || Number(value) < 0) return `db=${String(value)} is not a database number`;
      parsed.db = Number(value);
    } else if (key === "ssl") {
      if (typeof value !== "boolean") return `ssl=${String(value)} is not true or false`;
      parsed.tls = value;
    } else parsed[key as "password" | "username"] = String(value);
  }
  return parsed;
}

const DEFAULT = "localhost:6379";

/** What is wrong with the block's connection string, or undefined. */
export function redisConfigProblem(yaml: RedisStoreYaml): { message: string; hint: string } | undefined {
  const parsed = parseConnectionString(yaml.connection_string ?? DEFAULT);
  if (typeof parsed !== "string") return undefined;
  return { message: `online_store.connection_string: ${parsed}`, hint: 'write host:port (e.g. "127.0.0.1:6379") or redis://host:port/db' };
}

/**
 * The parsed config of a checked `online_store: {type: redis}` block. Keys written beside the
 * connection string (db, username, password, ssl) win over the same option inside it.
 */
export function redisConfig(yaml: RedisStoreYaml, root: string): RedisOnlineStoreConfig {
  const parsed = parseConnectionString(yaml.connection_string ?? DEFAULT);
  if (typeof parsed === "string") throw new Error(parsed); // redisConfigProblem reported it first
  const username = yaml.username ?? parsed.username;
  const password = yaml.password ?? parsed.password;
  return {
    type: "redis",
    host: parsed.host,
    port: parsed.port,
    db: yaml.db ?? parsed.db ?? 0,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    tls: yaml.ssl ?? parsed.tls ?? false,
    ...(yaml.ssl_ca_certs !== undefined && { tlsCaFile: resolve(root, yaml.ssl_ca_certs) }),
    ...(yaml.key_ttl_seconds !== undefined && { keyTtlSeconds: yaml.key_ttl_seconds }),
    connectTimeoutMs: Math.round((yaml.connect_timeout_seconds ?? DEFAULT_CONNECT_TIMEOUT_S) * 1000),
  };
}

/** host:port (db N) as messages name the server; never the password. */
export function redisAddress(config: RedisOnlineStoreConfig): string {
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  return `${config.tls ? "rediss" : "redis"}://${host}:${config.port}/${config.db}`;
}
