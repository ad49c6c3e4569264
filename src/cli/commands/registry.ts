import type { Command } from "commander";
import { MlfError } from "../../errors.js";

// Registered so that help lists it; the issue that builds it replaces this module.
export function register(program: Command): void {
  program
    .command("registry")

    .description("model registry: versions, aliases, stages, audit log")
    .allowUnknownOption()
    .action(() => {
      throw new MlfError("usage", "registry is not available in this build yet.");
    });
}
