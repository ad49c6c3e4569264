import type { Command } from "commander";
import { globalOptions } from "../context.js";
import { printJson, printLine } from "../render.js";

export function register(program: Command): void {
  program
    .command("teardown")
    .description("drop every online table of the project and remove the feature registry")
    .action(async (_options: object, command: Command) => {
      const g = globalOptions(command);
      const { openRepo } = await import("../../repo/repo.js");
      const { teardownRepo } = await import("../../apply/apply.js");
      await teardownRepo(await openRepo(g.repo));
      if (g.json) printJson({ status: "ok" });
      else if (!g.quiet) printLine("Dropped the online tables and removed the registry.");
    });
}
