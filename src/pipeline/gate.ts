import { pipelineMetrics, type PipelineMetric } from "../repo/pipelines.js";
import { improvement } from "./metrics.js";

/** The gate's verdict on one challenger. */
export interface GateDecision {
  promote: boolean;
  /** challenger - champion in the metric's better direction; null without a champion. */
  improvement: number | null;
  /** One sentence naming both scores. */
  reason: string;
}

/** Differences this small are rounding, not improvement (scores are means over thousands of rows). */
const EPSILON = 1e-12;

const fmt = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

/**
 * Champion/challenger: the challenger is promoted when there is no champion, or when it is
 * better on the same holdout by at least `minImprovement` (and by more than nothing: a tie
 * never replaces the champion, so retraining on unchanged data does not churn versions).
 */
export function decide(metric: PipelineMetric, minImprovement: number, challenger: number, champion: { version: number; value: number } | null): GateDecision {
  if (!champion) return { promote: true, improvement: null, reason: `no champion yet; the challenger scores ${metric} ${fmt(challenger)}` };
  const gain = improvement(metric, challenger, champion.value);
  const better = pipelineMetrics[metric] === "max" ? "higher" : "lower";
  const scores = `challenger ${metric} ${fmt(challenger)} vs champion version ${champion.version} ${fmt(champion.value)}`;
  if (gain > EPSILON && gain >= minImprovement - EPSILON) return { promote: true, improvement: gain, reason: `${scores}: ${fmt(gain)} ${better}, at least the ${fmt(minImprovement)} required` };
  const why = gain > EPSILON ? `only ${fmt(gain)} ${better}, less than the ${fmt(minImprovement)} required` : gain < -EPSILON ? `${fmt(-gain)} worse` : "no better";
  return { promote: false, improvement: gain, reason: `${scores}: ${why}` };
}
