import type { Command } from "commander";
import { globalOptions } from "../context.js";
import { printJson, printLine } from "../render.js";

/** Exit status of `plan --exit-code` when apply would change something. */
const PENDING_CHANGES = 3;

export function register(program: Command): void {
  program
    .command("plan")
    .description("show what apply would change (definitions and online tables); writes nothing")
    .option("--exit-code", `exit with ${PENDING_CHANGES} when changes are pending`)
    .action(async (options: { exitCode?: boolean }, command: Command) => {
      const g = globalOptions(command);
      const { openRepo } = await import("../../repo/repo.js");
      const { planRepo } = await import("../../apply/apply.js");
      const { hasChanges, planLines } = await import("../../apply/plan.js");
      const plan = await planRepo(await openRepo(g.repo));
      if (g.json) printJson({ changes: plan.changes, tables: plan.tables, pending: hasChanges(plan) });
      else if (!g.quiet) printLine(hasChanges(plan) ? planLines(plan).join("\n") : "No changes; the registry is up to date.");
      if (options.exitCode && hasChanges(plan)) process.exitCode = PENDING_CHANGES;
    });
}
