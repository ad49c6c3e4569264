import { Type, type Static } from "@sinclair/typebox";
import type { Definitions } from "./types.js";

/**
 * The shape of the feature registry file (registry.json), the format this mlf writes (2) and
 * the one it still reads (1). Checked on every read by the validators compiled from these
 * schemas ahead of time (registry-check.ts, see scripts/gen-checks.ts): loading TypeBox
 * itself would cost `mlf get-online` more than the rest of its start.
 */

const strict = { additionalProperties: false } as const;
const Name = Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" });
const Str = Type.String();
const Strings = Type.Record(Type.String(), Type.String());
/** ISO-8601 UTC as mlf writes it. */
const Time = Type.String({ pattern: "^[+-]?\\d{4,6}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z$" });

const L = Type.Literal;
const Dtype = Type.Union([L("int32"), L("int64"), L("float32"), L("float64"), L("string"), L("bytes"), L("bool"), L("unix_timestamp")]);

const sourceBase = {
  name: Name,
  timestampField: Str,
  createdTimestampColumn: Type.Optional(Str),
  fieldMapping: Strings,
  description: Type.Optional(Str),
};

const Seconds = Type.Number({ minimum: 0 });

/** A continuous-training pipeline (pipelines.ts), as the registry stores it. */
const PipelineSchema = Type.Object(
  {
    name: Name,
    description: Type.Optional(Str),
    model: Str,
    featureService: Name,
    entities: Type.Union([Type.Object({ path: Str }, strict), Type.Object({ sql: Str }, strict)]),
    timestampColumn: Str,
    label: Str,
    command: Type.Array(Str),
    timeoutSeconds: Seconds,
    metric: Type.Union([L("auc"), L("accuracy"), L("logloss"), L("rmse"), L("mae")]),
    minImprovement: Seconds,
    holdoutSeconds: Seconds,
    alias: Str,
    experiment: Str,
    triggers: Type.Object(
      {
        onNewData: Type.Boolean(),
        onDrift: Type.Union([Type.Null(), Type.Object({ current: Type.Optional(Str), windowSeconds: Type.Optional(Seconds), driftShare: Type.Optional(Type.Number()) }, strict)]),
        scheduleSeconds: Type.Union([Type.Null(), Seconds]),
      },
      strict,
    ),
  },
  strict,
);

/** The normalized definitions (types.ts), as the registry stores them. */
export const DefinitionsSchema = Type.Object(
  {
    entities: Type.Array(
      Type.Object({ name: Name, joinKey: Str, valueType: Type.Union([L("int32"), L("int64"), L("string"), L("bytes")]), description: Type.Optional(Str) }, strict),
    ),
    sources: Type.Array(
      Type.Union([
        Type.Object({ ...sourceBase, type: Type.Literal("file"), path: Str }, strict),
        Type.Object({ ...sourceBase, type: Type.Literal("query"), sql: Str }, strict),
      ]),
    ),
    featureViews: Type.Array(
      Type.Object(
        {
          name: Name,
          entities: Type.Array(Name),
          source: Name,
          ttlSeconds: Type.Number({ minimum: 0 }),
          online: Type.Boolean(),
          schema: Type.Array(
            Type.Object({ name: Name, dtype: Dtype }, strict),
          ),
          tags: Strings,
          description: Type.Optional(Str),
        },
        strict,
      ),
    ),
    featureServices: Type.Array(
      Type.Object({ name: Name, features: Type.Array(Type.Object({ view: Name, features: Type.Optional(Type.Array(Name)) }, strict)), logging: Type.Optional(Type.Object({ sampleRate: Type.Number({ minimum: 0, maximum: 1 }) }, strict)), description: Type.Optional(Str) }, strict),
    ),
    pipelines: Type.Optional(Type.Array(PipelineSchema)),
  },
  strict,
);

/** One successful materialization of a view: both ends inclusive. */
export const IntervalSchema = Type.Object({ start: Time, end: Time, at: Time }, strict);

/** What the registry knows of one online view's table. */
export const OnlineViewSchema = Type.Object(
  {
    /**
     * The registry version at which the view's online table got its current layout (created
     * or recreated by apply). A materialization records its interval only if this is still
     * the value it started with: otherwise it wrote to a table that apply has since replaced.
     */
    tableVersion: Type.Integer({ minimum: 0 }),
    /** The greatest materialized end; absent until the first materialization. */
    until: Type.Optional(Time),
    /** The most recent materializations, oldest first (at most MAX_INTERVALS). */
    intervals: Type.Array(IntervalSchema),
  },
  strict,
);

const header = {
  project: Type.String({ pattern: "^[A-Za-z0-9_]+$" }),
  /** Increases by one on every apply that changes a definition. */
  version: Type.Integer({ minimum: 0 }),
  /** sha256 of the canonical JSON of `definitions`. */
  hash: Str,
  updatedAt: Str,
  definitions: DefinitionsSchema,
};

export const RegistrySchema = Type.Object(
  { format: Type.Literal(2), ...header, /** Per online view. */ online: Type.Record(Type.String(), OnlineViewSchema) },
  strict,
);

/** Format 1 (mlf 0.1): every interval of every view, forever. Read and upgraded, never written. */
export const RegistryV1Schema = Type.Object({ format: Type.Literal(1), ...header, materializations: Type.Record(Type.String(), Type.Array(IntervalSchema)) }, strict);

export type RegistryFile = Static<typeof RegistrySchema>;
export type RegistryV1File = Static<typeof RegistryV1Schema>;
export type OnlineViewState = Static<typeof OnlineViewSchema>;
export type MaterializedInterval = Static<typeof IntervalSchema>;

// The schema and the hand-written Definitions type must describe the same thing.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const definitionsMatch: Same<Static<typeof DefinitionsSchema>, Definitions> = true;
void definitionsMatch;
