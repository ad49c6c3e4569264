// Runs every compiled test file with node's test runner (Node 20's --test takes no globs).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith(".test.js") ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = find("dist/test").filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
// No colours in what tests read (FORCE_COLOR, set by some CI systems, would win over NO_COLOR).
const { FORCE_COLOR: _forced, ...env } = process.env;
const result = spawnSync(process.execPath, ["--test", "--test-concurrency=2", ...files], {
  stdio: "inherit",
  env: { ...env, TZ: "UTC", NO_COLOR: "1" },
});
process.exit(result.status ?? 1);
