import { MlfError } from "../errors.js";
import { readMLmodel } from "../models/mlmodel.js";
import { listModelNames, listVersions } from "../models/store.js";
import { versionArtifactDir } from "../models/uri.js";
import { materializedUntil, type RegistryFile } from "../repo/registry.js";
import type { Definitions, FeatureService, FeatureView, Source } from "../repo/types.js";
import { formatDuration, formatTime } from "../util/time.js";
import type { FeatureCatalogue, Freshness, GraphEdge, GraphNode, ModelUse, ServiceEntry, SourceEntry, ViewEntry } from "./types.js";

/**
 * The feature repository as the UI shows it: the applied definitions (what `mlf apply`
 * validated, as the catalogue commands read them), each view's materialization intervals and
 * freshness, and the lineage graph source -> view -> service -> model, where the models are
 * the registered versions whose MLmodel records features of this repository.
 */

/**
 * Other sources a query source reads: every source name that appears as an identifier in
 * its SQL (bare or double-quoted). A column that happens to share a source's name is counted
 * too; the graph errs towards showing an edge.
 */
function sourceReads(source: Source, names: Set<string>): string[] {
  if (source.type !== "query") return [];
  const words = source.sql.match(/"[^"]+"|[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  const found = new Set(words.map((w) => w.replace(/^"|"$/g, "")).filter((w) => names.has(w) && w !== source.name));
  return [...found].sort();
}

function freshnessOf(view: FeatureView, ageSeconds: number | null): Freshness {
  if (!view.online) return "offline";
  if (ageSeconds === null) return "never";
  return view.ttlSeconds > 0 && ageSeconds > view.ttlSeconds ? "stale" : "fresh";
}

function viewEntry(view: FeatureView, registry: RegistryFile, now: number): ViewEntry {
  const intervals = registry.online[view.name]?.intervals ?? [];
  const end = materializedUntil(registry, view.name);
  const until = end === undefined ? null : Date.parse(end);
  const ageSeconds = until === null ? null : Math.max(0, Math.round((now - until) / 1000));
  return {
    name: view.name, entities: view.entities, source: view.source, ttl: formatDuration(view.ttlSeconds), ttlSeconds: view.ttlSeconds,
    online: view.online, schema: view.schema, tags: view.tags, description: view.description ?? "",
    intervals, materializedUntil: until === null ? null : formatTime(until), ageSeconds, freshness: freshnessOf(view, ageSeconds),
  };
}

function serviceEntry(defs: Definitions, service: FeatureService): ServiceEntry {
  const schemaOf = (view: string) => defs.featureViews.find((v) => v.name === view)?.schema.map((f) => f.name) ?? [];
  return {
    name: service.name,
    features: service.features.map((p) => ({ view: p.view, features: p.features ?? schemaOf(p.view), all: p.features === undefined })),
    description: service.description ?? "",
  };
}

/** Live versions whose recorded inputs are this repository's features (a service of it, or refs to its views). */
function modelUses(trackingDir: string, defs: Definitions): ModelUse[] {
  const services = new Map(defs.featureServices.map((s) => [s.name, s]));
  const views = new Set(defs.featureViews.map((v) => v.name));
  const uses: ModelUse[] = [];
  for (const model of listModelNames(trackingDir)) {
    for (const version of listVersions(trackingDir, model)) {
      let mlf;
      try {
        mlf = readMLmodel(versionArtifactDir(trackingDir, version))?.mlf;
      } catch (error) {
        // An unreadable MLmodel is `mlf registry show`'s business; the catalogue leaves it out.
        if (error instanceof MlfError) continue;
        throw error;
      }
      if (!mlf) continue;
      const service = mlf.featureService !== null ? services.get(mlf.featureService) : undefined;
      const used = service ? service.features.map((p) => p.view) : (mlf.features ?? []).map((ref) => ref.split(":")[0]!);
      const known = [...new Set(used.filter((v) => views.has(v)))];
      if (known.length === 0) continue;
      uses.push({ model, version: version.version, stage: version.currentStage, aliases: [...version.aliases].sort(), featureService: service ? service.name : null, views: known });
    }
  }
  return uses;
}

/** Columns: sources by how many sources they read through, then views, services, models. */
function lineageGraph(sources: SourceEntry[], views: ViewEntry[], services: ServiceEntry[], models: ModelUse[]): FeatureCatalogue["graph"] {
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const reads = sources.find((s) => s.name === name)?.reads.filter((r) => !seen.has(r)) ?? [];
    const d = reads.length === 0 ? 0 : 1 + Math.max(...reads.map((r) => depthOf(r, new Set([...seen, r]))));
    depth.set(name, d);
    return d;
  };
  for (const s of sources) depthOf(s.name, new Set([s.name]));
  const viewColumn = Math.max(-1, ...depth.values()) + 1;
  const modelId = (m: ModelUse) => `model:${m.model}/${m.version}`;
  const nodes: GraphNode[] = [
    ...sources.map((s) => ({ id: `source:${s.name}`, kind: "source" as const, label: s.name, column: depth.get(s.name) ?? 0 })),
    ...views.map((v) => ({ id: `view:${v.name}`, kind: "view" as const, label: v.name, column: viewColumn })),
    ...services.map((s) => ({ id: `service:${s.name}`, kind: "service" as const, label: s.name, column: viewColumn + 1 })),
    ...models.map((m) => ({ id: modelId(m), kind: "model" as const, label: `${m.model} v${m.version}`, column: viewColumn + 2 })),
  ];
  const edges: GraphEdge[] = [
    ...sources.flatMap((s) => s.reads.map((r) => ({ from: `source:${r}`, to: `source:${s.name}` }))),
    ...views.map((v) => ({ from: `source:${v.source}`, to: `view:${v.name}` })),
    ...services.flatMap((s) => [...new Set(s.features.map((p) => p.view))].map((v) => ({ from: `view:${v}`, to: `service:${s.name}` }))),
    ...models.flatMap((m) => (m.featureService ? [{ from: `service:${m.featureService}`, to: modelId(m) }] : m.views.map((v) => ({ from: `view:${v}`, to: modelId(m) })))),
  ];
  const ids = new Set(nodes.map((n) => n.id));
  return { nodes, edges: edges.filter((e) => ids.has(e.from) && ids.has(e.to)) };
}

/** The catalogue of an applied repository; `now` (epoch ms) is what freshness is measured against. */
export function featureCatalogue(registry: RegistryFile, trackingDir: string, now = Date.now()): FeatureCatalogue {
  const defs = registry.definitions;
  const names = new Set(defs.sources.map((s) => s.name));
  const sources: SourceEntry[] = defs.sources.map((s) => ({
    name: s.name, type: s.type, definition: s.type === "file" ? s.path : s.sql.trim(), timestampField: s.timestampField,
    createdTimestampColumn: s.createdTimestampColumn ?? null, reads: sourceReads(s, names), description: s.description ?? "",
  }));
  const views = defs.featureViews.map((v) => viewEntry(v, registry, now));
  const services = defs.featureServices.map((s) => serviceEntry(defs, s));
  const models = modelUses(trackingDir, defs);
  return {
    project: registry.project,
    registryVersion: registry.version,
    updatedAt: registry.updatedAt,
    now: formatTime(now),
    entities: defs.entities.map((e) => ({ name: e.name, joinKey: e.joinKey, valueType: e.valueType, description: e.description ?? "" })),
    sources, views, services, models,
    graph: lineageGraph(sources, views, services, models),
  };
}
