import { Type, type Static } from "@sinclair/typebox";

/**
 * JSON schemas of every request body, built with TypeBox (the project's one schema library)
 * and compiled by fastify's validator. Unknown keys are rejected, never silently dropped.
 */
const closed = { additionalProperties: false } as const;
const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

export const InvocationBody = Type.Object(
  {
    dataframe_split: Type.Optional(Type.Object({ columns: Type.Optional(Type.Array(Type.String())), data: Type.Array(Type.Array(Type.Unknown())), index: Type.Optional(Type.Array(Type.Unknown())) }, closed)),
    dataframe_records: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
    instances: Type.Optional(Type.Array(Type.Unknown())),
    inputs: Type.Optional(Type.Union([Type.Array(Type.Unknown()), Type.Record(Type.String(), Type.Unknown())])),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  closed,
);
export type InvocationBody = Static<typeof InvocationBody>;

export const ModelQuery = Type.Object({ model: Type.Optional(Type.String({ minLength: 1 })) }, closed);

const KeyValue = Type.Union([Type.String(), Type.Number()]);

export const GetOnlineFeaturesBody = Type.Object(
  {
    features: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    feature_service: Type.Optional(Type.String({ minLength: 1 })),
    entities: Type.Record(Type.String(), Type.Array(KeyValue, { minItems: 1 })),
    full_feature_names: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type GetOnlineFeaturesBody = Static<typeof GetOnlineFeaturesBody>;

export const PushBody = Type.Object(
  {
    push_source_name: Type.Optional(Type.String({ minLength: 1 })),
    feature_view: Type.Optional(Type.String({ minLength: 1 })),
    df: Type.Record(Type.String(), Type.Array(Scalar)),
    to: Type.Optional(Type.String()),
    allow_registry_cache: Type.Optional(Type.Boolean()),
  },
  closed,
);
export type PushBody = Static<typeof PushBody>;

export const PredictBody = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    entities: Type.Record(Type.String(), Type.Union([KeyValue, Type.Array(KeyValue, { minItems: 1 })])),
    features: Type.Optional(Type.Record(Type.String(), Type.Union([Scalar, Type.Array(Scalar)]))),
  },
  closed,
);
export type PredictBody = Static<typeof PredictBody>;

export const FeedbackBody = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1 })),
    request_id: Type.Optional(Type.String({ minLength: 1 })),
    row: Type.Optional(Type.Integer({ minimum: 0 })),
    entities: Type.Optional(Type.Record(Type.String(), KeyValue, { minProperties: 1 })),
    reward: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    label: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  },
  closed,
);
export type FeedbackBody = Static<typeof FeedbackBody>;

/** Query values arrive as text (no coercion): `?history=20`. */
export const RoutesQuery = Type.Object({ history: Type.Optional(Type.String({ pattern: "^\\d{1,4}$" })) }, closed);
export type RoutesQuery = Static<typeof RoutesQuery>;
