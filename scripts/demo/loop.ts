import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { predict, type LogisticModel, type Row } from "./logreg.js";
import { mlfJson, mlfText, postJson, startServe, type Served } from "./mlf.js";

/**
 * The whole loop on one feature repository, every step through `bin/mlf` as a user would run
 * it. `onStep` receives one line per step; the result carries what a caller needs to check
 * that the served prediction is the champion's answer on the online features.
 */
export interface LoopOptions {
  /** The feature repository (data already prepared). */
  repo: string;
  /** Registered model name and feature service. */
  model?: string;
  service?: string;
  experiment?: string;
  /** The hold-out for the time split, in days. */
  holdoutDays?: number;
  /** Entity to predict for: `{origin, route}`. */
  entity: { origin: string; route: string };
  onStep?: (name: string, detail: string, seconds: number) => void;
}

export interface LoopResult {
  runId: string;
  version: string;
  metrics: Record<string, number>;
  features: Record<string, number | null>;
  served: { prediction: number; model_version: string; model: string };
  expected: number;
}

interface ApplyJson { registry_version: number; changes: unknown[] }
interface HistoricalJson { rows: number; columns: string[]; views: { view: string; matchRate: number }[]; seconds: number }
interface MaterializeJson { views: { view: string; rows: number; end: string }[] }

const fmt = (n: number) => n.toLocaleString("en-US");
/** A path as the user would type it from where the demo runs. */
const shown = (path: string) => relative(process.cwd(), path) || ".";

export async function runLoop(options: LoopOptions): Promise<LoopResult> {
  const repo = options.repo;
  const model = options.model ?? "delay_model";
  const service = options.service ?? "delay_model";
  const experiment = options.experiment ?? "flight_delays";
  const report = options.onStep ?? (() => undefined);
  const timed = async <T>(name: string, fn: () => T | Promise<T>, detail: (value: T) => string): Promise<T> => {
    const started = performance.now();
    const value = await fn();
    report(name, detail(value), (performance.now() - started) / 1000);
    return value;
  };

  await timed("apply", () => mlfJson<ApplyJson>(["-C", repo, "apply"]), (r) =>
    `feature repository ${shown(repo)} applied: ${r.changes.length === 0 ? "no changes" : `${r.changes.length} definitions created or changed`}, registry version ${r.registry_version}`);

  const trainingSet = join(repo, "data", "training_set.parquet");
  await timed(
    "get-historical",
    () => mlfJson<HistoricalJson>(["-C", repo, "get-historical", "--entities", join(repo, "data", "labels.parquet"), "--service", service, "-o", trainingSet]),
    (r) => {
      const rates = r.views.map((v) => v.matchRate * 100);
      return `training set of ${fmt(r.rows)} labelled departures x ${r.columns.length - 4} features of service ${service} (match ${Math.min(...rates).toFixed(1)}-${Math.max(...rates).toFixed(1)}%) -> ${shown(trainingSet)}`;
    },
  );

  const run = await timed(
    "train",
    () => trackedTraining(repo, experiment, service, trainingSet, options.holdoutDays ?? 28),
    (r) => `logistic regression, run ${r.runId.slice(0, 8)} in experiment ${experiment}: held-out AUC ${r.metrics.auc!.toFixed(3)}, log loss ${r.metrics.log_loss!.toFixed(3)}, training set sha256 ${r.sha256.slice(0, 12)}`,
  );

  const version = await timed(
    "register",
    () => mlfJson<{ version: number | string }>(["-C", repo, "registry", "register", model, "--run", run.runId, "--artifact-path", "model", "--service", service, "--description", `logistic regression, AUC ${run.metrics.auc!.toFixed(3)}`]),
    (v) => `${model} version ${v.version} from run ${run.runId.slice(0, 8)} (inputs: feature service ${service})`,
  );
  const versionText = String(version.version);

  await timed("alias", () => mlfJson<{ previous: number | null }>(["-C", repo, "registry", "alias", model, "champion", versionText]), (r) =>
    `${model}@champion -> version ${versionText}${r.previous !== null && String(r.previous) !== versionText ? ` (was version ${r.previous})` : ""}`);

  await timed("materialize", () => mlfJson<MaterializeJson>(["-C", repo, "materialize-incremental", "now"]), (r) =>
    `${r.views.length} feature views into the online store up to ${r.views[0]?.end ?? "now"} (${fmt(r.views.reduce((n, v) => n + v.rows, 0))} rows)`);

  const server = await timed("serve", () => startServe(repo, ["--model", `${model}@champion`]), (s: Served) => `mlf serve is ready at ${s.url} with ${model}@champion`);
  try {
    const request = { model, entities: { origin: options.entity.origin, route: options.entity.route } };
    const served = await timed(
      "predict",
      async () => {
        const response = await postJson<LoopResult["served"] & { message?: string }>(`${server.url}/predict`, request);
        if (response.status !== 200) throw new Error(`POST /predict answered ${response.status}: ${JSON.stringify(response.body)}`);
        return response.body;
      },
      (b) => `POST /predict ${JSON.stringify(request)} -> P(departure > 15 min late) = ${b.prediction.toFixed(4)} from ${b.model} version ${b.model_version}`,
    );

    const check = await timed(
      "check",
      () => expectedPrediction(repo, model, service, options.entity),
      (c) => `get-online ${options.entity.origin}/${options.entity.route} -> champion v${c.version} (run ${c.runId.slice(0, 8)}) in TypeScript = ${c.expected.toFixed(4)}; served ${served.prediction.toFixed(4)}, |diff| ${Math.abs(c.expected - served.prediction).toExponential(1)}`,
    );
    return { runId: run.runId, version: versionText, metrics: run.metrics, features: check.features, served, expected: check.expected };
  } finally {
    await server.stop();
  }
}

/** `track show --json`: MLflow's Run, plus mlf's local artifact folder. */
interface RunShowJson {
  data: { params?: { key: string; value: string }[]; metrics?: { key: string; value: number }[] };
  mlf: { artifact_dir: string };
}

/** `mlf track run ... -- node train-job.js`, then the run's recorded params and metrics read back from the store. */
async function trackedTraining(repo: string, experiment: string, service: string, trainingSet: string, holdoutDays: number) {
  const job = join(dirname(fileURLToPath(import.meta.url)), "train-job.js");
  // The job's own output comes first on stdout; mlf's JSON summary of the run is the last line.
  const stdout = mlfText([
    "-C", repo, "track", "run", "--json", "-e", experiment, "-n", "logreg", "-p", "model=logistic_regression",
    "--input", trainingSet, "--",
    process.execPath, job, "--repo", repo, "--service", service, "--training-set", trainingSet, "--holdout-days", String(holdoutDays),
  ]);
  const summary = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as { runId?: string; status?: string };
  if (!summary.runId || summary.status !== "FINISHED") throw new Error(`The training run did not finish: ${stdout.trim()}`);
  const shown = mlfJson<RunShowJson>(["-C", repo, "track", "show", summary.runId]);
  const metrics = Object.fromEntries((shown.data.metrics ?? []).map((m) => [m.key, m.value]));
  return { runId: summary.runId, metrics, sha256: shown.data.params?.find((p) => p.key === "training_set_sha256")?.value ?? "" };
}

/** `registry show NAME@ALIAS --json`: MLflow's ModelVersion, plus mlf's digest check and folder. */
interface VersionJson {
  version: string;
  run_id?: string;
  mlf: { artifact_dir: string; digest: { verified: boolean } };
}

/**
 * What the champion should answer: the features `mlf get-online` returns for the entity, run
 * through the TypeScript model saved by the champion version's training run, after checking
 * that the registered model.onnx is byte for byte the one that run exported.
 */
export async function expectedPrediction(repo: string, model: string, service: string, entity: { origin: string; route: string }) {
  const version = mlfJson<VersionJson>(["-C", repo, "registry", "show", `${model}@champion`]);
  const runId = version.run_id;
  if (!runId) throw new Error(`${model}@champion has no training run recorded.`);
  const run = mlfJson<RunShowJson>(["-C", repo, "track", "show", runId]);
  const artifacts = join(run.mlf.artifact_dir, "model");
  const tsModel = JSON.parse(readFileSync(join(artifacts, "model.json"), "utf8")) as LogisticModel;
  const digest = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
  if (!version.mlf.digest.verified || digest(join(version.mlf.artifact_dir, "model.onnx")) !== digest(join(artifacts, "model.onnx"))) {
    throw new Error(`The registered model of ${model}@champion is not the one run ${runId} exported.`);
  }
  const online = mlfJson<Record<string, number | null>>(["-C", repo, "get-online", "-e", `origin=${entity.origin}`, "-e", `route=${entity.route}`, "--service", service]);
  const features: Record<string, number | null> = {};
  for (const name of tsModel.features) features[name] = online[name] ?? null;
  const row: Row = tsModel.features.map((name) => features[name] ?? null);
  return { version: String(version.version), runId, features, expected: predict(tsModel, row) };
}
