/**
 * The answers of the UI's own JSON API (`/ui-api/...`), shared by the server (src/ui/api.ts)
 * and the browser app (src/ui/web). Only where MLflow's REST API has no endpoint: runs,
 * experiments and registry objects come from MLflow's routes in MLflow's shapes. Times are
 * ISO-8601 UTC strings, as everything else mlf prints.
 */

import type { VersionDetail } from "../models/catalogue.js";
import type { MlfReference } from "../models/mlmodel.js";
import type { PipelineRun } from "../pipeline/history.js";
import type { Pipeline } from "../repo/pipelines.js";
import type { MaterializedInterval } from "../repo/registry.js";
import type { Field } from "../repo/types.js";

/** `GET /ui-api/info`: what the page may offer. */
export interface UiInfo {
  version: string;
  trackingDir: string;
  /** Whether alias and stage changes are accepted (`mlf ui --allow-writes`, or `mlf server`). */
  allowWrites: boolean;
  /** The feature repository the catalogue comes from, or null when the server has none. */
  repo: { root: string; project: string } | null;
}

/** How recent a feature view's online values are. */
export type Freshness =
  /** materialized up to less than the ttl ago (or the ttl is unlimited) */
  | "fresh"
  /** the newest materialized end is older than the ttl: online reads answer OUTSIDE_MAX_AGE */
  | "stale"
  /** online, never materialized: online reads answer NOT_FOUND */
  | "never"
  /** not served online */
  | "offline";

export interface ViewEntry {
  name: string;
  entities: string[];
  source: string;
  /** As written (`1d`, `0` = unlimited) and in seconds. */
  ttl: string;
  ttlSeconds: number;
  online: boolean;
  schema: Field[];
  tags: Record<string, string>;
  description: string;
  /** The most recent materialization runs, oldest first (the registry keeps the last few). */
  intervals: MaterializedInterval[];
  /** The greatest materialized end ever (kept apart from the intervals), or null. */
  materializedUntil: string | null;
  /** Seconds from materializedUntil to the server's now, or null. */
  ageSeconds: number | null;
  freshness: Freshness;
}

export interface SourceEntry {
  name: string;
  type: "file" | "query";
  /** The file path (file sources) or the SQL (query sources). */
  definition: string;
  timestampField: string;
  createdTimestampColumn: string | null;
  /** Other sources a query source reads (names found in its SQL). */
  reads: string[];
  description: string;
}

export interface ServiceEntry {
  name: string;
  /** Each projection: the view and its features (all of the view's when not projected). */
  features: { view: string; features: string[]; all: boolean }[];
  description: string;
}

/** A registered model version that takes its inputs from the repository. */
export interface ModelUse {
  model: string;
  version: number;
  stage: string;
  aliases: string[];
  /** The feature service the version is fed by, or null when it names features. */
  featureService: string | null;
  /** The views its inputs come from. */
  views: string[];
}

export type GraphKind = "source" | "view" | "service" | "model";

export interface GraphNode {
  /** `kind:name` (models: `model:NAME/VERSION`). */
  id: string;
  kind: GraphKind;
  label: string;
  /** Column from the left: sources by depth (query sources after what they read), then views, services, models. */
  column: number;
}

export interface GraphEdge {
  from: string;
  to: string;
}

/** `GET /ui-api/features`: the applied feature repository with its lineage and freshness. */
export interface FeatureCatalogue {
  project: string;
  /** The feature registry's version and when `mlf apply` last wrote it. */
  registryVersion: number;
  updatedAt: string;
  /** The server's clock when the answer was made (freshness is relative to it). */
  now: string;
  entities: { name: string; joinKey: string; valueType: string; description: string }[];
  sources: SourceEntry[];
  views: ViewEntry[];
  services: ServiceEntry[];
  models: ModelUse[];
  graph: { nodes: GraphNode[]; edges: GraphEdge[] };
}

/** `GET /ui-api/drift`: a model version that can be checked for drift (it has a reference). */
export interface DriftVersion {
  model: string;
  version: number;
  stage: string;
  aliases: string[];
  /** The training data recorded at registration, and whether the file is still at its path. */
  reference: { path: string; rows: number; sha256: string; present: boolean; features: string[]; createdAt: string };
  /** The model's feature log folder in the repository (null without one) and its number of files. */
  logs: { folder: string | null; files: number };
}

/** `GET /ui-api/models/NAME/versions/N`: `mlf registry show`'s detail, and the drift reference recorded at registration. */
export interface VersionView extends VersionDetail {
  reference: MlfReference | null;
}

/** `GET /ui-api/pipelines`: each applied pipeline, where its alias points, its latest runs. */
export interface PipelineView {
  pipeline: Pipeline;
  /** The version the pipeline's alias points at now, or null. */
  champion: number | null;
  /** Newest first, at most PIPELINE_RUNS of them (the rest: `mlf pipeline history`). */
  runs: PipelineRun[];
  /** How many runs the pipeline has in all. */
  total: number;
}
