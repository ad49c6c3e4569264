import type { Command } from "commander";
import { MlfError } from "../../errors.js";

// Registered so that help lists it; the issue that builds it replaces this module.
export function register(program: Command): void {
  program
    .command("serve")

    .description("HTTP feature and model server")
    .allowUnknownOption()
    .action(() => {
      throw new MlfError("usage", "serve is not available in this build yet.");
    });
}
