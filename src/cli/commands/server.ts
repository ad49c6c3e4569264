import type { Command } from "commander";
import { closeOnSignal, globalOptions, listenOptions, numberFlag as number, stderrJsonLog, trackingRoot } from "../context.js";
import { info, printJson } from "../render.js";

/**
 * `mlf server`: MLflow's tracking server (REST API 2.0) over the tracking store, spelled as
 * `mlflow server` is. A command of its own rather than a switch on `mlf serve`: the two serve
 * different clients with different contracts (MLflow's routes, port 5000 and error envelope
 * vs Feast's and mlf's scoring routes), and a training cluster's tracking server and a
 * prediction service are deployed, scaled and secured apart. Both run on fastify.
 *
 * It also serves mlf's web page at `/`, as `mlflow server` serves MLflow's UI: users open the
 * tracking server's address in a browser and expect to see their runs. The page may change
 * aliases and stages here, because this server's REST API already lets any client do so
 * (the same routes, behind the same --auth-token); `mlf ui` is the read-only viewer.
 */

interface ServerFlags {
  host: string;
  port: string;
  serveArtifacts: boolean;
  artifactsDestination?: string;
  authToken?: string;
  bodyLimit: string;
  artifactLimit: string;
}

export function register(program: Command): void {
  listenOptions(program.command("server").description("MLflow's tracking server REST API over the tracking store (MLflow clients log, register and load through it)"), "5000")
    .option("--serve-artifacts", "proxy artifacts: runs get mlflow-artifacts:/ URIs and clients upload through the server (default)", true)
    .option("--no-serve-artifacts", "no proxy: runs get file:// artifact URIs that clients write to directly")
    .option("--artifacts-destination <dir>", "where proxied artifacts are stored (default: each run's artifacts/ folder in the tracking folder)")
    .option("--auth-token <token>", "require Authorization: Bearer <token> on every request (default: $MLF_AUTH_TOKEN)")
    .option("--body-limit <mib>", "largest JSON request body in MiB", "8")
    .option("--artifact-limit <mib>", "largest artifact upload in MiB", "5120")
    .action(async (flags: ServerFlags, command: Command) => {
      const g = globalOptions(command);
      const { dir, repoRoot, repoConfig } = await trackingRoot(command);
      const authToken = flags.authToken ?? process.env.MLF_AUTH_TOKEN;
      const { startMlflowServer } = await import("../../mlflow/server.js");
      const { registerUi } = await import("../../ui/server.js");
      const server = await startMlflowServer({
        root: dir,
        host: flags.host,
        port: number("--port", flags.port, 0),
        serveArtifacts: flags.serveArtifacts,
        ...(flags.artifactsDestination !== undefined && { artifactsDestination: flags.artifactsDestination }),
        ...(authToken && { authToken }),
        bodyLimitBytes: Math.round(number("--body-limit", flags.bodyLimit, 0.001) * 1024 * 1024),
        artifactLimitBytes: Math.round(number("--artifact-limit", flags.artifactLimit, 0.001) * 1024 * 1024),
        log: stderrJsonLog,
        extend: (app, ctx) => registerUi(app, ctx, { writes: "all", ...(repoRoot !== undefined && repoConfig !== undefined && { repo: { root: repoRoot, config: repoConfig } }), ...(authToken && { authToken }) }),
      });
      if (g.json) printJson({ url: server.url, tracking_dir: dir, serve_artifacts: flags.serveArtifacts, auth: authToken !== undefined });
      else info(g, `mlf server: MLflow tracking API at ${server.url} on ${dir}${authToken ? " (token required)" : ""}`);
      await closeOnSignal(server);
    });
}
