import { MlfError } from "../errors.js";
import { formatDuration } from "../util/time.js";
import { materializedUntil, type RegistryFile } from "./registry.js";
import type { Definitions, Entity, FeatureService, FeatureView, Source } from "./types.js";

/** The catalogue kinds, as named on the command line. */
export const catalogueKinds = {
  entities: { kind: "entity", key: "entities" },
  "feature-views": { kind: "feature view", key: "featureViews" },
  "feature-services": { kind: "feature service", key: "featureServices" },
  sources: { kind: "source", key: "sources" },
} as const satisfies Record<string, { kind: string; key: keyof Definitions }>;
export type CatalogueKind = keyof typeof catalogueKinds;

/** An object as users write it in YAML (snake_case keys, ttl as a duration). */
export function publicShape(kind: CatalogueKind, object: Entity | Source | FeatureView | FeatureService, registry: RegistryFile): Record<string, unknown> {
  switch (kind) {
    case "entities": {
      const e = object as Entity;
      return { name: e.name, join_keys: [e.joinKey], value_type: e.valueType, description: e.description ?? "" };
    }
    case "sources": {
      const s = object as Source;
      return {
        name: s.name,
        type: s.type,
        ...(s.type === "file" ? { path: s.path } : { sql: s.sql }),
        timestamp_field: s.timestampField,
        created_timestamp_column: s.createdTimestampColumn ?? null,
        field_mapping: s.fieldMapping,
      };
    }
    case "feature-views": {
      const v = object as FeatureView;
      return {
        name: v.name,
        entities: v.entities,
        source: v.source,
        ttl: formatDuration(v.ttlSeconds),
        online: v.online,
        schema: v.schema,
        tags: v.tags,
        materialized_until: materializedUntil(registry, v.name) ?? null,
      };
    }
    case "feature-services": {
      const s = object as FeatureService;
      return { name: s.name, features: s.features.map((p) => (p.features ? { [p.view]: p.features } : p.view)), ...(s.logging && { logging: { sample_rate: s.logging.sampleRate } }), description: s.description ?? "" };
    }
  }
}

export function listObjects(registry: RegistryFile, kind: CatalogueKind): Record<string, unknown>[] {
  const list = registry.definitions[catalogueKinds[kind].key] as (Entity | Source | FeatureView | FeatureService)[];
  return list.map((o) => publicShape(kind, o, registry));
}

export function describeObject(registry: RegistryFile, kind: CatalogueKind, name: string): Record<string, unknown> {
  const found = listObjects(registry, kind).find((o) => o.name === name);
  if (!found) {
    const names = listObjects(registry, kind).map((o) => o.name);
    throw new MlfError("not_found", `No ${catalogueKinds[kind].kind} named "${name}" in the registry; known: ${names.join(", ") || "(none)"}.`);
  }
  return found;
}
