import type { Command } from "commander";
import { MlfError } from "../../errors.js";

// Registered so that help lists it; the issue that builds it replaces this module.
export function register(program: Command): void {
  program
    .command("track")

    .description("experiment tracking in MLflow's file layout")
    .allowUnknownOption()
    .action(() => {
      throw new MlfError("usage", "track is not available in this build yet.");
    });
}
