import type { Command } from "commander";
import { MlfError } from "../../errors.js";
import { collect } from "../context.js";

// Registered with their contract; the online-store work (issue 4) fills in the actions.
export function register(program: Command): void {
  program
    .command("materialize <start> <end>")
    .description("load the latest row per entity with START <= ts <= END into the online store")
    .option("-v, --view <name>", "only this feature view (repeatable)", collect)
    .action(() => {
      throw new MlfError("usage", "materialize is not available in this build yet.");
    });
  program
    .command("materialize-incremental <end>")
    .description("materialize each view from its last materialized end (first time: END - ttl) to END")
    .option("-v, --view <name>", "only this feature view (repeatable)", collect)
    .action(() => {
      throw new MlfError("usage", "materialize-incremental is not available in this build yet.");
    });
}
