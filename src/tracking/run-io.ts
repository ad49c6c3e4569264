import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../errors.js";
import { readFileIfExists } from "../util/fs.js";
import { withLockSync } from "../util/lock.js";
import { checkLoggedModelId, getLoggedModel } from "./logged-models.js";
import { readMeta, writeMeta } from "./meta.js";
import { checkTags } from "./names.js";
import { experimentDir, runDir, subdirs, type RunRef } from "./read.js";
import { setTag } from "./write.js";

/**
 * MLflow 3's run inputs (datasets, logged models) and outputs (logged models), in MLflow's
 * file-store layout: a dataset is `<experiment>/datasets/<md5(name + digest)>/meta.yaml`, an
 * input edge `<run>/inputs/<md5(source id + run id)>/meta.yaml`, an output edge
 * `<run>/outputs/<model_id>/meta.yaml`. Each is written once, whole (temp + rename); logging
 * the same input again changes nothing, as in MLflow.
 */

/** MLflow's Dataset: a reference to data a run used (name and digest identify it). */
export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
}

export interface DatasetInput {
  dataset: Dataset;
  /** Input tags, e.g. `mlflow.data.context: training`. */
  tags: Record<string, string>;
}

export interface RunInputs {
  datasetInputs: DatasetInput[];
  /** Ids of logged models the run used. */
  modelInputs: string[];
}

export interface ModelOutput {
  modelId: string;
  step: number;
}

/** MLflow's limits on a dataset's fields (mlflow/utils/validation.py). */
const DATASET_LIMITS = { name: 500, digest: 36, source: 65_535, schema: 1_048_575, profile: 16_384 } as const;
const md5 = (...parts: string[]) => parts.reduce((h, p) => h.update(p, "utf8"), createHash("md5")).digest("hex");

function checkDataset(d: Dataset): void {
  for (const field of ["name", "digest", "sourceType", "source"] as const) {
    if (typeof d[field] !== "string" || d[field] === "") throw new MlfError("invalid_argument", `A dataset input needs a ${field.replace("T", "_t")}; give the dataset's name, digest, source_type and source.`);
  }
  for (const [field, max] of Object.entries(DATASET_LIMITS)) {
    const value = d[field as keyof typeof DATASET_LIMITS];
    if (value !== undefined && value.length > max) throw new MlfError("invalid_argument", `The ${field} of dataset "${d.name.slice(0, 40)}" is longer than ${max} characters; shorten it.`);
  }
}

/** Writes `meta.yaml` in `dir` unless it is there (inputs and datasets are written once). */
function writeOnce(dir: string, meta: Record<string, unknown>): void {
  if (!existsSync(join(dir, "meta.yaml"))) writeMeta(join(dir, "meta.yaml"), meta);
}

const sorted = (tags: Record<string, string>) => Object.fromEntries(Object.keys(tags).sort().map((k) => [k, tags[k]!]));

/** Logs dataset and model inputs of a run (MLflow's log_inputs). Everything is checked before anything is written. */
export function logInputs(root: string, run: RunRef, datasets: DatasetInput[], models: string[]): void {
  for (const d of datasets) {
    checkDataset(d.dataset);
    checkTags(d.tags);
  }
  for (const id of models) getLoggedModel(root, checkLoggedModelId(id));
  const folder = runDir(root, run);
  for (const { dataset: d, tags } of datasets) {
    const datasetId = md5(d.name, d.digest);
    writeOnce(join(experimentDir(root, run.experimentId), "datasets", datasetId), {
      digest: d.digest, name: d.name, profile: d.profile ?? null, schema: d.schema ?? null, source: d.source, source_type: d.sourceType,
    });
    // MLflow's file store writes the source id as destination_id too; its readers expect that.
    writeOnce(join(folder, "inputs", md5(datasetId, run.runId)), { destination_id: datasetId, destination_type: "RUN", source_id: datasetId, source_type: "DATASET", tags: sorted(tags) });
  }
  for (const id of models) {
    writeOnce(join(folder, "inputs", md5(id, run.runId)), { destination_id: id, destination_type: "RUN", source_id: id, source_type: "MODEL", tags: {} });
  }
}

/** Logs logged models a run produced, each with the step it was produced at (MLflow's log_outputs). */
export function logOutputs(root: string, run: RunRef, models: ModelOutput[]): void {
  for (const m of models) {
    getLoggedModel(root, checkLoggedModelId(m.modelId));
    if (!Number.isSafeInteger(m.step)) throw new MlfError("invalid_argument", `The step of model output ${m.modelId} must be an integer; got ${m.step}.`);
  }
  const folder = runDir(root, run);
  for (const m of models) {
    writeOnce(join(folder, "outputs", m.modelId), { destination_id: m.modelId, destination_type: "MODEL_OUTPUT", source_id: m.modelId, source_type: "RUN_OUTPUT", step: m.step, tags: {} });
  }
}

/** The meta.yaml of every edge folder below `dir`, in name order (none when the folder is missing). */
function edges(dir: string): Record<string, unknown>[] {
  return subdirs(dir).sort().map((n) => readMeta(join(dir, n, "meta.yaml"))).filter((m): m is Record<string, unknown> => m !== undefined);
}

const text = (v: unknown) => (v === null || v === undefined ? undefined : String(v));

/** A run's inputs; a dataset input whose dataset is missing is skipped, as MLflow does. */
function readRunInputs(root: string, run: RunRef): RunInputs {
  const out: RunInputs = { datasetInputs: [], modelInputs: [] };
  for (const e of edges(join(runDir(root, run), "inputs"))) {
    if (e.source_type === "MODEL") out.modelInputs.push(String(e.source_id));
    if (e.source_type !== "DATASET") continue;
    const d = readMeta(join(experimentDir(root, run.experimentId), "datasets", String(e.source_id), "meta.yaml"));
    if (!d) continue;
    const schema = text(d.schema);
    const profile = text(d.profile);
    out.datasetInputs.push({
      dataset: { name: String(d.name), digest: String(d.digest), sourceType: String(d.source_type), source: String(d.source), ...(schema !== undefined && { schema }), ...(profile !== undefined && { profile }) },
      tags: Object.fromEntries(Object.entries((e.tags ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)])),
    });
  }
  return out;
}

/** A run's model outputs. */
function readRunOutputs(root: string, run: RunRef): ModelOutput[] {
  return edges(join(runDir(root, run), "outputs"))
    .filter((e) => e.destination_type === "MODEL_OUTPUT")
    .map((e) => ({ modelId: String(e.destination_id), step: Number(e.step ?? 0) }));
}

/** A run's inputs and outputs (what MLflow's Run object carries beside info and data). */
export function readRunIo(root: string, run: RunRef): { inputs: RunInputs; outputs: ModelOutput[] } {
  return { inputs: readRunInputs(root, run), outputs: readRunOutputs(root, run) };
}

/** The tag MLflow keeps the models logged in a run in (a JSON list of their MLmodel summaries). */
const LOG_MODEL_HISTORY_TAG = "mlflow.log-model.history";

/**
 * Appends a logged model's summary (MLflow's `Model.get_tags_dict()`) to the run's
 * `mlflow.log-model.history` tag, under the run's lock so concurrent appends keep each other.
 */
export function recordLoggedModel(root: string, run: RunRef, model: Record<string, unknown>): void {
  const file = join(runDir(root, run), "tags", LOG_MODEL_HISTORY_TAG);
  withLockSync(join(runDir(root, run), "meta.yaml"), () => {
    let list: unknown[] = [];
    try {
      const parsed: unknown = JSON.parse(readFileIfExists(file) ?? "[]");
      if (Array.isArray(parsed)) list = parsed;
    } catch {
      // A tag that is not a JSON list (written by hand) is started over, as MLflow would fail to read it.
    }
    setTag(root, run, LOG_MODEL_HISTORY_TAG, JSON.stringify([...list, model]));
  });
}
