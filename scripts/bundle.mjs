// `npm run build`, after tsc: bundles the CLI into dist/bundle/mlf.cjs, which bin/mlf runs,
// and saves V8's code cache for it beside it (mlf.cjs.cache).
//
// Why: Node 20 has no compile cache. `mlf get-online` spent its start-up resolving, reading,
// linking and compiling some 40 module files (ours, commander's, better-sqlite3's). One
// CommonJS file run from a code cache skips the ES module loader, the file look-ups and most
// of the compiling; see bench/cli.bench.ts for the numbers. Modules reached by a dynamic
// import() are bundled lazily (evaluated on first use), and the packages below stay outside,
// loaded by require() only when a command needs them, so `mlf --help` still loads no DuckDB.
// tsc still type-checks and compiles the library (package.json `main`) and the tests.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(root, "dist", "bundle", "mlf.cjs");

/** Native addons (found next to their own package files) and fastify, whose logger resolves worker files at run time. */
const external = ["better-sqlite3", "@duckdb/node-api", "onnxruntime-node", "fastify"];

rmSync(dirname(outfile), { recursive: true, force: true });
const options = {
  absWorkingDir: root,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external,
  // import() becomes require(): the bundle runs as a vm.Script (bin/mlf), which has no ES module loader.
  supported: { "dynamic-import": false },
  // import.meta has no CommonJS equivalent: `url` is the bundle's own (resolving packages from
  // it finds the same node_modules), computed only when asked for.
  define: { "import.meta": "__mlfImportMeta" },
  // "use strict" first: the banner would otherwise end the directive prologue and leave the
  // bundle (all of it ES module code, strict by definition) in sloppy mode.
  banner: { js: '"use strict";\nconst __mlfImportMeta = { get url() { return require("node:url").pathToFileURL(__filename).href; }, filename: __filename, dirname: __dirname };' },
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
};
await build({ ...options, entryPoints: ["src/cli/main.ts"], outfile });
// mlf serve's drift gauges fork this script by path (src/serving/logging/drift-run.ts): from
// the bundle, it must exist beside the bundle.
await build({ ...options, entryPoints: ["src/monitor/drift-child.ts"], outfile: join(dirname(outfile), "drift-child.cjs") });

/**
 * Runs bin/mlf with MLF_WRITE_CODE_CACHE=1 so it saves what V8 compiled at exit. Each run
 * starts from the previous cache, so it ends up holding what both compiled: every command's
 * registration (--help) and repository config and file code (init). The rest compiles when
 * first called; warming get-online too saved about 2 ms more and would need DuckDB here.
 */
function warm(args) {
  const result = spawnSync(process.execPath, [join(root, "bin", "mlf"), ...args], { cwd: root, env: { ...process.env, MLF_WRITE_CODE_CACHE: "1", NO_COLOR: "1" }, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`bin/mlf ${args.join(" ")} failed while warming the code cache: ${result.stderr}`);
}

const scratch = mkdtempSync(join(tmpdir(), "mlf-bundle-"));
try {
  warm(["--help"]);
  warm(["init", join(scratch, "repo"), "--json"]);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
