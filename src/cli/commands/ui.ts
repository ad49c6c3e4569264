import type { Command } from "commander";
import { globalOptions, numberFlag as number } from "../context.js";
import { info, printJson } from "../render.js";

/**
 * `mlf ui`: the web page for runs, models and features over the tracking store and the
 * feature repository (found as every command finds it: -C, $MLF_REPO, or the working
 * directory's ancestors; none is fine). Read-only unless --allow-writes.
 */

interface UiFlags {
  host: string;
  port: string;
  trackingDir?: string;
  allowWrites?: boolean;
  authToken?: string;
}

export function register(program: Command): void {
  program
    .command("ui")
    .description("web page for runs, models and features (read-only unless --allow-writes)")
    .option("--host <host>", "interface to bind (loopback unless told otherwise)", "127.0.0.1")
    .option("--port <port>", "TCP port (0 = any free port)", "5000")
    .option("--tracking-dir <dir>", "tracking folder (default: $MLF_TRACKING_DIR, else the repository's tracking.path, else ./mlruns)")
    .option("--allow-writes", "let the page change model aliases and stages (each change is in the model's audit log)")
    .option("--auth-token <token>", "require this token: Authorization: Bearer <token>, or typed once into the page (default: $MLF_AUTH_TOKEN)")
    .action(async (flags: UiFlags, command: Command) => {
      const g = globalOptions(command);
      const { resolveTrackingRoot } = await import("../../tracking/dir.js");
      const tracking = await resolveTrackingRoot({ ...(flags.trackingDir !== undefined && { trackingDir: flags.trackingDir }), ...(g.repo !== undefined && { repo: g.repo }) });
      const authToken = flags.authToken ?? process.env.MLF_AUTH_TOKEN;
      const { startUiServer } = await import("../../ui/server.js");
      const server = await startUiServer({
        root: tracking.dir,
        host: flags.host,
        port: number("--port", flags.port, 0),
        allowWrites: flags.allowWrites === true,
        ...(tracking.repoRoot !== undefined && tracking.repoConfig !== undefined && { repo: { root: tracking.repoRoot, config: tracking.repoConfig } }),
        ...(authToken && { authToken }),
        log: (record) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`),
      });
      const writes = flags.allowWrites === true;
      if (g.json) printJson({ url: server.url, tracking_dir: tracking.dir, repo: tracking.repoRoot ?? null, allow_writes: writes, auth: authToken !== undefined });
      else info(g, `mlf ui: ${server.url} on ${tracking.dir}${tracking.repoRoot ? ` and the feature repository ${tracking.repoRoot}` : ""} (${writes ? "alias and stage changes allowed" : "read-only"}${authToken ? ", token required" : ""})`);
      await new Promise<void>((done) => {
        const stop = () => void server.close().then(done);
        process.once("SIGTERM", stop);
        process.once("SIGINT", stop);
      });
    });
}
