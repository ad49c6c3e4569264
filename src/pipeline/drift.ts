import { MlfError } from "../errors.js";
import { monitorDrift } from "../monitor/model-drift.js";
import type { Pipeline } from "../repo/pipelines.js";
import type { Repo } from "../repo/repo.js";
import { currentChampion } from "./steps.js";

/**
 * The on_drift trigger: the monitor's dataset drift of the champion (what `mlf monitor drift
 * --model NAME/N` reports), on its feature logs of the last `window` or on the configured
 * current data, against the reference recorded when the version was registered. It fires when
 * the monitor says the dataset drifted. A check that cannot run (no champion, no reference,
 * no current data yet) does not fire, and says why.
 */
export async function championDrift(repo: Repo, trackingDir: string, pipeline: Pipeline, now: number): Promise<{ drifted: boolean; reason: string }> {
  const trigger = pipeline.triggers.onDrift;
  const version = currentChampion(trackingDir, pipeline);
  if (!trigger || version === null) return { drifted: false, reason: `no champion to monitor (${pipeline.model}@${pipeline.alias} is not set)` };
  try {
    const report = await monitorDrift({
      model: `models:/${pipeline.model}/${version}`,
      trackingDir,
      repoRoot: repo.root,
      cwd: repo.root,
      offline: repo.config.offlineStore,
      ...(trigger.current !== undefined && { current: trigger.current }),
      ...(trigger.windowSeconds !== undefined && { since: now - trigger.windowSeconds * 1000 }),
      ...(trigger.driftShare !== undefined && { driftShare: trigger.driftShare }),
    });
    const d = report.dataset;
    return {
      drifted: d.drift,
      reason: `${d.drifted} of ${d.features} features of version ${version} drifted on ${report.current.rows} rows (share ${d.share.toFixed(2)}, drift at ${d.driftShare})`,
    };
  } catch (error) {
    if (!(error instanceof MlfError)) throw error;
    return { drifted: false, reason: `not checked: ${error.message}` };
  }
}
