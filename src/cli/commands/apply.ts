import type { Command } from "commander";
import { globalOptions } from "../context.js";
import { info, printJson, printLine, warn } from "../render.js";

export function register(program: Command): void {
  program
    .command("apply")
    .description("validate the definitions, update the registry and create/drop/migrate online tables")
    .action(async (_options: object, command: Command) => {
      const g = globalOptions(command);
      const { openRepo } = await import("../../repo/repo.js");
      const { applyRepo } = await import("../../apply/apply.js");
      const { planLines } = await import("../../apply/plan.js");
      const { plan, version } = await applyRepo(await openRepo(g.repo));
      if (g.json) {
        printJson({ changes: plan.changes, tables: plan.tables, registry_version: version });
        return;
      }
      const lines = planLines(plan);
      if (!g.quiet) printLine(lines.length > 0 ? lines.join("\n") : "No changes.");
      for (const t of plan.tables.filter((t) => t.action === "migrate")) warn(g, `the online table of ${t.view} was recreated; run "mlf materialize" for it again.`);
      info(g, `Registry version ${version}.`);
    });
}
