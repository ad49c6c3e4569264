import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MLF, mlf, ROOT, tempDir } from "../helpers.js";

/**
 * bin/mlf runs the bundle (scripts/bundle.mjs): one file whose commands are evaluated on first
 * use and whose heavy packages are required only by the commands that need them.
 */

/** The files Node's require() loaded during `bin/mlf ARGS` (the bundle requires every package it leaves outside). */
function loadedFiles(t: { after(fn: () => void): void }, args: string[]): string[] {
  const dir = tempDir(t);
  const probe = join(dir, "probe.cjs");
  const out = join(dir, "loaded.json");
  writeFileSync(probe, `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`);
  const r = spawnSync(process.execPath, ["--require", probe, MLF, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(out, "utf8")) as string[];
}

const HEAVY = /[/\\]node_modules[/\\](@duckdb|onnxruntime-node|fastify)[/\\]/;

test("help, catalogue and get-online load neither DuckDB, onnxruntime nor fastify, and no per-module tsc output", (t) => {
  const repo = join(tempDir(t), "repo");
  for (const args of [["init", repo], ["-C", repo, "apply"], ["-C", repo, "materialize-incremental", "now"]]) {
    const r = mlf(args);
    assert.equal(r.status, 0, r.stderr);
  }
  for (const args of [["--help"], ["-C", repo, "entities", "list"], ["-C", repo, "get-online", "-e", "driver_id=1001", "-f", "driver_hourly_stats:trips"]]) {
    const files = loadedFiles(t, args);
    assert.deepEqual(files.filter((f) => HEAVY.test(f)), [], `mlf ${args.join(" ")}`);
    assert.deepEqual(files.filter((f) => f.includes(join("dist", "src"))), [], "bin/mlf runs the bundle");
  }
  // A heavy command still finds its package from the bundle.
  const plan = loadedFiles(t, ["-C", repo, "plan"]);
  assert.ok(plan.some((f) => /[/\\]@duckdb[/\\]/.test(f)), "plan checks the data in DuckDB");
});

test("the bundle runs in strict mode, as its ES module sources do", () => {
  const bundle = readFileSync(join(ROOT, "dist", "bundle", "mlf.cjs"), "utf8");
  assert.match(bundle, /^"use strict";\n/, "the directive must come before the banner's code");
});

test("the package's library entry is the compiled library, not the CLI bundle", async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; main: string; bin: Record<string, string> };
  assert.equal(pkg.bin.mlf, "bin/mlf");
  // A self-reference resolves through package.json `exports`, as `import ... from "mlf"` does for users.
  const name = pkg.name;
  const lib = (await import(name)) as Record<string, unknown>;
  assert.equal(typeof lib.FeatureStore, "function");
  assert.equal(typeof lib.MlfError, "function");
  assert.equal(typeof lib.resolveTrackingDir, "function");
});
