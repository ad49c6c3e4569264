import type { Command } from "commander";
import type { MaterializeOptions, ViewMaterialization } from "../../online/materialize.js";
import { collect, globalOptions, type GlobalOptions } from "../context.js";
import { info, printJson, printLine, warn } from "../render.js";

/** Progress as a spinner on a TTY (stderr), nothing otherwise. */
async function progress(g: GlobalOptions): Promise<{ options: Pick<MaterializeOptions, "onProgress">; stop(): void }> {
  if (g.quiet || g.json || !process.stderr.isTTY) return { options: {}, stop: () => undefined };
  const { default: ora } = await import("ora");
  const spinner = ora({ text: "reading sources", stream: process.stderr }).start();
  return {
    options: { onProgress: (view, rows) => (spinner.text = `${view}: ${rows.toLocaleString("en-US")} entities written`) },
    stop: () => spinner.stop(),
  };
}

function report(g: GlobalOptions, results: ViewMaterialization[]): void {
  if (g.json) {
    printJson({ views: results.map((r) => ({ view: r.view, start: r.start, end: r.end, rows: r.rows, written: r.written, seconds: Number(r.seconds.toFixed(3)), ...(r.upToDate && { up_to_date: true }), ...(r.notRecorded && { recorded: false }) })) });
    return;
  }
  if (results.length === 0) warn(g, 'no online feature views to materialize; mark a view "online: true" and run "mlf apply".');
  for (const r of results) {
    if (r.notRecorded) warn(g, `feature view ${r.view} was re-applied while it was materialized, so its interval was not recorded; materialize it again.`);
    if (r.upToDate) info(g, `${r.view}: already materialized up to ${r.end}.`);
    else if (!g.quiet) printLine(`Materialized ${r.view} from ${r.start} to ${r.end}: ${r.rows} entities, ${r.written} newer than stored (${r.seconds.toFixed(2)}s).`);
  }
}

export function register(program: Command): void {
  program
    .command("materialize <start> <end>")
    .description("load the latest row per entity with START <= ts <= END into the online store")
    .option("-v, --view <name>", "only this feature view (repeatable)", collect)
    .action(async (start: string, end: string, options: { view?: string[] }, command: Command) => {
      const g = globalOptions(command);
      const { parseTime } = await import("../../util/time.js");
      const now = Date.now();
      const startMs = parseTime(start, "start", now);
      const endMs = parseTime(end, "end", now);
      const { openRepo } = await import("../../repo/repo.js");
      const { materialize } = await import("../../online/materialize.js");
      const p = await progress(g);
      try {
        report(g, await materialize(await openRepo(g.repo), startMs, endMs, { ...p.options, now, ...(options.view && { views: options.view }) }));
      } finally {
        p.stop();
      }
    });
  program
    .command("materialize-incremental <end>")
    .description("materialize each view from its last materialized end (first time: END - ttl) to END")
    .option("-v, --view <name>", "only this feature view (repeatable)", collect)
    .action(async (end: string, options: { view?: string[] }, command: Command) => {
      const g = globalOptions(command);
      const { parseTime } = await import("../../util/time.js");
      const now = Date.now();
      const endMs = parseTime(end, "end", now);
      const { openRepo } = await import("../../repo/repo.js");
      const { materializeIncremental } = await import("../../online/materialize.js");
      const p = await progress(g);
      try {
        report(g, await materializeIncremental(await openRepo(g.repo), endMs, { ...p.options, now, ...(options.view && { views: options.view }) }));
      } finally {
        p.stop();
      }
    });
}
