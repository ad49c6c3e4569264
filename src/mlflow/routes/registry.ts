import { MlfError } from "../../errors.js";
import { createRegisteredModel, createVersionFromSource, deleteRegisteredModel, renameRegisteredModel, setModelTag, updateDescription } from "../../models/edit.js";
import { deleteAlias, deleteVersion, setAlias, transitionStage } from "../../models/lifecycle.js";
import { checkModelName, parseVersion } from "../../models/names.js";
import { listModelNames, listVersions, readModel, readVersion, type ModelVersion } from "../../models/store.js";
import { selectVersion } from "../../models/uri.js";
import { parseFilter, parseOrderBy, type Grammar, type SearchKey } from "../../tracking/filter.js";
import { getRun } from "../../tracking/read.js";
import { compareValue } from "../../tracking/search.js";
import { sortBy, type Route } from "../context.js";
import { MlflowApiError } from "../errors.js";
import { latestPerStage, modelVersionJson, registeredModelJson } from "../json.js";
import { keyValues, optBool, optString, optStrings, page, reqString, type Message } from "../request.js";

/** MLflow's model registry endpoints (model_registry.proto). */

const modelJson = (root: string, name: string) => registeredModelJson(readModel(root, name), listVersions(root, name));
const version = (m: Message, root: string) => readVersion(root, reqString(m, "name"), parseVersion(reqString(m, "version"), reqString(m, "name")));

const modelGrammar: Grammar = { kinds: new Set(["tag", "attribute"]), strings: new Set(["name"]), numeric: new Set(["creation_timestamp", "last_updated_timestamp", "timestamp"]), bare: true };
const versionGrammar: Grammar = { kinds: new Set(["tag", "attribute"]), strings: new Set(["name", "run_id", "source_path", "current_stage", "user_id"]), numeric: new Set(["version_number", "creation_timestamp", "last_updated_timestamp"]), bare: true };

function searchModels(m: Message, root: string): object {
  const clauses = parseFilter(optString(m, "filter"), modelGrammar);
  const orderBy = parseOrderBy(optStrings(m, "order_by"), modelGrammar);
  const models = listModelNames(root).map((name) => readModel(root, name));
  const valueOf = (x: (typeof models)[number], key: SearchKey) =>
    key.kind === "tag" ? x.tags[key.name] : ({ name: x.name, creation_timestamp: x.creationTimestamp, last_updated_timestamp: x.lastUpdatedTimestamp, timestamp: x.lastUpdatedTimestamp } as Record<string, string | number>)[key.name];
  const found = sortBy(models.filter((x) => clauses.every((c) => compareValue(valueOf(x, c.key), c))), orderBy, valueOf, (a, b) => (a.name < b.name ? -1 : 1));
  const { items, next_page_token } = page(m, found, { default: 100, max: 1000 });
  return { ...(items.length > 0 && { registered_models: items.map((x) => registeredModelJson(x, listVersions(root, x.name))) }), ...(next_page_token && { next_page_token }) };
}

function searchVersions(m: Message, root: string): object {
  const clauses = parseFilter(optString(m, "filter"), versionGrammar);
  const orderBy = parseOrderBy(optStrings(m, "order_by"), versionGrammar);
  const all = listModelNames(root).flatMap((name) => listVersions(root, name));
  const valueOf = (v: ModelVersion, key: SearchKey) =>
    key.kind === "tag" ? v.tags[key.name] : ({
      name: v.name, run_id: v.runId ?? undefined, source_path: v.source, current_stage: v.currentStage, user_id: v.userId ?? undefined,
      version_number: v.version, creation_timestamp: v.creationTimestamp, last_updated_timestamp: v.lastUpdatedTimestamp,
    } as Record<string, string | number | undefined>)[key.name];
  const found = sortBy(all.filter((v) => clauses.every((c) => compareValue(valueOf(v, c.key), c))), orderBy, valueOf, (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : b.version - a.version));
  const { items, next_page_token } = page(m, found, { default: 10_000, max: 200_000 });
  return { ...(items.length > 0 && { model_versions: items.map(modelVersionJson) }), ...(next_page_token && { next_page_token }) };
}

function latestVersions(m: Message, root: string): object {
  const name = reqString(m, "name");
  const versions = latestPerStage(listVersions(root, name), optStrings(m, "stages"));
  return versions.length > 0 ? { model_versions: versions.map(modelVersionJson) } : {};
}

/**
 * Where a version's artifacts are, as a URI a client downloads from: a `runs:/ID/path`
 * source is resolved through the run's artifact URI (MLflow's download URI is never `runs:/`).
 */
function downloadUri(root: string, v: ModelVersion): string {
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(v.source);
  if (runs) return `${getRun(root, runs[1]!).info.artifactUri.replace(/\/$/, "")}${runs[2] ? `/${runs[2]}` : ""}`;
  return v.storageLocation ?? v.source;
}

export const registryRoutes: Route[] = [
  {
    method: "POST", path: "/registered-models/create",
    handle: (m, ctx) => {
      const name = reqString(m, "name");
      const description = optString(m, "description");
      try {
        createRegisteredModel(ctx.root, name, { tags: keyValues(m, "tags"), ...(description !== undefined && { description }) });
      } catch (error) {
        if (error instanceof MlfError && error.code === "conflict") throw new MlflowApiError("RESOURCE_ALREADY_EXISTS", error.message, "conflict");
        throw error;
      }
      return { registered_model: modelJson(ctx.root, name) };
    },
  },
  { method: "GET", path: "/registered-models/get", handle: (m, ctx) => ({ registered_model: modelJson(ctx.root, reqString(m, "name")) }) },
  { method: "GET", path: "/registered-models/search", handle: (m, ctx) => searchModels(m, ctx.root) },
  { method: "POST", path: "/registered-models/search", handle: (m, ctx) => searchModels(m, ctx.root) },
  {
    method: "POST", path: "/registered-models/rename",
    handle: (m, ctx) => {
      const newName = reqString(m, "new_name");
      try {
        renameRegisteredModel(ctx.root, reqString(m, "name"), newName);
      } catch (error) {
        if (error instanceof MlfError && error.code === "conflict") throw new MlflowApiError("RESOURCE_ALREADY_EXISTS", error.message, "conflict");
        throw error;
      }
      return { registered_model: modelJson(ctx.root, newName) };
    },
  },
  {
    method: "PATCH", path: "/registered-models/update",
    handle: (m, ctx) => {
      const name = reqString(m, "name");
      const description = optString(m, "description");
      if (description !== undefined) updateDescription(ctx.root, name, undefined, description);
      return { registered_model: modelJson(ctx.root, name) };
    },
  },
  { method: "DELETE", path: "/registered-models/delete", handle: (m, ctx) => (deleteRegisteredModel(ctx.root, reqString(m, "name")), {}) },
  { method: "POST", path: "/registered-models/get-latest-versions", handle: (m, ctx) => latestVersions(m, ctx.root) },
  { method: "GET", path: "/registered-models/get-latest-versions", handle: (m, ctx) => latestVersions(m, ctx.root) },
  { method: "POST", path: "/registered-models/set-tag", handle: (m, ctx) => (setModelTag(ctx.root, reqString(m, "name"), undefined, reqString(m, "key"), optString(m, "value") ?? ""), {}) },
  { method: "DELETE", path: "/registered-models/delete-tag", handle: (m, ctx) => (setModelTag(ctx.root, reqString(m, "name"), undefined, reqString(m, "key"), undefined), {}) },
  { method: "POST", path: "/registered-models/alias", handle: (m, ctx) => (setAlias(ctx.root, reqString(m, "name"), reqString(m, "alias"), reqString(m, "version")), {}) },
  { method: "DELETE", path: "/registered-models/alias", handle: (m, ctx) => (deleteAlias(ctx.root, reqString(m, "name"), reqString(m, "alias")), {}) },
  {
    method: "GET", path: "/registered-models/alias",
    handle: (m, ctx) => {
      const name = checkModelName(reqString(m, "name"));
      return { model_version: modelVersionJson(selectVersion(ctx.root, name, { type: "alias", alias: reqString(m, "alias") })) };
    },
  },
  {
    method: "POST", path: "/model-versions/create",
    handle: (m, ctx) => {
      const runId = optString(m, "run_id");
      const runLink = optString(m, "run_link");
      const description = optString(m, "description");
      const v = createVersionFromSource(ctx.root, reqString(m, "name"), {
        source: reqString(m, "source"), tags: keyValues(m, "tags"),
        ...(runId && { runId }), ...(runLink !== undefined && { runLink }), ...(description !== undefined && { description }),
      });
      return { model_version: modelVersionJson(v) };
    },
  },
  { method: "GET", path: "/model-versions/get", handle: (m, ctx) => ({ model_version: modelVersionJson(version(m, ctx.root)) }) },
  { method: "GET", path: "/model-versions/search", handle: (m, ctx) => searchVersions(m, ctx.root) },
  { method: "POST", path: "/model-versions/search", handle: (m, ctx) => searchVersions(m, ctx.root) },
  {
    method: "PATCH", path: "/model-versions/update",
    handle: (m, ctx) => {
      const v = version(m, ctx.root);
      const description = optString(m, "description");
      if (description !== undefined) updateDescription(ctx.root, v.name, v.version, description);
      return { model_version: modelVersionJson(readVersion(ctx.root, v.name, v.version)) };
    },
  },
  {
    method: "POST", path: "/model-versions/transition-stage",
    handle: (m, ctx) => {
      const v = version(m, ctx.root);
      transitionStage(ctx.root, v.name, v.version, reqString(m, "stage"), { archiveExisting: optBool(m, "archive_existing_versions") ?? false });
      return { model_version: modelVersionJson(readVersion(ctx.root, v.name, v.version)) };
    },
  },
  { method: "DELETE", path: "/model-versions/delete", handle: (m, ctx) => (deleteVersion(ctx.root, reqString(m, "name"), reqString(m, "version")), {}) },
  { method: "GET", path: "/model-versions/get-download-uri", handle: (m, ctx) => ({ artifact_uri: downloadUri(ctx.root, version(m, ctx.root)) }) },
  {
    method: "POST", path: "/model-versions/set-tag",
    handle: (m, ctx) => (setModelTag(ctx.root, reqString(m, "name"), reqString(m, "version"), reqString(m, "key"), optString(m, "value") ?? ""), {}),
  },
  {
    method: "DELETE", path: "/model-versions/delete-tag",
    handle: (m, ctx) => (setModelTag(ctx.root, reqString(m, "name"), reqString(m, "version"), reqString(m, "key"), undefined), {}),
  },
];
