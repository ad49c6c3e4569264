import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { ROOT } from "./helpers.js";

/**
 * The layers of src/ stay straight: the folder-level import graph (each folder of src/ one
 * node, each file at the top of src/ its own node; static, dynamic and type-only imports all
 * count) has no cycle. A cycle means two folders each need the other, which is how `repo/`
 * once sat both below and above the stores.
 */
const SRC = join(ROOT, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** `offline` for src/offline/engine.ts, `errors.ts` for src/errors.ts. */
function nodeOf(file: string): string {
  return relative(SRC, file).split(/[\\/]/)[0]!;
}

/** Every relative import of a file: `import ... from "x"`, `export ... from "x"`, `import("x")`. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm)].map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, ".ts")));
}

export function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = nodeOf(file);
    for (const target of importsOf(file)) {
      const to = nodeOf(target);
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      // One example import per edge, to name in a failure.
      if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, `${relative(SRC, file)} -> ${relative(SRC, target)}`);
    }
  }
  return graph;
}

/** A cycle as its path of nodes (first = last), or undefined. */
function findCycle(graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

test("the folder-level import graph of src/ has no cycle", () => {
  const graph = folderGraph();
  assert.ok(graph.size > 5, "the graph was read");
  const cycle = findCycle(graph);
  const steps = cycle?.slice(1).map((to, i) => graph.get(cycle[i]!)!.get(to)!);
  assert.equal(cycle, undefined, `import cycle ${cycle?.join(" -> ")}:\n  ${steps?.join("\n  ")}`);
});

test("the cycle check finds a cycle when there is one", () => {
  const graph = new Map([["a", new Map([["b", "a.ts -> b.ts"]])], ["b", new Map([["c", ""]])], ["c", new Map([["a", ""]])]]);
  assert.deepEqual(findCycle(graph), ["a", "b", "c", "a"]);
});

test("the SQLite online backend does not import the DuckDB folder", () => {
  const offline = sourceFiles(join(SRC, "online", "sqlite")).flatMap((f) => importsOf(f).filter((t) => nodeOf(t) === "offline").map((t) => `${relative(SRC, f)} -> ${relative(SRC, t)}`));
  assert.deepEqual(offline, []);
});
