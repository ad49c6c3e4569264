import type { Pipeline } from "../repo/pipelines.js";
import type { Definitions } from "../repo/types.js";
import { formatDuration, formatTime } from "../util/time.js";
import { fingerprint, fingerprintChanges, type Fingerprint } from "./fingerprint.js";
import type { PipelineRun, TriggerResult } from "./history.js";

/** What the triggers are checked against. */
export interface TriggerContext {
  root: string;
  defs: Definitions;
  pipeline: Pipeline;
  /** The newest run whose gate decided, with the fingerprint it trained on. */
  last: { run: PipelineRun; fingerprint?: Fingerprint } | undefined;
  /** The champion's dataset drift (see drift.ts), checked when on_drift is configured. */
  drift: () => Promise<{ drifted: boolean; reason: string }>;
  /** Epoch ms. */
  now: number;
}

export interface TriggerCheck {
  results: TriggerResult[];
  /** The data as it is now: recorded with a run, compared by the next one. */
  fingerprint: Fingerprint;
}

const ago = (ms: number) => formatDuration(Math.max(0, Math.round(ms / 1000))) || "0s";

/**
 * Checks each configured trigger. A run is due when one fired. Nothing here writes, so
 * `--dry-run` and `status` call it too. The data is "new" relative to the last run whose gate
 * decided: a failed or interrupted run consumed nothing, so the next call tries again.
 */
export async function checkTriggers(ctx: TriggerContext): Promise<TriggerCheck> {
  const { pipeline, last, now } = ctx;
  const current = await fingerprint(ctx.root, ctx.defs, pipeline, last?.fingerprint);
  const results: TriggerResult[] = [];
  const lastStart = last?.run.startedAt ? Date.parse(last.run.startedAt) : undefined;
  if (pipeline.triggers.onNewData) {
    if (!last) results.push({ trigger: "on_new_data", fired: true, reason: "no run has been evaluated yet" });
    else if (!last.fingerprint) results.push({ trigger: "on_new_data", fired: true, reason: `run ${last.run.runId} recorded no fingerprint of its data` });
    else {
      const changes = fingerprintChanges(last.fingerprint, current);
      results.push(
        changes.length > 0
          ? { trigger: "on_new_data", fired: true, reason: `since run ${last.run.runId}: ${changes.join(", ")}` }
          : { trigger: "on_new_data", fired: false, reason: `no change since run ${last.run.runId} (${Object.keys(current.files).length} files)` },
      );
    }
  }
  if (pipeline.triggers.scheduleSeconds !== null) {
    const every = pipeline.triggers.scheduleSeconds * 1000;
    if (lastStart === undefined) results.push({ trigger: "schedule", fired: true, reason: "no run has been evaluated yet" });
    else if (now - lastStart >= every) results.push({ trigger: "schedule", fired: true, reason: `the last evaluated run started ${ago(now - lastStart)} ago (every ${formatDuration(pipeline.triggers.scheduleSeconds)})` });
    else results.push({ trigger: "schedule", fired: false, reason: `next due at ${formatTime(lastStart + every)}` });
  }
  if (pipeline.triggers.onDrift !== null) {
    const drift = await ctx.drift();
    results.push({ trigger: "on_drift", fired: drift.drifted, reason: drift.reason });
  }
  return { results, fingerprint: current };
}
