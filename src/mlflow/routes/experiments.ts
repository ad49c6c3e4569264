import { MlfError } from "../../errors.js";
import { parseFilter, parseOrderBy, type Grammar, type OrderBy, type SearchKey } from "../../tracking/filter.js";
import { renameExperiment, requireExperimentId, setExperimentLifecycle, setExperimentTag } from "../../tracking/lifecycle.js";
import { listExperiments } from "../../tracking/read.js";
import { compareValue } from "../../tracking/search.js";
import type { Experiment } from "../../tracking/types.js";
import { createExperiment } from "../../tracking/experiments.js";
import { experimentArtifactRoot, sortBy, type Route } from "../context.js";
import { MlflowApiError } from "../errors.js";
import { experimentJson } from "../json.js";
import { keyValues, optString, optStrings, page, reqString, type Message } from "../request.js";

/** MLflow's experiment endpoints (service.proto: createExperiment ... deleteExperimentTag). */

const grammar: Grammar = { kinds: new Set(["tag", "attribute"]), strings: new Set(["name", "experiment_id"]), numeric: new Set(["creation_time", "last_update_time"]), bare: true };

function valueOf(e: Experiment, key: SearchKey): string | number | undefined {
  if (key.kind === "tag") return e.tags[key.name];
  const attrs: Record<string, string | number | null> = { name: e.name, experiment_id: e.experimentId, creation_time: e.creationTime, last_update_time: e.lastUpdateTime };
  return attrs[key.name] ?? undefined;
}

const byId = (ascending: boolean): OrderBy => ({ key: { kind: "attribute", name: "experiment_id" }, ascending });

/**
 * MLflow's file store order: by default `creation_time DESC, experiment_id ASC`; an order_by
 * without experiment_id gets `experiment_id DESC` as its tie-breaker (SearchExperimentsUtils).
 * Ids compare as strings, as MLflow compares them.
 */
function experimentOrder(orderBy: OrderBy[]): OrderBy[] {
  if (orderBy.length === 0) return [{ key: { kind: "attribute", name: "creation_time" }, ascending: false }, byId(true)];
  return orderBy.some((o) => o.key.kind === "attribute" && o.key.name === "experiment_id") ? orderBy : [...orderBy, byId(false)];
}

/** ACTIVE_ONLY (default), DELETED_ONLY or ALL. */
export function viewFilter(m: Message, field: string): (stage: "active" | "deleted") => boolean {
  const view = optString(m, field) ?? "ACTIVE_ONLY";
  switch (view) {
    case "ACTIVE_ONLY":
    case "1":
      return (s) => s === "active";
    case "DELETED_ONLY":
    case "2":
      return (s) => s === "deleted";
    case "ALL":
    case "3":
      return () => true;
  }
  throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid value "${view}" for parameter '${field}': use ACTIVE_ONLY, DELETED_ONLY or ALL.`);
}

function searchExperiments(m: Message, root: string) {
  const clauses = parseFilter(optString(m, "filter"), grammar);
  const orderBy = parseOrderBy(optStrings(m, "order_by"), grammar);
  const inView = viewFilter(m, "view_type");
  const found = listExperiments(root, { includeDeleted: true }).filter((e) => inView(e.lifecycleStage) && clauses.every((c) => compareValue(valueOf(e, c.key), c)));
  const sorted = sortBy(found, experimentOrder(orderBy), valueOf, () => 0);
  const { items, next_page_token } = page(m, sorted, { default: 1000, max: 50_000 });
  return { ...(items.length > 0 && { experiments: items.map(experimentJson) }), ...(next_page_token && { next_page_token }) };
}

export const experimentRoutes: Route[] = [
  {
    method: "POST", path: "/experiments/create",
    handle: (m, ctx) => {
      const name = reqString(m, "name");
      const location = optString(m, "artifact_location");
      const rootFor = experimentArtifactRoot(ctx);
      try {
        const e = createExperiment(ctx.root, name, {
          tags: keyValues(m, "tags"),
          ...(location && { artifactLocation: location }),
          ...(ctx.serveArtifacts && { artifactRootFor: (id: string) => rootFor(id)! }),
        });
        return { experiment_id: e.experimentId };
      } catch (error) {
        if (error instanceof MlfError && error.code === "conflict") throw new MlflowApiError("RESOURCE_ALREADY_EXISTS", `Experiment '${name}' already exists.`, "conflict");
        throw error;
      }
    },
  },
  { method: "GET", path: "/experiments/get", handle: (m, ctx) => ({ experiment: experimentJson(requireExperimentId(ctx.root, reqString(m, "experiment_id"))) }) },
  {
    method: "GET", path: "/experiments/get-by-name",
    handle: (m, ctx) => {
      const name = reqString(m, "experiment_name");
      const all = listExperiments(ctx.root, { includeDeleted: true }).filter((e) => e.name === name);
      const found = all.find((e) => e.lifecycleStage === "active") ?? all[0];
      if (!found) throw new MlfError("not_found", `Could not find experiment with name '${name}'`);
      return { experiment: experimentJson(found) };
    },
  },
  { method: "POST", path: "/experiments/search", handle: (m, ctx) => searchExperiments(m, ctx.root) },
  { method: "GET", path: "/experiments/search", handle: (m, ctx) => searchExperiments(m, ctx.root) },
  {
    method: "POST", path: "/experiments/update",
    handle: (m, ctx) => {
      const id = reqString(m, "experiment_id");
      const name = optString(m, "new_name");
      if (name) {
        try {
          renameExperiment(ctx.root, id, name);
        } catch (error) {
          if (error instanceof MlfError && error.code === "conflict") throw new MlflowApiError("RESOURCE_ALREADY_EXISTS", error.message, "conflict");
          throw error;
        }
      }
      return {};
    },
  },
  { method: "POST", path: "/experiments/delete", handle: (m, ctx) => (setExperimentLifecycle(ctx.root, reqString(m, "experiment_id"), "deleted"), {}) },
  { method: "POST", path: "/experiments/restore", handle: (m, ctx) => (setExperimentLifecycle(ctx.root, reqString(m, "experiment_id"), "active"), {}) },
  {
    method: "POST", path: "/experiments/set-experiment-tag",
    handle: (m, ctx) => (setExperimentTag(ctx.root, reqString(m, "experiment_id"), reqString(m, "key"), optString(m, "value") ?? ""), {}),
  },
  {
    method: "POST", path: "/experiments/delete-experiment-tag",
    handle: (m, ctx) => (setExperimentTag(ctx.root, reqString(m, "experiment_id"), reqString(m, "key"), undefined), {}),
  },
];
