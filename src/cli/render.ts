import { MlfError, formatProblem } from "../errors.js";
import { jsonText } from "../util/json.js";
import { colorize, type Color } from "./colors.js";
import type { GlobalOptions } from "./context.js";

/**
 * Output helpers. Results go to stdout (JSON with --json), everything else (summaries,
 * warnings, progress) to stderr, so `--json` output can always be piped.
 */

/** JSON on stdout; bigints (int64 beyond 2^53) as exact numbers, Dates as ISO-8601 UTC (see jsonText). */
export function printJson(value: unknown): void {
  process.stdout.write(`${jsonText(value)}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A diagnostic line on stderr, silenced by --quiet. */
export function info(options: GlobalOptions, text: string): void {
  if (!options.quiet) process.stderr.write(`${text}\n`);
}

export function warn(options: GlobalOptions, text: string): void {
  process.stderr.write(`${colorize(options.stderrColor, "yellow", "warning:")} ${text}\n`);
}

/** `text` in `color` when stdout gets colours (see colorFor). */
export function paint(options: Pick<GlobalOptions, "color">, color: Color, text: string): string {
  return colorize(options.color, color, text);
}

/** Epoch-ms fields as MLflow names them (`creationTimestamp`, `startTime`, ...). */
const TIME_KEY = /(Timestamp|Time)$/;

/**
 * An object as YAML for people: epoch-ms time fields become ISO-8601 UTC, so `show` and
 * `describe` print times the way every other mlf output does (`--json` keeps the numbers).
 */
export async function printYaml(value: unknown): Promise<void> {
  const { stringify } = await import("yaml");
  const { formatTime } = await import("../util/time.js");
  const readable = (v: unknown, key = ""): unknown => {
    if (typeof v === "number" && TIME_KEY.test(key)) return formatTime(v);
    if (Array.isArray(v)) return v.map((x) => readable(x));
    if (v && typeof v === "object" && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, readable(x, k)]));
    return v;
  };
  printLine(stringify(readable(value)).trimEnd());
}

/**
 * A table: cli-table3 boxes on a TTY, plain aligned columns otherwise (easy to grep and cut).
 */
export async function printTable(options: GlobalOptions, head: string[], rows: (string | number | null | undefined)[][]): Promise<void> {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? "" : String(c))));
  if (process.stdout.isTTY) {
    const { default: Table } = await import("cli-table3");
    const table = new Table({ head: head.map((h) => paint(options, "bold", h)), style: { head: [], border: [] } });
    table.push(...cells);
    printLine(table.toString());
    return;
  }
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  printLine(line(head));
  for (const r of cells) printLine(line(r));
}

/** Prints an error the way the user asked for (the --json envelope or one sentence). */
export function printError(options: Pick<GlobalOptions, "json" | "verbose" | "stderrColor">, error: MlfError): void {
  if (options.json) {
    printJson({
      status: "error",
      error: {
        code: error.code,
        message: error.message,
        ...(error.problems.length > 0 && { problems: error.problems }),
      },
    });
  }
  const lines = [`${colorize(options.stderrColor, "red", "error:")} ${error.message}`, ...error.problems.map((p) => `  ${formatProblem(p)}`)];
  if (options.verbose) {
    const cause = error.cause instanceof Error ? error.cause : error;
    if (cause.stack) lines.push(cause.stack);
  }
  process.stderr.write(`${lines.join("\n")}\n`);
}
