import type { Command } from "commander";
import { MlfError } from "../../errors.js";
import { collect, collectList, globalOptions, parseEntities } from "../context.js";
import { printJson, printTable } from "../render.js";

interface Options {
  entity?: string[];
  feature?: string[];
  service?: string;
  fullFeatureNames?: boolean;
  withMetadata?: boolean;
  format?: string;
}

export function register(program: Command): void {
  program
    .command("get-online")
    .alias("get-online-features")
    .description("latest feature values for entity keys from the online store")
    .option("-e, --entity <key=values>", "join key and value(s), e.g. driver_id=1001 or driver_id=1001,1002 (repeatable)", collect)
    .option("-f, --feature <refs>", "view:feature[,view:feature...] (repeatable)", collectList)
    .option("-s, --service <name>", "every feature of a feature service")
    .option("--full-feature-names", "name outputs view__feature")
    .option("--with-metadata", "each feature as {value, status, event_timestamp}")
    .option("--format <json|table>", "output format", "json")
    .action(async (options: Options, command: Command) => {
      const g = globalOptions(command);
      if (options.format !== "json" && options.format !== "table") throw new MlfError("usage", `Unknown format "${options.format}"; use json or table.`);
      const { entities, many } = parseEntities(options.entity ?? []);
      // Only the light read path is loaded here: no DuckDB, and no YAML parsing on a warm config.
      // The modules load together, not one after another: each import waits on file reads.
      const [{ appliedRegistry, openRepo }, { OnlineReader, onlineRecords }, { jsonText }] = await Promise.all([
        import("../../repo/repo.js"),
        import("../../online/get-online.js"),
        import("../../util/json.js"),
      ]);
      const repo = await openRepo(g.repo);
      const reader = await OnlineReader.open(appliedRegistry(repo), repo.config.onlineStore);
      try {
        const result = await reader.get({
          entities,
          ...(options.feature && { features: options.feature }),
          ...(options.service !== undefined && { service: options.service }),
          fullFeatureNames: options.fullFeatureNames === true,
        });
        const records = onlineRecords(result, { withMetadata: options.withMetadata === true });
        if (options.format === "table" && !g.json) {
          const cell = (v: unknown) => {
            if (v === null || typeof v !== "object" || !("status" in v)) return typeof v === "string" ? v : jsonText(v);
            const m = v as { value: unknown; status: string };
            return `${jsonText(m.value)} (${m.status})`;
          };
          await printTable(g, result.names, records.map((r) => result.names.map((n) => cell(r[n]))));
        } else printJson(many ? records : records[0]);
      } finally {
        await reader.close();
      }
    });
}
