import type { Command } from "commander";
import { globalOptions } from "../context.js";
import { printJson, printLine } from "../render.js";

export function register(program: Command): void {
  program
    .command("init [dir]")
    .description("create a sample feature repository with data that works end to end")
    .action(async (dir: string | undefined, _o: object, command: Command) => {
      const g = globalOptions(command);
      const { initRepo } = await import("../../repo/init.js");
      const root = initRepo(dir ?? "feature_repo");
      if (g.json) printJson({ path: root });
      else if (!g.quiet) printLine(`Created a feature repository in ${root}\nNext: mlf -C ${dir ?? "feature_repo"} apply`);
    });
}
