import type { Command } from "commander";
import { collectList, globalOptions, type GlobalOptions } from "../context.js";
import { info, printJson } from "../render.js";

interface Flags {
  entities?: string;
  entitySql?: string;
  features?: string[];
  service?: string;
  fullFeatureNames?: boolean;
  timestampColumn: string;
  output?: string;
}

export function register(program: Command): void {
  program
    .command("get-historical")
    .alias("get-historical-features")
    .description("point-in-time correct training set: each entity row with the feature values as of its timestamp")
    .option("--entities <file>", "entity rows: a .csv or .parquet file with the join keys and a timestamp column")
    .option("--entity-sql <sql>", "entity rows from a DuckDB query (may read the repository's sources by name)")
    .option("-f, --features <refs>", "view:feature references, comma-separated (repeatable)", collectList)
    .option("--service <name>", "every feature of a feature service")
    .option("--full-feature-names", "name output columns view__feature")
    .option("--timestamp-column <name>", "the entity rows' event-time column", "event_timestamp")
    .option("-o, --output <file>", "write .parquet, .csv, .json or .ndjson (default: CSV on stdout; JSON with --json)")
    .action(async (flags: Flags, command: Command) => {
      const g = globalOptions(command);
      const { openRepo } = await import("../../repo/repo.js");
      const { getHistoricalFeatures } = await import("../../offline/get-historical.js");
      const repo = await openRepo(g.repo);
      const spinner = await startSpinner(g, "Joining features point-in-time");
      // Without -o the result still goes through a file written by DuckDB, then streams to
      // stdout: the rows never sit in this process's memory.
      const scratch = flags.output === undefined ? await scratchFile(g.json ? ".json" : ".csv") : undefined;
      try {
        const result = await getHistoricalFeatures(repo, {
          ...(flags.entities !== undefined && { entities: flags.entities }),
          ...(flags.entitySql !== undefined && { entitySql: flags.entitySql }),
          ...(flags.features !== undefined && { features: flags.features }),
          ...(flags.service !== undefined && { service: flags.service }),
          fullFeatureNames: flags.fullFeatureNames === true,
          timestampColumn: flags.timestampColumn,
          output: flags.output ?? scratch!.path,
        });
        spinner?.stop();
        if (scratch) await scratch.pipeToStdout();
        else if (g.json) printJson({ output: result.output, rows: result.rowCount, columns: result.columns, views: result.views, seconds: result.seconds });
        const where = flags.output === undefined ? "" : ` to ${flags.output}`;
        info(g, `${result.rowCount} row${result.rowCount === 1 ? "" : "s"}${where} in ${result.seconds.toFixed(2)} s`);
        for (const v of result.views) info(g, `  ${v.view}: ${(v.matchRate * 100).toFixed(1)}% matched (${v.matched}/${result.rowCount}), ${PLAN_NAMES[v.plan]}`);
        if (g.verbose) for (const p of result.phases) info(g, `  ${p.phase}: ${p.seconds.toFixed(2)} s`);
      } finally {
        spinner?.stop();
        scratch?.remove();
      }
    });
}

const PLAN_NAMES = { asof: "ASOF join", range: "range join", interval: "interval join" } as const;

async function startSpinner(g: GlobalOptions, text: string): Promise<{ stop(): void } | undefined> {
  if (g.quiet || !process.stderr.isTTY) return undefined;
  const { default: ora } = await import("ora");
  return ora({ text, stream: process.stderr }).start();
}

async function scratchFile(ext: string): Promise<{ path: string; pipeToStdout(): Promise<void>; remove(): void }> {
  const { mkdtempSync, createReadStream, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { pipeline } = await import("node:stream/promises");
  const dir = mkdtempSync(join(tmpdir(), "mlf-historical-"));
  const path = join(dir, `result${ext}`);
  return {
    path,
    pipeToStdout: () => pipeline(createReadStream(path), process.stdout, { end: false }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
