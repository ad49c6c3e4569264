import type { Command } from "commander";
import { MlfError } from "../../errors.js";
import { formatTime } from "../../util/time.js";
import type { Run } from "../../tracking/types.js";
import { collect, globalOptions, TRACKING_DIR_HELP, trackingRoot, type GlobalOptions } from "../context.js";
import { info, paint, printJson, printLine, printTable, warn } from "../render.js";
import { keyValues, registerRun } from "./track-run.js";

/** `mlf track ...`: thin commands over src/tracking (MLflow's file layout, SPEC section 6). */

interface TrackOptions {
  run?: string;
}

async function root(command: Command): Promise<string> {
  return (await trackingRoot(command)).dir;
}

function runId(command: Command): string {
  const id = command.optsWithGlobals<TrackOptions>().run ?? process.env.MLF_RUN_ID;
  if (!id) throw new MlfError("usage", "No run given; pass --run ID or set MLF_RUN_ID (mlf track run sets it for the command).");
  return id;
}

function integer(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw new MlfError("usage", `${what} must be an integer, got "${text}".`);
  return Number(text);
}

const time = (ms: number | null) => (ms === null ? "" : formatTime(ms));
const statusText = (g: GlobalOptions, r: Run) => {
  const s = r.liveness === "dead" ? `${r.info.status} (dead)` : r.info.status;
  const color = r.liveness === "dead" || r.info.status === "FAILED" || r.info.status === "KILLED" ? "red" : r.info.status === "FINISHED" ? "green" : "yellow";
  return paint(g, color, s);
};
const fmt = (v: string | number | undefined) => (v === undefined ? "" : typeof v === "number" ? String(Number(v.toPrecision(6))) : v);
const warnAll = (g: GlobalOptions, warnings: string[]) => warnings.forEach((w) => warn(g, w));

/**
 * MLflow's Run object, plus what only mlf knows in a separate `mlf` field (never inside
 * MLflow's fields): the liveness of a RUNNING run and the local folder of its artifacts.
 */
async function runWithLiveness(dir: string): Promise<(run: Run) => object> {
  const { runJson } = await import("../../mlflow/json.js");
  const { readRunIo } = await import("../../tracking/run-io.js");
  return (run) => ({ ...runJson(run, readRunIo(dir, run.info)), mlf: { liveness: run.liveness, artifact_dir: run.info.artifactDir } });
}

export function register(program: Command): void {
  const track = program
    .command("track")
    .description("experiment tracking in MLflow's file layout")
    .option("--tracking-dir <dir>", TRACKING_DIR_HELP)
    .enablePositionalOptions();
  const withRun = (c: Command) => c.option("--run <id>", "run id (default: $MLF_RUN_ID)");

  registerRun(track);

  track
    .command("start")
    .description("open a run by hand (prints its id)")
    .option("-e, --experiment <name>", "experiment name or id (created if missing)")
    .option("-n, --name <name>", "run name")
    .option("-p, --param <key=value>", "a param (repeatable)", collect)
    .option("-t, --tag <key=value>", "a tag (repeatable)", collect)
    .action(async (o: { experiment?: string; name?: string; param?: string[]; tag?: string[] }, command: Command) => {
      const g = globalOptions(command);
      const { startRun } = await import("../../tracking/write.js");
      const run = startRun(await root(command), {
        ...(o.experiment !== undefined && { experiment: o.experiment }),
        ...(o.name !== undefined && { runName: o.name }),
        params: keyValues(o.param, "param"),
        tags: keyValues(o.tag, "tag"),
        sourceName: "mlf track start",
      });
      if (g.json) printJson((await import("../../mlflow/json.js")).runInfoJson(run));
      else printLine(run.runId);
    });

  withRun(track.command("end").description("close a run"))
    .option("--status <status>", "FINISHED, FAILED or KILLED", "FINISHED")
    .action(async (o: { status: string }, command: Command) => {
      const g = globalOptions(command);
      const { endRun } = await import("../../tracking/write.js");
      const run = endRun(await root(command), runId(command), { status: o.status.toUpperCase() as "FINISHED" });
      if (g.json) printJson((await import("../../mlflow/json.js")).runInfoJson(run));
      else info(g, `Run ${run.runId} ${run.status}.`);
    });

  // log-param and set-tag: a key and a value written to a run (params immutable, tags not).
  for (const [usage, description, writer] of [
    ["log-param <key> <value>", "log a param (params are immutable)", "logParam"],
    ["set-tag <key> <value>", "set a tag", "setTag"],
  ] as const) {
    withRun(track.command(usage).description(description)).action(async (key: string, value: string, _o: object, command: Command) => {
      const write = (await import("../../tracking/write.js"))[writer];
      const id = runId(command);
      write(await root(command), id, key, value);
      if (globalOptions(command).json) printJson({ runId: id, key, value });
    });
  }

  withRun(track.command("log-metric <key> <value>").description("append a metric point"))
    .option("--step <n>", "integer step", "0")
    .option("--timestamp <time>", "epoch ms or ISO-8601 time (default now)")
    .action(async (key: string, value: string, o: { step: string; timestamp?: string }, command: Command) => {
      const { logMetric } = await import("../../tracking/write.js");
      const { parseMetricValue } = await import("../../tracking/files.js");
      const { parseTime } = await import("../../util/time.js");
      const v = parseMetricValue(value);
      if (Number.isNaN(v) && value.trim().toLowerCase() !== "nan") throw new MlfError("usage", `The metric value "${value}" is not a number; pass e.g. 0.93.`);
      const timestamp = o.timestamp === undefined ? Date.now() : /^\d+$/.test(o.timestamp) ? Number(o.timestamp) : parseTime(o.timestamp, "timestamp");
      const step = integer(o.step, "--step")!;
      const id = runId(command);
      logMetric(await root(command), id, key, v, { step, timestamp });
      if (globalOptions(command).json) printJson({ runId: id, key, value: v, step, timestamp });
    });


  withRun(track.command("log-artifact <path>").description("copy a file or folder into the run's artifacts"))
    .option("--artifact-path <dir>", "folder inside the run's artifacts")
    .action(async (path: string, o: { artifactPath?: string }, command: Command) => {
      const { logArtifact } = await import("../../tracking/write.js");
      const id = runId(command);
      const dest = logArtifact(await root(command), id, path, o.artifactPath ?? "");
      if (globalOptions(command).json) printJson({ runId: id, path: dest });
      else info(globalOptions(command), `Logged ${dest}`);
    });

  track
    .command("ls")
    .description("search runs with MLflow's filter grammar")
    .option("-e, --experiment <name>", "experiment name or id (repeatable; default all)", collect)
    .option("--filter <filter>", `e.g. "metrics.auc > 0.8 and params.model = 'lr'"`)
    .option("--order-by <clause>", `e.g. "metrics.auc DESC" (repeatable)`, collect)
    .option("--max-results <n>", "at most this many runs")
    .option("--no-index", "read every run's files instead of the index")
    .action(async (o: { experiment?: string[]; filter?: string; orderBy?: string[]; maxResults?: string; index: boolean }, command: Command) => {
      const g = globalOptions(command);
      const { searchRuns } = await import("../../tracking/search.js");
      const { parseFilter, parseOrderBy } = await import("../../tracking/filter.js");
      const max = integer(o.maxResults, "--max-results");
      const dir = await root(command);
      const { runs, warnings } = searchRuns(dir, {
        ...(o.experiment && { experiments: o.experiment }),
        ...(o.filter !== undefined && { filter: o.filter }),
        ...(o.orderBy && { orderBy: o.orderBy }),
        ...(max !== undefined && { maxResults: max }),
        useIndex: o.index,
      });
      warnAll(g, warnings);
      if (g.json) return printJson(runs.map(await runWithLiveness(dir)));
      // Columns for the keys the user asked about, so the answer shows why a run matched.
      const keys = [...parseFilter(o.filter).map((c) => c.key), ...parseOrderBy(o.orderBy).map((x) => x.key)].filter((k) => k.kind !== "attribute");
      const extra = [...new Map(keys.map((k) => [`${k.kind}s.${k.name}`, k])).values()];
      const { valueOf } = await import("../../tracking/search.js");
      await printTable(g, ["run_id", "name", "experiment", "status", "start_time", ...extra.map((k) => `${k.kind}s.${k.name}`)],
        runs.map((r) => [r.info.runId, r.info.runName, r.info.experimentId, statusText(g, r), time(r.info.startTime), ...extra.map((k) => fmt(valueOf(r, k)))]));
      info(g, `${runs.length} run${runs.length === 1 ? "" : "s"}`);
    });

  track
    .command("show <run>")
    .description("one run: info, params, latest metrics, tags")
    .action(async (id: string, _o: object, command: Command) => {
      const g = globalOptions(command);
      const { getRun } = await import("../../tracking/read.js");
      const dir = await root(command);
      const { warnings, ...run } = getRun(dir, id);
      warnAll(g, warnings);
      if (g.json) return printJson((await runWithLiveness(dir))(run));
      const i = run.info;
      printLine(`${paint(g, "bold", i.runName)}  ${i.runId}\n  experiment ${i.experimentId}  status ${statusText(g, run)}  user ${i.userId}\n  start ${time(i.startTime)}  end ${time(i.endTime)}\n  artifacts ${i.artifactDir}`);
      for (const [title, entries] of [["params", Object.entries(run.params)], ["metrics", Object.values(run.metrics).map((m) => [m.key, `${fmt(m.value)} (step ${m.step}, ${time(m.timestamp)})`])], ["tags", Object.entries(run.tags).filter(([k]) => k !== "mlflow.log-model.history")]] as const) {
        if (entries.length === 0) continue;
        printLine(paint(g, "bold", `${title}:`));
        for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : 1))) printLine(`  ${k}: ${v}`);
      }
    });

  track
    .command("compare <runs...>")
    .description("params and latest metrics of runs side by side, differences highlighted")
    .action(async (ids: string[], _o: object, command: Command) => {
      const g = globalOptions(command);
      const { getRun } = await import("../../tracking/read.js");
      const { compareRuns } = await import("../../tracking/compare.js");
      const dir = await root(command);
      const runs = ids.map((id) => getRun(dir, id));
      warnAll(g, runs.flatMap((r) => r.warnings));
      const c = compareRuns(runs);
      if (g.json) return printJson(c);
      const rows = [...c.params.map((p) => ({ ...p, key: `params.${p.key}` })), ...c.metrics.map((m) => ({ ...m, key: `metrics.${m.key}` }))];
      await printTable(g, ["", "key", ...c.runNames.map((n, i) => `${n} (${c.runIds[i]!.slice(0, 8)})`)],
        rows.map((r) => [r.differs ? "*" : "", r.differs ? paint(g, "yellow", r.key) : r.key, ...r.values.map((v) => (r.differs ? paint(g, "yellow", fmt(v)) : fmt(v)))]));
    });

  track
    .command("plot <runs...>")
    .description("metric history as a chart in the terminal")
    .requiredOption("--metric <name>", "the metric to plot")
    .option("--height <n>", "chart height in lines", "15")
    .action(async (ids: string[], o: { metric: string; height: string }, command: Command) => {
      const g = globalOptions(command);
      const { getMetricHistory } = await import("../../tracking/read.js");
      const dir = await root(command);
      // A run without the metric is left out with a warning; only when none has it is it an error.
      const missing: MlfError[] = [];
      const series = ids.flatMap((id) => {
        try {
          const { metrics, warnings } = getMetricHistory(dir, id, o.metric);
          warnAll(g, warnings);
          return [{ runId: id, points: [...metrics].sort((a, b) => a.step - b.step || a.timestamp - b.timestamp).map(({ step, value, timestamp }) => ({ step, value, timestamp })) }];
        } catch (error) {
          if (!(error instanceof MlfError && error.code === "not_found" && ids.length > 1)) throw error;
          missing.push(error);
          return [];
        }
      });
      if (series.length === 0) throw missing[0]!;
      missing.forEach((e) => warn(g, e.message));
      if (g.json) return printJson({ metric: o.metric, series });
      const chart = await import("asciichart");
      const colors = [chart.blue, chart.green, chart.red, chart.yellow, chart.magenta, chart.cyan];
      const data = series.map((s) => s.points.map((p) => p.value).filter(Number.isFinite));
      if (data.every((d) => d.length === 0)) throw new MlfError("invalid_data", `Metric "${o.metric}" has no finite values to plot.`);
      printLine(chart.plot(data, { height: integer(o.height, "--height")!, ...(g.color && { colors: series.map((_, i) => colors[i % colors.length]!) }) }));
      series.forEach((s, i) => printLine(`  ${g.color ? colors[i % colors.length] : ""}${i + 1}${g.color ? chart.reset : ""}: ${s.runId} (${s.points.length} points)`));
    });

  track
    .command("import <db>")
    .description("bring an MLflow SQLite store (mlflow.db) into the tracking folder: experiments, runs, metric history, registry")
    .action(async (db: string, _o: object, command: Command) => {
      const g = globalOptions(command);
      const { importMlflowDb } = await import("../../mlflow/import-db.js");
      const dir = await root(command);
      const summary = importMlflowDb(dir, db);
      if (g.json) return printJson(summary);
      info(g, `Imported ${db} into ${dir}: ${summary.experiments} experiments, ${summary.runs} runs (${summary.params} params, ${summary.tags} tags, ${summary.metricPoints} metric points), ${summary.models} models, ${summary.versions} versions, ${summary.aliases} aliases.`);
    });

  track
    .command("experiments")
    .description("list experiments")
    .option("--all", "include deleted experiments")
    .action(async (o: { all?: boolean }, command: Command) => {
      const g = globalOptions(command);
      const { listExperiments, listRunIds } = await import("../../tracking/read.js");
      const dir = await root(command);
      const list = listExperiments(dir, { includeDeleted: o.all === true }).map((e) => ({ ...e, runs: listRunIds(dir, e.experimentId).length }));
      const { experimentJson } = await import("../../mlflow/json.js");
      if (g.json) return printJson(list.map((e) => ({ ...experimentJson(e), mlf: { runs: e.runs } })));
      await printTable(g, ["id", "name", "runs", "lifecycle", "created"], list.map((e) => [e.experimentId, e.name, e.runs, e.lifecycleStage, time(e.creationTime)]));
    });
}
