import type { Command } from "commander";
import { MlfError } from "../../errors.js";
import type { FeatureDrift } from "../../monitor/drift.js";
import type { ModelDriftReport } from "../../monitor/model-drift.js";
import type { StatTestName } from "../../monitor/stattests/tests.js";
import { collect, globalOptions, modelLogSources, TRACKING_DIR_HELP, parseSince, trackingRoot, type GlobalOptions } from "../context.js";
import { info, paint, printJson, printLine, printTable } from "../render.js";

/**
 * `mlf monitor drift`: exit status 4 when the dataset drifts, so a cron job or CI step can act
 * on it. Drift is a finding, not an error: the report is printed in full either way.
 */
export const DRIFT_DETECTED = 4;

interface Flags {
  model?: string;
  reference?: string;
  current?: string;
  since?: string;
  features?: string;
  stattest?: string[];
  threshold?: string[];
  driftShare?: string;
  html?: string;
  webhook?: string;
}

/** `NAME` or `feature=NAME`, repeatable: one value for all features, and per-feature overrides. */
function perFeature<T>(values: string[] | undefined, parse: (v: string, flag: string) => T, flag: string): { all?: T; by: Record<string, T> } {
  const out: { all?: T; by: Record<string, T> } = { by: {} };
  for (const v of values ?? []) {
    const eq = v.lastIndexOf("=");
    if (eq < 0) out.all = parse(v, flag);
    else out.by[v.slice(0, eq)] = parse(v.slice(eq + 1), flag);
  }
  return out;
}

async function parseTest(name: string, flag: string): Promise<StatTestName> {
  const { isStatTestName, statTests } = await import("../../monitor/stattests/tests.js");
  if (!isStatTestName(name)) throw new MlfError("usage", `${flag} "${name}" is not a drift test; use one of ${Object.keys(statTests).join(", ")}.`);
  return name;
}

function parseNumber(text: string, flag: string, min = 0, max = Infinity): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < min || n > max) throw new MlfError("usage", `${flag} "${text}" is not a number from ${min} to ${max}.`);
  return n;
}

const fmt = (x: number | null) => (x === null ? "" : Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2));
const pct = (x: number | undefined) => (x === undefined ? "" : `${(x * 100).toFixed(1)}%`);

function row(g: GlobalOptions, f: FeatureDrift): string[] {
  const verdict = f.drifted ? paint(g, "red", "DRIFT") : paint(g, "green", "ok");
  return [
    f.name,
    f.test ?? f.note ?? "",
    fmt(f.score),
    fmt(f.threshold),
    `${verdict}${f.approximate ? " ~" : ""}`,
    `${pct(f.reference.missingShare)} -> ${pct(f.current.missingShare)}`,
    pct(f.current.statusShares?.OUTSIDE_MAX_AGE),
  ];
}

async function render(g: GlobalOptions, report: ModelDriftReport): Promise<void> {
  const head = ["feature", "test", "score", "threshold", "drift", "missing ref -> cur", "too old"];
  const rows = report.features.map((f) => row(g, f));
  if (report.prediction) rows.push(row(g, { ...report.prediction, name: "(prediction)" }));
  await printTable(g, head, rows);
  const d = report.dataset;
  const verdict = d.drift ? paint(g, "red", "dataset drift detected") : paint(g, "green", "no dataset drift");
  printLine(`${d.drifted} of ${d.features} features drifted (${pct(d.share)}, dataset drift at ${pct(d.driftShare)}): ${verdict}.`);
  if (report.features.some((f) => f.approximate)) info(g, "~ computed from the stored reference profile: approximate (the training file is gone or changed).");
  for (const s of report.skipped) info(g, `not tested: ${s.name} (${s.reason})`);
}

export function register(program: Command): void {
  const monitor = program.command("monitor").description("monitoring: drift of served features against the training data");
  monitor
    .command("drift")
    .description("per-feature drift tests (Evidently's defaults) of current data against a reference; exit 4 on dataset drift")
    .option("--model <ref>", "a registered model (NAME@ALIAS, NAME/N): its reference data and feature logs")
    .option("--reference <file>", "reference data (.parquet/.csv); with --model, instead of the registered one")
    .option("--current <file|dir>", "current data (.parquet/.csv) or a feature log folder (default with --model: the model's feature logs under the repository's logging.path, else data/logs)")
    .option("--since <time>", "only logged rows since a duration ago (24h, 7d) or a time (ISO-8601)")
    .option("--features <names>", "only these features (comma-separated)")
    .option("--stattest <test>", "ks, wasserstein, chisquare, z, jensenshannon or psi, for every feature that takes it, or feature=test (repeatable)", collect)
    .option("--threshold <x>", "drift threshold for every feature, or feature=x (repeatable)", collect)
    .option("--drift-share <share>", "dataset drift when at least this share of features drift (default 0.5)")
    .option("--html <file>", "also write a self-contained HTML report")
    .option("--webhook <url>", "POST a JSON alert here when dataset drift is detected")
    .option("--tracking-dir <dir>", TRACKING_DIR_HELP)
    .action(async (flags: Flags, command: Command) => {
      const g = globalOptions(command);
      const { checkWebhookUrl, postDriftAlert } = await import("../../monitor/webhook.js");
      const webhook = flags.webhook === undefined ? undefined : checkWebhookUrl(flags.webhook);
      const tests = perFeature(flags.stattest, (v) => v, "--stattest");
      const thresholds = perFeature(flags.threshold, (v, f) => parseNumber(v, f), "--threshold");
      const stattests: Record<string, StatTestName> = {};
      for (const [feature, name] of Object.entries(tests.by)) stattests[feature] = await parseTest(name, "--stattest");
      const { monitorDrift } = await import("../../monitor/model-drift.js");
      const report = await monitorDrift({
        ...(flags.model !== undefined && { model: flags.model, ...(await modelLogSources(await trackingRoot(command))) }),
        ...(flags.reference !== undefined && { reference: flags.reference }),
        ...(flags.current !== undefined && { current: flags.current }),
        ...(flags.since !== undefined && { since: await parseSince(flags.since) }),
        ...(flags.features !== undefined && { features: flags.features.split(",").map((f) => f.trim()).filter(Boolean) }),
        ...(tests.all !== undefined && { stattest: await parseTest(tests.all, "--stattest") }),
        stattests,
        ...(thresholds.all !== undefined && { threshold: thresholds.all }),
        thresholds: thresholds.by,
        ...(flags.driftShare !== undefined && { driftShare: parseNumber(flags.driftShare, "--drift-share", 0, 1) }),
      });
      if (flags.html !== undefined) {
        const { renderHtmlReport } = await import("../../monitor/report-html.js");
        const { writeFileAtomic } = await import("../../util/fs.js");
        writeFileAtomic(flags.html, renderHtmlReport(report));
      }
      const alert = webhook !== undefined && report.dataset.drift ? await postDriftAlert(webhook, report) : undefined;
      if (g.json) printJson({ ...report, ...(alert && { webhook: alert }) });
      else await render(g, report);
      if (flags.html !== undefined) info(g, `HTML report: ${flags.html}`);
      if (alert && !alert.delivered) {
        // The alert was asked for and did not go out: that is a failure (exit 1), even though
        // drift was found; the message says both.
        process.stderr.write(`${paint(g, "red", "error:")} Dataset drift was detected, but the alert could not be posted to ${alert.url} (${alert.error}, ${alert.attempts} attempt${alert.attempts > 1 ? "s" : ""}); check the webhook.\n`);
        process.exitCode = 1;
      } else if (report.dataset.drift) process.exitCode = DRIFT_DETECTED;
    });
}
