import type { Command } from "commander";
import { MlfError } from "../../errors.js";

// Registered so that help lists it; the issue that builds it replaces this module.
export function register(program: Command): void {
  program
    .command("get-historical")
    .alias("get-historical-features")
    .description("point-in-time correct training set from entity rows")
    .allowUnknownOption()
    .action(() => {
      throw new MlfError("usage", "get-historical is not available in this build yet.");
    });
}
