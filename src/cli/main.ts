import { Command, CommanderError } from "commander";
import { MlfError, toMlfError } from "../errors.js";
import { version } from "../version.js";
import { colorFor, loadColors } from "./colors.js";
import { printError } from "./render.js";

/**
 * The `mlf` entry point and the only place that ends the process. Command modules are thin
 * (parse flags, call the library, render) and loaded on demand: a run of one command imports
 * only that command's module, so `mlf get-online` never loads DuckDB or onnxruntime.
 * bin/mlf runs this file bundled with what it imports (scripts/bundle.mjs).
 */

type CommandModule = { register(program: Command): void };
const modules: Record<string, () => Promise<CommandModule>> = {
  init: () => import("./commands/init.js"),
  plan: () => import("./commands/plan.js"),
  apply: () => import("./commands/apply.js"),
  teardown: () => import("./commands/teardown.js"),
  catalogue: () => import("./commands/catalogue.js"),
  materialize: () => import("./commands/materialize.js"),
  "get-historical": () => import("./commands/get-historical.js"),
  "get-online": () => import("./commands/get-online.js"),
  serve: () => import("./commands/serve.js"),
  server: () => import("./commands/server.js"),
  track: () => import("./commands/track.js"),
  registry: () => import("./commands/registry.js"),
  monitor: () => import("./commands/monitor.js"),
  pipeline: () => import("./commands/pipeline.js"),
  ui: () => import("./commands/ui.js"),
  explain: () => import("./commands/explain.js"),
};

/** Command names (and aliases) to the module that registers them. */
const moduleOf: Record<string, keyof typeof modules> = {
  init: "init",
  plan: "plan",
  apply: "apply",
  teardown: "teardown",
  entities: "catalogue",
  "feature-views": "catalogue",
  "feature-services": "catalogue",
  sources: "catalogue",
  materialize: "materialize",
  "materialize-incremental": "materialize",
  "get-historical": "get-historical",
  "get-historical-features": "get-historical",
  "get-online": "get-online",
  "get-online-features": "get-online",
  serve: "serve",
  server: "server",
  track: "track",
  registry: "registry",
  monitor: "monitor",
  pipeline: "pipeline",
  ui: "ui",
  explain: "explain",
};

/** The first word of argv that is not a global flag or its value: the command's name. */
function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "-C" || arg === "--repo") i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

function program(json: boolean): Command {
  return new Command("mlf")
    .description("Local-first MLOps: feature store, experiment tracking, model registry and serving")
    .version(version, "-V, --version")
    .option("-C, --repo <dir>", "feature repository folder (default: $MLF_REPO, else the nearest folder with feature_store.yaml)")
    .option("--json", "machine-readable output on stdout")
    .option("-q, --quiet", "no summaries or progress on stderr")
    .option("--no-color", "no colours (also NO_COLOR)")
    .option("--verbose", "stack traces with errors")
    .showHelpAfterError("(run with --help for usage)")
    // With --json a parse error becomes the JSON envelope (see the catch below), not commander's text.
    .configureOutput({ outputError: (text, write) => !json && write(text) })
    .exitOverride();
}

/** A commander parse error (unknown option, missing argument, no command) as mlf's usage error. */
function usageError(error: InstanceType<typeof CommanderError>): MlfError {
  if (error.code === "commander.help") return new MlfError("usage", 'No command given; run "mlf --help" for the list of commands.');
  return new MlfError("usage", `${error.message.replace(/^error: /, "")}; run with --help for usage.`);
}

async function main(argv: string[]): Promise<void> {
  if (color || stderrColor) await loadColors();
  const cli = program(json);
  const name = commandName(argv);
  const wanted = name && moduleOf[name] ? [moduleOf[name]] : Object.keys(modules);
  // Loaded together (Node overlaps the module reads), registered in order (help lists them so).
  for (const mod of await Promise.all(wanted.map((key) => modules[key]!()))) mod.register(cli);
  await cli.parseAsync(argv, { from: "user" });
}

// `mlf ... | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const argv = process.argv.slice(2);
const json = argv.includes("--json");
const verbose = argv.includes("--verbose");
const color = colorFor(!argv.includes("--no-color"), process.stdout);
const stderrColor = colorFor(!argv.includes("--no-color"), process.stderr);
main(argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Help and version end with code 0; every parse error is a usage error (exit 2), which
    // commander has already printed unless --json asked for the envelope.
    if (error.exitCode === 0) process.exit(0);
    if (!json) process.exit(2);
  }
  const mlfError = error instanceof CommanderError ? usageError(error) : toMlfError(error);
  printError({ json, verbose, stderrColor }, mlfError);
  process.exit(mlfError.exitCode);
});
