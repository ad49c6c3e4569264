import { logInputs, logOutputs, recordLoggedModel, type DatasetInput } from "../../tracking/run-io.js";
import type { Route } from "../context.js";
import { MlflowApiError } from "../errors.js";
import { keyValues, optInt, optString, reqString, runIdOf, type Message } from "../request.js";
import { activeRun } from "./runs.js";

/** MLflow's endpoints that record what a run used and produced: log-inputs, outputs, log-model. */

function list(m: Message, field: string): Message[] {
  const v = m[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => x !== null && typeof x === "object")) throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid value for parameter '${field}': it must be a list of objects.`);
  return v as Message[];
}

/** MLflow's DatasetInput: `{"tags": [...], "dataset": {"name", "digest", "source_type", "source", "schema"?, "profile"?}}`. */
function datasetInput(d: Message): DatasetInput {
  const ds = (d.dataset ?? {}) as Message;
  const schema = optString(ds, "schema");
  const profile = optString(ds, "profile");
  return {
    dataset: {
      name: reqString(ds, "name"), digest: reqString(ds, "digest"), sourceType: reqString(ds, "source_type"), source: reqString(ds, "source"),
      ...(schema !== undefined && { schema }), ...(profile !== undefined && { profile }),
    },
    tags: keyValues(d, "tags"),
  };
}

export const runIoRoutes: Route[] = [
  {
    method: "POST", path: "/runs/log-inputs",
    handle: (m, ctx) => {
      const info = activeRun(ctx.root, runIdOf(m));
      logInputs(ctx.root, info, list(m, "datasets").map(datasetInput), list(m, "models").map((x) => reqString(x, "model_id")));
      return {};
    },
  },
  {
    method: "POST", path: "/runs/outputs",
    handle: (m, ctx) => {
      const info = activeRun(ctx.root, runIdOf(m));
      logOutputs(ctx.root, info, list(m, "models").map((x) => ({ modelId: reqString(x, "model_id"), step: optInt(x, "step") ?? 0 })));
      return {};
    },
  },
  {
    // MLflow 2 clients' log_model: appends the model's MLmodel summary to the run's mlflow.log-model.history tag.
    method: "POST", path: "/runs/log-model",
    handle: (m, ctx) => {
      const info = activeRun(ctx.root, runIdOf(m));
      let model: unknown;
      try {
        model = JSON.parse(reqString(m, "model_json"));
      } catch (error) {
        if (error instanceof MlflowApiError) throw error;
        model = undefined;
      }
      if (model === null || typeof model !== "object" || Array.isArray(model)) throw new MlflowApiError("INVALID_PARAMETER_VALUE", "Invalid value for parameter 'model_json': it must be a JSON object (the model's MLmodel as JSON).");
      recordLoggedModel(ctx.root, info, model as Record<string, unknown>);
      return {};
    },
  },
];
