import { spawnSync } from "node:child_process";
import { MLF_BIN, PACKAGE_ROOT } from "./mlf.js";

/**
 * The demo's continuous-training steps, after the loop registered and served a champion by
 * hand: the bundled pipeline (feature_repo/pipelines.yaml) trains a challenger with squared
 * inputs, which beats the hand-made champion on the last 14 days and is promoted; forced to
 * retrain on unchanged data, it makes the same model, which is no better and is rejected.
 */
export interface PipelineStepsResult {
  promoted: PipelineRunJson;
  rejected: PipelineRunJson;
}

interface PipelineRunJson {
  outcome: string;
  reason: string;
  runId: string | null;
  champion: { version: number; value: number | null } | null;
  challenger?: { version: number; value: number };
  datasets?: { trainRows: number; holdoutRows: number };
}

/** `mlf pipeline run` exits 5 when the gate rejects: a result, not a failure. */
function pipelineRun(repo: string, ...flags: string[]): PipelineRunJson {
  const result = spawnSync(process.execPath, [MLF_BIN, "-C", repo, "pipeline", "run", "delay_model_retrain", "--json", ...flags], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, TZ: "UTC", NO_COLOR: "1" },
    encoding: "utf8",
  });
  if (result.status !== 0 && result.status !== 5) throw new Error(`mlf pipeline run exited with ${result.status}: ${(result.stderr || result.stdout).trim()}`);
  return JSON.parse(result.stdout) as PipelineRunJson;
}

const fmt = (n: number) => n.toLocaleString("en-US");

export function runPipelineSteps(repo: string, onStep: (name: string, detail: string, seconds: number) => void): PipelineStepsResult {
  const timed = <T>(name: string, fn: () => T, detail: (value: T) => string): T => {
    const started = performance.now();
    const value = fn();
    onStep(name, detail(value), (performance.now() - started) / 1000);
    return value;
  };
  const scores = (r: PipelineRunJson) => `challenger v${r.challenger?.version} AUC ${r.challenger?.value.toFixed(4)} vs champion v${r.champion?.version} ${r.champion?.value?.toFixed(4)} on ${fmt(r.datasets?.holdoutRows ?? 0)} held-out departures`;
  const promoted = timed("pipeline", () => pipelineRun(repo), (r) => `mlf pipeline run delay_model_retrain (squared inputs, trained on ${fmt(r.datasets?.trainRows ?? 0)} older departures): ${scores(r)} -> ${r.outcome}`);
  const rejected = timed("retrain", () => pipelineRun(repo, "--force"), (r) => `mlf pipeline run --force on unchanged data: ${scores(r)} -> ${r.outcome} (exit 5), champion stays v${r.champion?.version}`);
  return { promoted, rejected };
}
