import type { Command } from "commander";
import { MlfError } from "../../errors.js";

// Registered so that help lists it; the issue that builds it replaces this module.
export function register(program: Command): void {
  program
    .command("get-online")
    .alias("get-online-features")
    .description("latest feature values for entity keys from the online store")
    .allowUnknownOption()
    .action(() => {
      throw new MlfError("usage", "get-online is not available in this build yet.");
    });
}
