import type { Command } from "commander";
import type { PipelineResult } from "../../pipeline/run.js";
import type { PipelineRun, TriggerResult } from "../../pipeline/history.js";
import type { Repo } from "../../repo/repo.js";
import { globalOptions, numberFlag, type GlobalOptions } from "../context.js";
import { info, paint, printJson, printLine, printTable } from "../render.js";

/**
 * `mlf pipeline ...`: continuous training with a champion/challenger gate (src/pipeline).
 * `run` exits 0 when it promoted or had nothing to do, 1 when a step failed, 5 when the gate
 * rejected the challenger: a result, printed like any other, not an error.
 */

/** Exit status of `pipeline run` when the gate rejected the challenger. */
const REJECTED = 5;

async function context(command: Command): Promise<{ g: GlobalOptions; repo: Repo; trackingDir: string }> {
  const g = globalOptions(command);
  const { trackingDir } = command.optsWithGlobals<{ trackingDir?: string }>();
  const { openRepo } = await import("../../repo/repo.js");
  const { resolveTrackingDir } = await import("../../tracking/dir.js");
  const repo = await openRepo(g.repo);
  return { g, repo, trackingDir: await resolveTrackingDir({ ...(trackingDir !== undefined && { trackingDir }), repo: repo.root }) };
}

const triggerText = (t: TriggerResult) => `${t.trigger} ${t.fired ? "fired" : "did not fire"}: ${t.reason}`;
const score = (s: { version: number | null; value: number | null }) => (s.version === null && s.value === null ? "" : `${s.version === null ? "-" : `v${s.version}`}${s.value === null ? "" : ` ${s.value.toFixed(4)}`}`);
const runRow = (r: PipelineRun) => [r.startedAt, r.runId, r.outcome, r.triggers.filter((t) => t.fired).map((t) => t.trigger).join(",") || (r.forced ? "forced" : ""), score(r.challenger), score(r.champion), r.reason];
const RUN_HEAD = ["started", "run", "outcome", "triggers", "challenger", "champion", "reason"];

function renderRun(g: GlobalOptions, r: PipelineResult): void {
  if (g.json) return printJson(r);
  if (r.outcome === "dry_run") for (const t of r.triggers) info(g, triggerText(t));
  const colour = r.outcome === "promoted" ? "green" : r.outcome === "failed" ? "red" : r.outcome === "rejected" ? "yellow" : "cyan";
  const head = paint(g, colour, r.outcome === "dry_run" ? "dry run" : r.outcome);
  const run = r.runId ? ` (run ${r.runId})` : "";
  printLine(`${head}: ${r.pipeline}: ${r.reason}${run}`);
}

export function register(program: Command): void {
  const pipeline = program
    .command("pipeline")
    .description("continuous training: retrain on new data or drift, promote only a challenger that beats the champion")
    .option("--tracking-dir <dir>", "tracking root (default: $MLF_TRACKING_DIR, the repository's tracking.path)");

  pipeline
    .command("run <name>")
    .description(`train a challenger when a trigger fired, score it and the champion on the same holdout, promote it only if better (exit 0 promoted or nothing to do, 1 failed, ${REJECTED} rejected)`)
    .option("--dry-run", "check the triggers and say what would happen; write nothing")
    .option("--force", "train even when no trigger fired")
    .option("--wait <seconds>", "wait this long for another run of the pipeline to finish (default: fail at once)")
    .action(async (name: string, o: { dryRun?: boolean; force?: boolean; wait?: string }, command: Command) => {
      const { g, repo, trackingDir } = await context(command);
      const { runPipeline } = await import("../../pipeline/run.js");
      const result = await runPipeline(repo, name, {
        trackingDir,
        ...(o.dryRun && { dryRun: true }),
        ...(o.force && { force: true }),
        ...(o.wait !== undefined && { waitMs: numberFlag("--wait", o.wait, 0) * 1000 }),
        onProgress: (e) => {
          if (e.phase === "end") info(g, `${e.step.padEnd(8)} ${e.detail ?? ""}${e.seconds === undefined ? "" : ` (${e.seconds.toFixed(1)} s)`}`);
        },
      });
      renderRun(g, result);
      if (result.outcome === "failed") process.exitCode = 1;
      if (result.outcome === "rejected") process.exitCode = REJECTED;
    });

  pipeline
    .command("status <name>")
    .description("the champion, whether a run is due (triggers checked now), a run in progress and the last runs")
    .action(async (name: string, _o: object, command: Command) => {
      const { g, repo, trackingDir } = await context(command);
      const { pipelineStatus } = await import("../../pipeline/status.js");
      const s = await pipelineStatus(repo, trackingDir, name);
      if (g.json) return printJson(s);
      const champion = s.champion ? `version ${s.champion.version}${s.champion.value === null ? "" : ` (${s.metric} ${s.champion.value.toFixed(4)})`}` : "none";
      printLine(`pipeline ${s.pipeline}: model ${s.model}, @${s.alias} -> ${champion}; gate: ${s.metric}, at least ${s.minImprovement} better`);
      printLine(s.running ? `running: run ${s.running.runId} since ${s.running.startedAt}` : `due now: ${s.due ? "yes" : "no"}`);
      for (const t of s.triggers) printLine(`  ${triggerText(t)}`);
      if (s.runs.length > 0) await printTable(g, RUN_HEAD, s.runs.map(runRow));
    });

  pipeline
    .command("history <name>")
    .description("every run of the pipeline, newest first: triggers fired, both scores, the gate's outcome")
    .option("--limit <n>", "at most this many runs")
    .action(async (name: string, o: { limit?: string }, command: Command) => {
      const { g, repo, trackingDir } = await context(command);
      const { pipelineHistory } = await import("../../pipeline/status.js");
      const runs = pipelineHistory(repo, trackingDir, name, o.limit === undefined ? undefined : numberFlag("--limit", o.limit, 1));
      if (g.json) return printJson(runs);
      await printTable(g, RUN_HEAD, runs.map(runRow));
    });

  pipeline
    .command("list")
    .description("the applied pipelines with their champion and last outcome")
    .action(async (_o: object, command: Command) => {
      const { g, repo, trackingDir } = await context(command);
      const { listPipelines } = await import("../../pipeline/status.js");
      const list = listPipelines(repo, trackingDir);
      if (g.json) return printJson(list.map((p) => ({ ...p.pipeline, champion: p.champion, last: p.last })));
      await printTable(g, ["name", "model", "alias", "champion", "metric", "last run", "outcome"], list.map((p) => [p.pipeline.name, p.pipeline.model, p.pipeline.alias, p.champion, p.pipeline.metric, p.last?.startedAt, p.last?.outcome]));
    });
}
