import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { Type, type Static } from "@sinclair/typebox";
import type { Problem } from "../errors.js";
import { isGlob } from "../util/fs.js";
import { parseDurationSeconds } from "../util/time.js";
import { serviceRefs } from "./resolve.js";
import type { Definitions, Location } from "./types.js";

/**
 * The `pipelines:` list of a definition file: continuous training with a champion/challenger
 * gate (see src/pipeline). Its schema, its normalized form and its cross-reference rules live
 * here, beside the other definitions, so `mlf plan` and `mlf apply` check a pipeline like any
 * other object and the applied registry holds exactly what was validated.
 */

/** Evaluation metrics a pipeline can gate on, with the direction in which they improve. */
export const pipelineMetrics = { auc: "max", accuracy: "max", logloss: "min", rmse: "min", mae: "min" } as const;
export type PipelineMetric = keyof typeof pipelineMetrics;

/** A pipeline as the applied registry stores it. Durations are seconds, paths relative to the repository. */
export interface Pipeline {
  name: string;
  description?: string;
  /** The registered model the challengers become versions of. */
  model: string;
  /** The feature service whose features the training and holdout sets hold, in its order. */
  featureService: string;
  /** The entity rows with their labels: a .csv/.parquet file, or DuckDB SQL over the sources. */
  entities: { path: string } | { sql: string };
  /** The entity rows' event-time column: the point-in-time of each row and the split key. */
  timestampColumn: string;
  /** The column of the entity rows holding the label the metric is computed on. */
  label: string;
  /** argv of the train command (no shell), run from the repository root. */
  command: string[];
  /** The train command is stopped after this many seconds; 0 means no limit. */
  timeoutSeconds: number;
  metric: PipelineMetric;
  /** How much better than the champion a challenger must be (in the metric's units), at least. */
  minImprovement: number;
  /** The last this many seconds of entity rows (by timestamp) are the holdout. */
  holdoutSeconds: number;
  /** The alias that marks the serving model. */
  alias: string;
  /** Experiment of the pipeline's tracked runs. */
  experiment: string;
  triggers: PipelineTriggers;
}

export interface PipelineTriggers {
  /** Run when a file the pipeline reads (sources, entity rows) or its definitions changed since the last evaluated run. */
  onNewData: boolean;
  /** Run when the monitor finds dataset drift of the champion's inputs; null when not configured. */
  onDrift: DriftTrigger | null;
  /** Run when the last evaluated run started longer ago than this (seconds); null when not configured. */
  scheduleSeconds: number | null;
}

/** How on_drift checks the champion (see src/monitor): the data, its time window, the dataset-drift share. */
export interface DriftTrigger {
  /** The current data, relative to the repository: a Parquet/CSV file or a folder of feature logs; default the champion's feature logs. */
  current?: string;
  /** Only feature logs from this many seconds back (logs only). */
  windowSeconds?: number;
  /** The share of drifted features at which the dataset drifts (default the monitor's, 0.5). */
  driftShare?: number;
}

const strict = { additionalProperties: false } as const;
const Duration = Type.Union([Type.String(), Type.Integer({ minimum: 0 })], { description: "a duration such as 14d, 6h or P14D" });

export const PipelineSchema = Type.Object(
  {
    name: Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "a name: letters, digits and _, not starting with a digit" }),
    description: Type.Optional(Type.String()),
    // The registry's model name rule (src/models/names.ts), which this layer cannot import.
    model: Type.String({ pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", description: 'a model name: letters, digits, "_", "-" and "."' }),
    feature_service: Type.String({ minLength: 1 }),
    entities: Type.Optional(Type.String({ minLength: 1 })),
    entity_sql: Type.Optional(Type.String({ minLength: 1 })),
    timestamp_column: Type.Optional(Type.String({ minLength: 1 })),
    label: Type.String({ minLength: 1 }),
    train: Type.Object(
      {
        command: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "a list of words, e.g. [python, train.py] (no shell)" }),
        timeout: Type.Optional(Duration),
      },
      strict,
    ),
    evaluation: Type.Object(
      {
        metric: Type.Union(Object.keys(pipelineMetrics).map((m) => Type.Literal(m)), { description: Object.keys(pipelineMetrics).join(", ") }),
        direction: Type.Optional(Type.Union([Type.Literal("max"), Type.Literal("min")], { description: "max or min" })),
        min_improvement: Type.Optional(Type.Number({ minimum: 0, description: "a number >= 0" })),
      },
      strict,
    ),
    holdout: Duration,
    alias: Type.Optional(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_-]{0,127}$", description: 'an alias: letters, digits, "_" and "-"' })),
    experiment: Type.Optional(Type.String({ minLength: 1 })),
    triggers: Type.Optional(
      Type.Object(
        {
          on_new_data: Type.Optional(Type.Boolean()),
          on_drift: Type.Optional(
            Type.Union(
              [
                Type.Boolean(),
                Type.Object(
                  {
                    current: Type.Optional(Type.String({ minLength: 1 })),
                    window: Type.Optional(Duration),
                    drift_share: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, description: "a share in (0, 1]" })),
                  },
                  strict,
                ),
              ],
              { description: "true, false or {current: FILE, window: 7d, drift_share: 0.5}" },
            ),
          ),
          schedule: Type.Optional(Duration),
        },
        strict,
      ),
    ),
  },
  strict,
);
export type PipelineYaml = Static<typeof PipelineSchema>;

/** Validates what the schema cannot (exclusive keys, durations, direction) and normalizes; undefined after a problem. */
export function normalizePipeline(p: PipelineYaml, at: (path: (string | number)[]) => Location, problems: Problem[]): Pipeline | undefined {
  const before = problems.length;
  const problem = (path: string[], message: string, hint: string) => problems.push({ ...at(path), message: `pipeline "${p.name}" ${message}`, hint });
  if ((p.entities === undefined) === (p.entity_sql === undefined)) {
    problem([], p.entities === undefined ? "has no entity rows" : "has both entities and entity_sql", "give exactly one of entities: FILE or entity_sql: SQL");
  }
  const duration = (path: string[], value: string | number | undefined, what: string): number | undefined => {
    if (value === undefined) return undefined;
    const seconds = parseDurationSeconds(value);
    if (seconds === undefined || seconds === 0) problem(path, `has ${what} "${value}"`, "use a duration greater than 0 such as 14d, 6h or P14D");
    return seconds;
  };
  const holdoutSeconds = duration(["holdout"], p.holdout, "holdout");
  const timeoutSeconds = duration(["train", "timeout"], p.train.timeout, "train.timeout") ?? 0;
  const scheduleSeconds = duration(["triggers", "schedule"], p.triggers?.schedule, "schedule") ?? null;
  const drift = typeof p.triggers?.on_drift === "object" ? p.triggers.on_drift : undefined;
  const windowSeconds = duration(["triggers", "on_drift", "window"], drift?.window, "on_drift.window");
  const metric = p.evaluation.metric as PipelineMetric;
  if (p.evaluation.direction !== undefined && p.evaluation.direction !== pipelineMetrics[metric]) {
    problem(["evaluation", "direction"], `says ${metric} improves towards ${p.evaluation.direction}`, `${metric} is better when it is ${pipelineMetrics[metric] === "max" ? "higher" : "lower"}; set direction: ${pipelineMetrics[metric]} or remove it`);
  }
  const alias = p.alias ?? "champion";
  if (alias.toLowerCase() === "latest" || /^v\d+$/i.test(alias)) problem(["alias"], `uses the reserved alias "${alias}"`, 'choose another name such as "champion"');
  if (problems.length > before) return undefined;
  const onDrift = p.triggers?.on_drift;
  return {
    name: p.name,
    ...(p.description && { description: p.description }),
    model: p.model,
    featureService: p.feature_service,
    entities: p.entities !== undefined ? { path: p.entities } : { sql: p.entity_sql! },
    timestampColumn: p.timestamp_column ?? "event_timestamp",
    label: p.label,
    command: p.train.command,
    timeoutSeconds,
    metric,
    minImprovement: p.evaluation.min_improvement ?? 0,
    holdoutSeconds: holdoutSeconds!,
    alias,
    experiment: p.experiment ?? p.name,
    // Without a triggers block a pipeline retrains when its data changes.
    triggers: {
      onNewData: p.triggers ? p.triggers.on_new_data === true : true,
      onDrift:
        onDrift === undefined || onDrift === false
          ? null
          : {
              ...(drift?.current !== undefined && { current: drift.current }),
              ...(windowSeconds !== undefined && { windowSeconds }),
              ...(drift?.drift_share !== undefined && { driftShare: drift.drift_share }),
            },
      scheduleSeconds,
    },
  };
}

type Where = (name: string) => Location;

/** The feature names a service yields, for the label check; none when the service itself is broken (another rule says so). */
function serviceFeatureNames(defs: Definitions, service: string): string[] {
  try {
    return serviceRefs(defs, service).map((r) => r.feature);
  } catch {
    return [];
  }
}

/** Cross-reference rules of pipelines (see rules.ts): the service exists, the entity file exists, the label is no feature. */
export function pipelineRules(defs: Definitions, where: Where, root: string): Problem[] {
  const services = defs.featureServices.map((s) => s.name);
  return (defs.pipelines ?? []).flatMap((p): Problem[] => {
    const at = where(p.name);
    if (!services.includes(p.featureService)) {
      return [{ ...at, message: `pipeline "${p.name}" uses unknown feature service "${p.featureService}"`, hint: `define it or use one of: ${services.join(", ") || "(none defined)"}` }];
    }
    const problems: Problem[] = [];
    if ("path" in p.entities && !isGlob(p.entities.path) && !existsSync(resolve(root, p.entities.path))) {
      problems.push({ ...at, message: `pipeline "${p.name}" reads entity rows from ${p.entities.path}, which does not exist`, hint: "fix the path (relative to the repository) or create the file" });
    }
    if (serviceFeatureNames(defs, p.featureService).includes(p.label)) {
      problems.push({ ...at, message: `pipeline "${p.name}" uses "${p.label}" as its label, which is also a feature of service "${p.featureService}"`, hint: "a model must not see its label; rename the label column or the feature" });
    }
    return problems;
  });
}
