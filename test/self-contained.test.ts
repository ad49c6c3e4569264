import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { MLRUNS_IRIS, REFERENCE_EXPECTED, REFERENCE_MODEL, ROOT } from "./helpers.js";

/**
 * A clone with nothing beside it must pass: every file the tests, benchmarks, scripts and the
 * CLI read is inside the repository, and the checked-in fixtures are exactly the reference data.
 */

/** Paths that leave the repository for the workplace's shared folder or its /work tree. */
const OUTSIDE = [
  { name: "a relative path up to the shared folder", pattern: /\.\.[\\/]+shared\b/ },
  { name: "a path joined up to the shared folder", pattern: /["']\.\.["']\s*,\s*(["']\.\.["']\s*,\s*)*["']shared["']/ },
  { name: "an absolute /work path", pattern: /(^|["'`\s(=:])\/work\// },
];

function outsideReferences(text: string): string[] {
  return OUTSIDE.filter(({ pattern }) => pattern.test(text)).map(({ name }) => name);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return path === join(ROOT, "test", "fixtures") ? [] : sourceFiles(path);
    return /\.(ts|mts|js|mjs|cjs|json|sh|yaml)$/.test(name) || dir.endsWith("bin") || dir.endsWith(".ci") ? [path] : [];
  });
}

test("the guard recognises every form a path outside the repository took", () => {
  const up = "..";
  for (const text of [`resolve(ROOT, "${up}", "shared")`, `resolve(here, '${up}', '${up}', 'shared')`, `"${up}/${up}/${up}/${up}/shared/models/m.onnx"`, `cp -r ${up}/shared/fixtures x`, `"/${"work"}/shared/x"`]) {
    assert.notDeepEqual(outsideReferences(text), [], text);
  }
  for (const text of ['join(ROOT, "test", "fixtures")', "// shared by every command", 'resolve(dir, "..", "shared-cache")', "src/work/x"]) {
    assert.deepEqual(outsideReferences(text), [], text);
  }
});

test("no test, benchmark, script, demo or source file reads a path outside the repository", () => {
  const files = ["src", "test", "bench", "scripts", "bin", ".ci"].flatMap((dir) => sourceFiles(join(ROOT, dir)));
  files.push(join(ROOT, "package.json"));
  assert.ok(files.length > 100, `only ${files.length} files scanned`);
  const found = files.flatMap((file) => outsideReferences(readFileSync(file, "utf8")).map((what) => `${relative(ROOT, file)}: ${what}`));
  assert.deepEqual(found, [], "copy what a test needs into test/fixtures/ (with its provenance) and read it from there");
});

/** Every folder and file under `dir` by relative path, sizes and contents: what git must keep. */
function treeDigest(dir: string): { files: number; folders: number; sha256: string } {
  const hash = createHash("sha256");
  let files = 0;
  let folders = 0;
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(path).isDirectory()) {
        folders++;
        hash.update(`d ${r}\n`);
        walk(path, r);
      } else {
        files++;
        const content = readFileSync(path);
        hash.update(`f ${r} ${content.length}\n`);
        hash.update(content);
      }
    }
  };
  walk(dir, "");
  return { files, folders, sha256: hash.digest("hex") };
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

test("the checked-in fixtures are the reference data byte for byte (nothing dropped or rewritten by git)", () => {
  // Digests of the originals, taken when they were copied in (see test/fixtures/README.md).
  assert.deepEqual(treeDigest(MLRUNS_IRIS), { files: 237, folders: 70, sha256: "dec6187d7d95e3edf530c526dd07b8eca8971c8db48090fcaa4aeef8f0697ba6" });
  assert.equal(sha256(REFERENCE_MODEL), "daa1826553f8044e17f3d8fba8e98fd196cc6670fef967649e91dc6dfcfa4088");
  assert.equal(sha256(REFERENCE_EXPECTED), "a908c11cf1dbe0baa5b423c0edb855469133ffca3bf0caacd8414c58114e74d8");
});
