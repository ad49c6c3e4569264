import { relative } from "node:path";
import type { Command } from "commander";
import { MlfError } from "../../errors.js";
import type { GlobalReport } from "../../monitor/explain-global.js";
import type { ExplainAnswer, RowExplanation } from "../../serving/explain.js";
import { collect, collectList, globalOptions, modelLogSources, numberFlag, parseEntities, parseSince, TRACKING_DIR_HELP, trackingRoot, type GlobalOptions } from "../context.js";
import { paint, printJson, printLine } from "../render.js";

interface Flags {
  model: string;
  entity?: string[];
  feature?: string[];
  value?: string[];
  global?: boolean;
  current?: string;
  since?: string;
  rows?: string;
}

/** Characters of the longest bar (each side of the axis for signed charts). */
const BAR = 24;
const BLOCKS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A bar of `cells` character cells, in eighths. */
function bar(cells: number): string {
  const eighths = Math.round(cells * 8);
  return "█".repeat(Math.floor(eighths / 8)) + BLOCKS[eighths % 8]!;
}

const num = (x: number) => (x === 0 || (Math.abs(x) >= 0.001 && Math.abs(x) < 1e6) ? String(Number(x.toPrecision(4))) : x.toExponential(2));
const signed = (x: number) => (x >= 0 ? `+${num(x)}` : num(x));
const pad = (rows: string[][]) => rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));

/** `--value view:feature=1.5` flags as /explain's request-time `features` (JSON values: numbers, null, true/false; else text). */
function parseValues(flags: string[]): Record<string, string | number | boolean | null> {
  const values: Record<string, string | number | boolean | null> = {};
  for (const flag of flags) {
    const at = flag.lastIndexOf("=");
    if (at <= 0) throw new MlfError("usage", `The value "${flag}" is not of the form view:feature=value; for example --value driver_stats:trips=12.`);
    const text = flag.slice(at + 1).trim();
    let value: string | number | boolean | null = text;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed === null || typeof parsed === "number" || typeof parsed === "boolean") value = parsed;
    } catch {
      // Not JSON: the text itself.
    }
    values[flag.slice(0, at).trim()] = value;
  }
  return values;
}

/** One explanation as a signed bar chart: features by |attribution|, negative bars left of the axis. */
function renderRow(g: GlobalOptions, head: string, e: RowExplanation, backgroundRows: number): void {
  const cls = e.class === undefined ? "" : `, class ${e.class}`;
  const space = e.space === "output" ? "the prediction's units" : e.transform === "logistic" ? "margin space (log-odds: prediction = logistic(base + sum))" : `margin space (the score before ${e.transform})`;
  printLine(`${head}: prediction ${typeof e.prediction === "number" ? num(e.prediction) : JSON.stringify(e.prediction)}${cls}; ${e.method}, ${e.approximate ? "an estimate" : "exact"}`);
  printLine(`attributions in ${space}; base value ${num(e.base_value)} = mean over ${backgroundRows} reference rows`);
  const sorted = [...e.attributions].sort((a, b) => Math.abs(b.attribution) - Math.abs(a.attribution));
  const largest = Math.max(...sorted.map((a) => Math.abs(a.attribution)), 1e-300);
  const cells = sorted.map((a) => [a.feature, a.value === null ? "null" : num(a.value), a.status === "PRESENT" ? "" : a.status, signed(a.attribution)]);
  const widths = pad(cells);
  sorted.forEach((a, i) => {
    const [feature, value, status, text] = cells[i]!;
    const b = bar((Math.abs(a.attribution) / largest) * BAR);
    const left = a.attribution < 0 ? " ".repeat(BAR - b.length) + paint(g, "red", b) : " ".repeat(BAR);
    const right = a.attribution > 0 ? paint(g, "green", b) + " ".repeat(BAR - b.length) : " ".repeat(BAR);
    printLine(`  ${feature!.padEnd(widths[0]!)}  ${value!.padStart(widths[1]!)} ${status!.padEnd(widths[2]!)} ${left}│${right} ${text}`);
  });
  const total = e.attributions.reduce((s, a) => s + a.attribution, 0);
  printLine(`  base ${num(e.base_value)} ${signed(total)} (sum of attributions) = ${num(e.explained_value)}${e.space === "margin" ? ` -> ${e.transform} -> ${typeof e.prediction === "number" ? num(e.prediction) : e.prediction}` : ""}`);
}

function renderAnswer(g: GlobalOptions, answer: ExplainAnswer): void {
  const head = `${answer.model} version ${answer.model_version}`;
  if (!("explanations" in answer)) return renderRow(g, head, answer, answer.background_rows);
  answer.explanations.forEach((e, i) => {
    if (i > 0) printLine("");
    renderRow(g, `${head}, row ${i}`, e, answer.background_rows);
  });
}

function renderGlobal(g: GlobalOptions, report: GlobalReport): void {
  const s = report.source;
  const shown = (path: string) => (relative(process.cwd(), path).startsWith("..") ? path : relative(process.cwd(), path));
  const over =
    s.kind === "logs"
      ? `${report.rows} of ${report.available} logged rows in ${shown(s.folder)}${s.since ? ` since ${s.since}` : ""}`
      : s.kind === "file"
        ? `${report.rows} of ${report.available} rows of ${shown(s.path)}`
        : `${report.rows} reference rows (${s.note} in ${shown(s.logs)})`;
  printLine(`${report.model.name} version ${report.model.version}: mean |attribution| (${report.method}, ${report.space} space) over ${over}`);
  const largest = Math.max(...report.features.map((f) => f.importance), 1e-300);
  const width = Math.max(...report.features.map((f) => f.feature.length));
  for (const f of report.features) {
    const b = bar((f.importance / largest) * 2 * BAR);
    printLine(`  ${f.feature.padEnd(width)}  ${paint(g, "cyan", b)}${" ".repeat(2 * BAR - b.length)} ${num(f.importance)}`);
  }
}

export function register(program: Command): void {
  program
    .command("explain")
    .description("why a model predicts what it does: per-feature attributions for entities, or mean |attribution| with --global")
    .requiredOption("--model <ref>", "the model: NAME@ALIAS, NAME/VERSION, models:/NAME/Production (a registered version with reference data)")
    .option("-e, --entity <key=values>", "join key and value(s), e.g. driver_id=1001 or driver_id=1001,1002 (repeatable)", collect)
    .option("-f, --feature <refs>", "the model's inputs view:feature[,...] in order, for a version that records none (repeatable)", collectList)
    .option("--value <ref=value>", "a request-time value instead of the online one, e.g. view:feature=1.5 (repeatable)", collect)
    .option("--global", "mean |attribution| per feature over logged requests or the reference sample")
    .option("--current <file|dir>", "with --global: rows to explain, a .parquet/.csv file or a feature log folder (default: the model's logs, else its reference sample)")
    .option("--since <time>", "with --global: only logged rows since a duration ago (24h, 7d) or a time (ISO-8601)")
    .option("--rows <n>", "with --global: explain at most this many rows (a deterministic sample; default 500)")
    .option("--tracking-dir <dir>", TRACKING_DIR_HELP)
    .action(async (flags: Flags, command: Command) => {
      const g = globalOptions(command);
      const root = await trackingRoot(command);
      if (flags.global) {
        if (flags.entity || flags.value) throw new MlfError("usage", "--global explains many rows; drop -e and --value (or drop --global to explain one entity).");
        const { explainGlobal } = await import("../../monitor/explain-global.js");
        const report = await explainGlobal({
          model: flags.model,
          ...(await modelLogSources(root)),
          ...(flags.current !== undefined && { current: flags.current }),
          ...(flags.since !== undefined && { since: await parseSince(flags.since) }),
          ...(flags.rows !== undefined && { rows: numberFlag("--rows", flags.rows, 1) }),
        });
        return g.json ? printJson(report) : renderGlobal(g, report);
      }
      if (flags.current !== undefined || flags.since !== undefined || flags.rows !== undefined) throw new MlfError("usage", "--current, --since and --rows go with --global.");
      if (!flags.entity) throw new MlfError("usage", "Pass the entity to explain with -e key=value (or --global for the model's overall feature importance).");
      const { entities, many } = parseEntities(flags.entity);
      const [{ openRepo }, { explainEntities }] = await Promise.all([import("../../repo/repo.js"), import("../../serving/explain.js")]);
      const answer = await explainEntities({
        model: flags.model,
        trackingDir: root.dir,
        repo: await openRepo(g.repo),
        entities: many ? entities : Object.fromEntries(Object.entries(entities).map(([k, v]) => [k, v[0]!])),
        ...(flags.value && { features: parseValues(flags.value) }),
        ...(flags.feature && { inputs: flags.feature }),
      });
      if (g.json) printJson(answer);
      else renderAnswer(g, answer);
    });
}
