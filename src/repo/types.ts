import type { Pipeline } from "./pipelines.js";

/**
 * The normalized model of a feature repository: what the loader produces from YAML and what
 * the feature registry file stores. Times are seconds, paths are relative to the repository
 * root, names are validated identifiers.
 */

export const valueTypes = ["int32", "int64", "string", "bytes"] as const;
export type ValueType = (typeof valueTypes)[number];

export const dtypes = ["int32", "int64", "float32", "float64", "string", "bytes", "bool", "unix_timestamp"] as const;
export type Dtype = (typeof dtypes)[number];

export interface Entity {
  name: string;
  /** The single join key column. */
  joinKey: string;
  valueType: ValueType;
  description?: string;
}

interface SourceBase {
  name: string;
  /** Column holding the event time, after field_mapping. */
  timestampField: string;
  /** Column that breaks ties between rows with equal event time (greatest wins), after field_mapping. */
  createdTimestampColumn?: string;
  /** Renames applied to the raw columns before anything else: source column -> name. */
  fieldMapping: Record<string, string>;
  description?: string;
}

export interface FileSource extends SourceBase {
  type: "file";
  /** A .parquet or .csv file or glob, relative to the repository root. */
  path: string;
}

export interface QuerySource extends SourceBase {
  type: "query";
  /** DuckDB SQL over other sources, referenced by name. */
  sql: string;
}

export type Source = FileSource | QuerySource;

export interface Field {
  name: string;
  dtype: Dtype;
}

export interface FeatureView {
  name: string;
  /** Entity names; empty for an entity-less view (joined on time only). */
  entities: string[];
  source: string;
  /** Maximum age of a value in seconds; 0 means unlimited. */
  ttlSeconds: number;
  online: boolean;
  schema: Field[];
  tags: Record<string, string>;
  description?: string;
}

export interface ServiceProjection {
  view: string;
  /** The projected features, or every feature of the view when absent. */
  features?: string[];
}

export interface FeatureService {
  name: string;
  features: ServiceProjection[];
  /** Present when the service's answers are logged by `mlf serve` (Feast's logging_config). */
  logging?: { sampleRate: number };
  description?: string;
}

export interface Definitions {
  entities: Entity[];
  sources: Source[];
  featureViews: FeatureView[];
  featureServices: FeatureService[];
  /** Continuous-training pipelines; absent when none is defined (registries written before pipelines existed). */
  pipelines?: Pipeline[];
}

export type DefinitionKind = "entity" | "source" | "feature view" | "feature service" | "pipeline";

export interface OfflineStoreConfig {
  type: "duckdb";
  threads?: number;
  memoryLimit?: string;
  /** Spill folder for joins larger than memory; absolute. */
  tempDirectory?: string;
}

export interface SqliteOnlineStoreConfig {
  type: "sqlite";
  /** Absolute path of the database file. */
  path: string;
}

/** A Redis server (see redis-config.ts for the accepted spellings). */
export interface RedisOnlineStoreConfig {
  type: "redis";
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** Connect with TLS (a rediss:// URL or ssl=true). */
  tls: boolean;
  /** A PEM file of trusted CAs for TLS; absolute. */
  tlsCaFile?: string;
  /** Entity keys expire this long after their last write (Feast's key_ttl_seconds); absent = never. */
  keyTtlSeconds?: number;
  /** How long connecting (TCP, TLS, AUTH) may take before it is an error. */
  connectTimeoutMs: number;
}

export type OnlineStoreConfig = SqliteOnlineStoreConfig | RedisOnlineStoreConfig;

export interface RepoConfig {
  project: string;
  /** Absolute path of the feature registry file. */
  registry: string;
  provider: "local";
  offlineStore: OfflineStoreConfig;
  onlineStore: OnlineStoreConfig;
  /** Absolute path of the tracking + model registry root. */
  trackingPath: string;
  /** Feature logging by `mlf serve`; present when feature_store.yaml has a `logging:` block. */
  logging?: FeatureLoggingConfig;
}

export interface FeatureLoggingConfig {
  /** Absolute path of the log folder (default <repo>/data/logs). */
  path: string;
  /** Share of requests logged, 0 to 1, decided per request id. */
  sampleRate: number;
  /** Seconds between writes of the queued rows to a new file. */
  flushSeconds: number;
  /** Rows held in memory between flushes; a request that does not fit is dropped and counted. */
  queueSize: number;
}

/** Where a definition was written, for error messages. */
export interface Location {
  file: string;
  line?: number;
}
