import type { Command } from "commander";
import type { RepoConfig } from "../../repo/types.js";
import { collectList, globalOptions, TRACKING_DIR_HELP, trackingRoot, type GlobalOptions } from "../context.js";
import { info, printJson, printLine, printTable, printYaml, warn } from "../render.js";

/**
 * `mlf registry ...`: thin wrappers over src/models. Every subcommand resolves the same
 * tracking root as `mlf track` (--tracking-dir, MLF_TRACKING_DIR, the repository's
 * tracking.path, ./mlruns) and prints JSON with --json.
 */

interface Context {
  g: GlobalOptions;
  trackingDir: string;
  /** The feature repository's config, when the command runs inside one. */
  repoConfig?: RepoConfig;
}

async function context(command: Command): Promise<Context> {
  const g = globalOptions(command);
  const root = await trackingRoot(command);
  return { g, trackingDir: root.dir, ...(root.repoConfig !== undefined && { repoConfig: root.repoConfig }) };
}

const time = async (ms: number | null | undefined) => (ms ? (await import("../../util/time.js")).formatTime(ms) : "");
const aliasText = (aliases: Record<string, number>) => Object.entries(aliases).map(([a, v]) => `${a}->${v}`).join(", ");

export function register(program: Command): void {
  const registry = program.command("registry").description("model registry: versions, aliases, stages, audit log").option("--tracking-dir <dir>", TRACKING_DIR_HELP);

  registry
    .command("register <name>")
    .description("register a new version (max+1) of an ONNX model from a file or a run artifact")
    .option("--file <path>", "the .onnx file")
    .option("--run <id>", "the run whose artifact holds the model")
    .option("--artifact-path <path>", "artifact path inside the run (default: model)")
    .option("--features <refs>", "input feature references view:feature, in input order (repeatable, comma-separated)", collectList)
    .option("--service <name>", "the feature service that feeds the model")
    .option("--description <text>", "what this version is")
    .option("--reference <file>", "the training data to monitor drift against (default: the run's one --input)")
    .action(async (name: string, o: { file?: string; run?: string; artifactPath?: string; features?: string[]; service?: string; description?: string; reference?: string }, command: Command) => {
      const { g, trackingDir, repoConfig } = await context(command);
      const { registerMonitoredModel } = await import("../../monitor/register.js");
      let definitions;
      if (repoConfig !== undefined && (o.features?.length || o.service)) {
        const { requireRegistry } = await import("../../repo/registry.js");
        definitions = requireRegistry(repoConfig.registry).definitions;
      }
      const version = await registerMonitoredModel(trackingDir, name, {
        ...(o.file !== undefined && { file: o.file }),
        ...(o.run !== undefined && { runId: o.run }),
        ...(o.artifactPath !== undefined && { artifactPath: o.artifactPath }),
        ...(o.features !== undefined && { features: o.features }),
        ...(o.service !== undefined && { service: o.service }),
        ...(o.description !== undefined && { description: o.description }),
        ...(definitions !== undefined && { definitions }),
        ...(o.reference !== undefined && { reference: o.reference }),
        ...(repoConfig !== undefined && { offline: repoConfig.offlineStore }),
        warn: (message) => warn(g, message),
      });
      if (g.json) printJson((await import("../../mlflow/json.js")).modelVersionJson(version));
      else printLine(`Registered ${name} version ${version.version} (models:/${name}/${version.version}).`);
      if (definitions === undefined && (o.features?.length || o.service)) info(g, "Not inside a feature repository: feature references were not checked against a registry.");
    });

  registry
    .command("ls")
    .description("list registered models")
    .action(async (_o: object, command: Command) => {
      const { g, trackingDir } = await context(command);
      const { listModels } = await import("../../models/catalogue.js");
      const models = listModels(trackingDir);
      if (g.json) {
        const { registeredModelJson } = await import("../../mlflow/json.js");
        const { listVersions } = await import("../../models/store.js");
        return printJson(models.map((m) => registeredModelJson(m, listVersions(trackingDir, m.name))));
      }
      const rows = [];
      for (const m of models) rows.push([m.name, m.latestVersion, m.production, m.staging, aliasText(m.aliases), await time(m.lastUpdatedTimestamp), m.description]);
      await printTable(g, ["name", "latest", "production", "staging", "aliases", "updated", "description"], rows);
    });

  registry
    .command("versions <name>")
    .description("list the versions of a model")
    .option("--all", "include deleted versions")
    .action(async (name: string, o: { all?: boolean }, command: Command) => {
      const { g, trackingDir } = await context(command);
      const { listVersions } = await import("../../models/store.js");
      const versions = listVersions(trackingDir, name, { includeDeleted: o.all === true });
      if (g.json) return printJson(versions.map((await import("../../mlflow/json.js")).modelVersionJson));
      const rows = [];
      for (const v of versions) rows.push([v.version, v.currentStage, v.aliases.join(", "), v.runId, await time(v.creationTimestamp), v.description]);
      await printTable(g, ["version", "stage", "aliases", "run", "created", "description"], rows);
    });

  registry
    .command("show <ref>")
    .description("a model (NAME) or one version with its lineage (NAME/N, NAME@ALIAS, models:/NAME/Production)")
    .action(async (ref: string, _o: object, command: Command) => {
      const { g, trackingDir } = await context(command);
      const { describeModel, describeVersion } = await import("../../models/catalogue.js");
      const detail = ref.includes("/") || ref.includes("@") ? describeVersion(trackingDir, ref) : describeModel(trackingDir, ref);
      if (g.json) {
        const { modelVersionJson, registeredModelJson } = await import("../../mlflow/json.js");
        const { versionArtifactDir } = await import("../../models/uri.js");
        if ("versions" in detail) return printJson(registeredModelJson(detail, detail.versions));
        // MLflow's ModelVersion, plus what mlf knows beyond it in a separate `mlf` field.
        const lineage = detail.lineage === null || "missing" in detail.lineage ? detail.lineage : {
          run_id: detail.lineage.runId, run_name: detail.lineage.runName, experiment_id: detail.lineage.experimentId, status: detail.lineage.status,
          start_time: detail.lineage.startTime, end_time: detail.lineage.endTime, params: detail.lineage.params, metrics: detail.lineage.metrics, git_commit: detail.lineage.gitCommit,
        };
        return printJson({
          ...modelVersionJson(detail),
          mlf: { uri: detail.uri, artifact_dir: versionArtifactDir(trackingDir, detail), flavors: detail.flavors, signature: detail.signature, features: detail.features, feature_service: detail.featureService, entity_keys: detail.entityKeys, digest: detail.digest, lineage },
        });
      }
      await printYaml(detail);
    });

  registry
    .command("alias <name> <alias> <version>")
    .description("point an alias (champion, ...) at a version; latest and v<N> are reserved")
    .action(async (name: string, alias: string, version: string, _o: object, command: Command) => {
      const { g, trackingDir } = await context(command);
      const { setAlias } = await import("../../models/lifecycle.js");
      const result = setAlias(trackingDir, name, alias, version);
      if (g.json) printJson(result);
      else printLine(`${name}@${alias} -> version ${result.version}${result.previous !== null && result.previous !== result.version ? ` (was ${result.previous})` : ""}.`);
    });

  registry
    .command("unalias <name> <alias>")
    .description("remove an alias")
    .action(async (name: string, alias: string, _o: object, command: Command) => {
      const { g, trackingDir } = await context(command);
      const { deleteAlias } = await import("../../models/lifecycle.js");
      const result = deleteAlias(trackingDir, name, alias);
      if (g.json) printJson(result);
      else printLine(`Removed ${name}@${alias} (was version ${result.previous}).`);
    });

  registry
    .command("promote <name> <version>")
    .description("move a version to a stage; promoting to production archives the previous production version")
    .requiredOption("--stage <stage>", "staging, production, archived or none")
    .action(async (name: string, version: string, o: { stage: string }, command: Command) => {
      const { g, trackingDir } = await context(command);
      const { transitionStage } = await import("../../models/lifecycle.js");
      const changes = transitionStage(trackingDir, name, version, o.stage);
      if (g.json) return printJson({ changes });
      if (changes.length === 0) printLine(`${name} version ${version} is already in that stage.`);
      for (const c of changes) printLine(`${name} version ${c.version}: ${c.from} -> ${c.to}`);
    });

  registry
    .command("history <name>")
    .description("the audit log of a model: who changed what, when")
    .action(async (name: string, _o: object, command: Command) => {
      const { g, trackingDir } = await context(command);
      const { readModel } = await import("../../models/store.js");
      const { readEvents } = await import("../../models/events.js");
      readModel(trackingDir, name);
      const events = readEvents(trackingDir, name);
      if (g.json) return printJson(events);
      const show = (v: Record<string, unknown> | null) => (v === null ? "" : JSON.stringify(v));
      await printTable(g, ["at", "user", "action", "version", "alias", "before", "after"], events.map((e) => [e.at, e.user, e.action, e.version, e.alias, show(e.before), show(e.after)]));
    });

  registry
    .command("delete-version <name> <version>")
    .description("soft-delete a version (its number is never reused) and remove its aliases")
    .action(async (name: string, version: string, _o: object, command: Command) => {
      const { g, trackingDir } = await context(command);
      const { deleteVersion } = await import("../../models/lifecycle.js");
      const result = deleteVersion(trackingDir, name, version);
      if (g.json) printJson(result);
      else printLine(`Deleted ${name} version ${result.version}${result.removedAliases.length ? ` and its aliases ${result.removedAliases.join(", ")}` : ""}.`);
    });

  // Accepted after the subcommand too (`mlf registry ls --tracking-dir X`), as users type it.
  for (const sub of registry.commands) sub.option("--tracking-dir <dir>", TRACKING_DIR_HELP);
}
