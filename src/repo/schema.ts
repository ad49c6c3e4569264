import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { PipelineSchema } from "./pipelines.js";

/**
 * The shapes of feature_store.yaml and of definition files, as written by users. Unknown
 * keys are rejected everywhere (additionalProperties: false); cross-references are checked
 * afterwards by the rules in rules.ts.
 */

const strict = { additionalProperties: false } as const;
const Name = Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "a name: letters, digits and _, not starting with a digit" });
const Column = Type.String({ minLength: 1 });
const Duration = Type.Union([Type.String(), Type.Integer({ minimum: 0 })]);
/** Type names are case-insensitive (Feast writes `Int64`), so their spelling is checked by the rules. */
const TypeName = Type.String({ minLength: 1 });
const SampleRate = Type.Number({ minimum: 0, maximum: 1, description: "a share of requests from 0 to 1" });

/** A share of traffic: `"5%"` or a number from 0 to 1 (a margin may exceed 100%: `"200%"`). */
const Percent = Type.Union([Type.String({ pattern: "^\\d+(\\.\\d+)?%$" }), Type.Number({ minimum: 0 })], { description: 'a share such as "5%" or 0.05' });

/**
 * One route of `mlf serve` (feature_store.yaml's `routes:`, keyed by the served model's
 * name). Which keys each mode takes is checked by serving/routing/spec.ts, with lines.
 */
const RouteSchema = Type.Object(
  {
    mode: Type.Union([Type.Literal("canary"), Type.Literal("shadow"), Type.Literal("bandit")], { description: '"canary", "shadow" or "bandit"' }),
    challenger: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { description: "a model reference or a list of them" }),
    share: Type.Optional(Percent),
    min_share: Type.Optional(Percent),
    feedback_window: Type.Optional(Duration),
    feedback_max: Type.Optional(Type.Integer({ minimum: 1 })),
    rollback: Type.Optional(
      Type.Object(
        {
          error_rate: Type.Optional(Percent),
          latency_p99: Type.Optional(Percent),
          latency_floor_ms: Type.Optional(Type.Number({ minimum: 0 })),
          reward_alpha: Type.Optional(Type.Union([Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }), Type.Literal(false)], { description: "a significance level between 0 and 1, or false" })),
          min_requests: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        strict,
      ),
    ),
  },
  strict,
);
export type RouteYaml = Static<typeof RouteSchema>;

export const ConfigSchema = Type.Object(
  {
    project: Type.String({ pattern: "^[A-Za-z0-9_]+$", description: "letters, digits and _" }),
    registry: Type.Optional(Type.String({ minLength: 1 })),
    provider: Type.Optional(Type.Literal("local")),
    offline_store: Type.Optional(
      Type.Object(
        {
          type: Type.Literal("duckdb"),
          threads: Type.Optional(Type.Integer({ minimum: 1 })),
          memory_limit: Type.Optional(Type.String({ pattern: "^\\d+(\\.\\d+)?\\s*[KMGT]i?B$" })),
          temp_directory: Type.Optional(Type.String({ minLength: 1 })),
        },
        strict,
      ),
    ),
    // Checked against the schema of its `type` (onlineStoreSchema), as sources are.
    online_store: Type.Optional(Type.Object({ type: Type.Unknown() })),
    tracking: Type.Optional(Type.Object({ path: Type.String({ minLength: 1 }) }, strict)),
    logging: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.String({ minLength: 1 })),
          sample_rate: Type.Optional(SampleRate),
          flush_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "a number of seconds > 0" })),
          queue_size: Type.Optional(Type.Integer({ minimum: 1, description: "a whole number of rows >= 1" })),
        },
        strict,
      ),
    ),
    routes: Type.Optional(Type.Record(Type.String(), RouteSchema)),
  },
  strict,
);
export type ConfigYaml = Static<typeof ConfigSchema>;

const onlineStoreSchemas = {
  sqlite: Type.Object({ type: Type.Literal("sqlite"), path: Type.Optional(Type.String({ minLength: 1 })) }, strict),
  redis: Type.Object(
    {
      type: Type.Literal("redis"),
      connection_string: Type.Optional(Type.String({ minLength: 1, description: 'host:port[,db=N,password=...,ssl=true] or a redis:// or rediss:// URL' })),
      db: Type.Optional(Type.Integer({ minimum: 0 })),
      username: Type.Optional(Type.String({ minLength: 1 })),
      password: Type.Optional(Type.String()),
      ssl: Type.Optional(Type.Boolean()),
      ssl_ca_certs: Type.Optional(Type.String({ minLength: 1 })),
      key_ttl_seconds: Type.Optional(Type.Integer({ minimum: 1 })),
      connect_timeout_seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 600 })),
    },
    strict,
  ),
};
export type SqliteStoreYaml = Static<typeof onlineStoreSchemas.sqlite>;
export type RedisStoreYaml = Static<typeof onlineStoreSchemas.redis>;
const OnlineStoreTypeSchema = Type.Object({ type: Type.Union([Type.Literal("sqlite"), Type.Literal("redis")], { description: '"sqlite" or "redis"' }) });

/** The schema an `online_store` block is checked against: its type's, or the type's alone when unknown. */
export function onlineStoreSchema(block: { type: unknown }): TSchema {
  return block.type === "sqlite" || block.type === "redis" ? onlineStoreSchemas[block.type] : OnlineStoreTypeSchema;
}

const EntitySchema = Type.Object(
  {
    name: Name,
    join_keys: Type.Optional(Type.Array(Column, { minItems: 1, maxItems: 1 })),
    value_type: Type.Optional(TypeName),
    description: Type.Optional(Type.String()),
    tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  strict,
);

const sourceCommon = {
  name: Name,
  timestamp_field: Column,
  created_timestamp_column: Type.Optional(Column),
  field_mapping: Type.Optional(Type.Record(Type.String(), Column)),
  description: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
};

const FileSourceSchema = Type.Object({ ...sourceCommon, type: Type.Literal("file"), path: Type.String({ minLength: 1 }) }, strict);
const QuerySourceSchema = Type.Object({ ...sourceCommon, type: Type.Literal("query"), sql: Type.String({ minLength: 1 }) }, strict);

export const sourceSchemas = { file: FileSourceSchema, query: QuerySourceSchema };

const FieldSchema = Type.Object({ name: Name, dtype: TypeName, description: Type.Optional(Type.String()) }, strict);

const FeatureViewSchema = Type.Object(
  {
    name: Name,
    entities: Type.Optional(Type.Array(Name)),
    source: Name,
    ttl: Type.Optional(Duration),
    online: Type.Optional(Type.Boolean()),
    schema: Type.Array(FieldSchema, { minItems: 1 }),
    tags: Type.Optional(Type.Record(Type.String(), Type.String())),
    description: Type.Optional(Type.String()),
  },
  strict,
);

const FeatureServiceSchema = Type.Object(
  {
    name: Name,
    features: Type.Array(Type.Union([Name, Type.Record(Name, Type.Array(Name, { minItems: 1 }), { minProperties: 1, maxProperties: 1 })]), { minItems: 1 }),
    /** Feast's FeatureService logging_config: this service's answers are logged by mlf serve at this rate. */
    logging: Type.Optional(Type.Object({ sample_rate: Type.Optional(SampleRate) }, strict)),
    description: Type.Optional(Type.String()),
    tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  strict,
);

/** The top level of a definition file; each list item is checked by its own schema (itemSchemas). */
export const DefinitionFileSchema = Type.Object(
  {
    entities: Type.Optional(Type.Array(Type.Unknown())),
    sources: Type.Optional(Type.Array(Type.Unknown())),
    feature_views: Type.Optional(Type.Array(Type.Unknown())),
    feature_services: Type.Optional(Type.Array(Type.Unknown())),
    pipelines: Type.Optional(Type.Array(Type.Unknown())),
  },
  strict,
);

/** Schemas of list items. A source is checked against the schema of its `type`. */
export const itemSchemas = {
  entities: () => EntitySchema,
  sources: (item: unknown) => {
    const type = (item as { type?: unknown } | null)?.type;
    return type === "file" || type === "query" ? sourceSchemas[type] : SourceTypeSchema;
  },
  feature_views: () => FeatureViewSchema,
  feature_services: () => FeatureServiceSchema,
  pipelines: () => PipelineSchema,
};
const SourceTypeSchema = Type.Object({ type: Type.Union([Type.Literal("file"), Type.Literal("query")], { description: '"file" or "query"' }) });

export type FileSourceYaml = Static<typeof FileSourceSchema>;
export type QuerySourceYaml = Static<typeof QuerySourceSchema>;
export type FeatureViewYaml = Static<typeof FeatureViewSchema>;
export type FeatureServiceYaml = Static<typeof FeatureServiceSchema>;
export type EntityYaml = Static<typeof EntitySchema>;
