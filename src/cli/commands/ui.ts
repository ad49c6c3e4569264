import type { Command } from "commander";
import { closeOnSignal, globalOptions, listenOptions, numberFlag as number, stderrJsonLog, trackingRoot } from "../context.js";
import { info, printJson } from "../render.js";

/**
 * `mlf ui`: the web page for runs, models and features over the tracking store and the
 * feature repository (found as every command finds it: -C, $MLF_REPO, or the working
 * directory's ancestors; none is fine). Read-only unless --allow-writes.
 */

interface UiFlags {
  host: string;
  port: string;
  allowWrites?: boolean;
  authToken?: string;
}

export function register(program: Command): void {
  listenOptions(program.command("ui").description("web page for runs, models and features (read-only unless --allow-writes)"), "5000")
    .option("--allow-writes", "let the page change model aliases and stages (each change is in the model's audit log)")
    .option("--auth-token <token>", "require this token: Authorization: Bearer <token>, or typed once into the page (default: $MLF_AUTH_TOKEN)")
    .action(async (flags: UiFlags, command: Command) => {
      const g = globalOptions(command);
      const tracking = await trackingRoot(command);
      const authToken = flags.authToken ?? process.env.MLF_AUTH_TOKEN;
      const { startUiServer } = await import("../../ui/server.js");
      const server = await startUiServer({
        root: tracking.dir,
        host: flags.host,
        port: number("--port", flags.port, 0),
        allowWrites: flags.allowWrites === true,
        ...(tracking.repoRoot !== undefined && tracking.repoConfig !== undefined && { repo: { root: tracking.repoRoot, config: tracking.repoConfig } }),
        ...(authToken && { authToken }),
        log: stderrJsonLog,
      });
      const writes = flags.allowWrites === true;
      if (g.json) printJson({ url: server.url, tracking_dir: tracking.dir, repo: tracking.repoRoot ?? null, allow_writes: writes, auth: authToken !== undefined });
      else info(g, `mlf ui: ${server.url} on ${tracking.dir}${tracking.repoRoot ? ` and the feature repository ${tracking.repoRoot}` : ""} (${writes ? "alias and stage changes allowed" : "read-only"}${authToken ? ", token required" : ""})`);
      await closeOnSignal(server);
    });
}
