import type { Command } from "commander";
import { MlfError } from "../../errors.js";
import type { FeastLineage } from "../../tracking/feast-lineage.js";
import { collect, collectList, globalOptions, trackingRoot } from "../context.js";
import { info, printJson, warn } from "../render.js";

/** `mlf track run`: a command run as a tracked run, with its inputs, git state and feature lineage. */

export function keyValues(pairs: string[] = [], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new MlfError("usage", `"${pair}" is not a ${what}; write key=value.`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Registers `run` on the `track` command. */
export function registerRun(track: Command): void {
  track
    .command("run")
    .description("run a command as a tracked run (put the command after --)")
    .argument("<command...>", "the command and its arguments")
    .option("-e, --experiment <name>", "experiment name or id (created if missing)")
    .option("-n, --name <name>", "run name")
    .option("-p, --param <key=value>", "a param (repeatable)", collect)
    .option("--input <file>", "an input file whose sha256 is recorded (repeatable)", collect)
    .option("--artifact <path>", "a file or folder logged as an artifact when the command ends (repeatable)", collect)
    .option("--service <name>", "the feature service the command trains on (Feast's lineage tags)")
    .option("-f, --feature <refs>", "view:feature references the command trains on (repeatable, comma-separated)", collectList)
    .passThroughOptions()
    .action(async (cmd: string[], o: { experiment?: string; name?: string; param?: string[]; input?: string[]; artifact?: string[]; service?: string; feature?: string[] }, command: Command) => {
      const g = globalOptions(command);
      const { dir, repoConfig } = await trackingRoot(command);
      const { runTracked, signalExitCode } = await import("../../tracking/wrapper.js");
      let featureRegistryVersion: number | undefined;
      let lineage: FeastLineage | undefined;
      if (repoConfig !== undefined) {
        const { readRegistry } = await import("../../repo/registry.js");
        const registry = readRegistry(repoConfig.registry);
        featureRegistryVersion = registry?.version;
        if (registry && (o.service || o.feature?.length)) {
          // The service's features as the registry resolves them, in request order.
          const { resolvedRefs, resolveSelection } = await import("../../repo/resolve.js");
          const resolution = resolveSelection(registry.definitions, { ...(o.service ? { service: o.service } : { features: o.feature! }), fullFeatureNames: true });
          lineage = { project: repoConfig.project, ...(o.service && { featureService: o.service }), featureRefs: resolvedRefs(resolution) };
        }
      }
      if (!lineage && (o.service || o.feature?.length)) lineage = { ...(o.service && { featureService: o.service }), featureRefs: o.feature ?? [] };
      const result = await runTracked(dir, {
        command: cmd,
        ...(o.experiment !== undefined && { experiment: o.experiment }),
        ...(o.name !== undefined && { runName: o.name }),
        params: keyValues(o.param, "param"),
        inputs: o.input ?? [],
        artifacts: o.artifact ?? [],
        ...(featureRegistryVersion !== undefined && { featureRegistryVersion }),
        ...(lineage && { lineage }),
        onStart: (run) => info(g, `mlf: run ${run.runId} (${run.runName}) started in experiment ${run.experimentId}`),
      });
      result.warnings.forEach((w) => warn(g, w));
      if (g.json) printJson({ runId: result.run.runId, status: result.status, exitCode: result.exitCode, signal: result.signal, durationMs: result.durationMs });
      else info(g, `mlf: run ${result.run.runId} ${result.status} in ${(result.durationMs / 1000).toFixed(1)}s`);
      process.exitCode = result.signal !== null ? signalExitCode(result.signal) : (result.exitCode ?? 1);
    });

}
