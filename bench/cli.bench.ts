import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchTable } from "./run.js";
import { median } from "./stats.js";

/**
 * CLI start-up: the light commands must not load DuckDB or onnxruntime, so their wall time
 * stays close to starting Node itself. bin/mlf runs the bundle with its code cache
 * (scripts/bundle.mjs); the unbundled rows run tsc's output of the same code, as bin/mlf did
 * before. Runs are interleaved so machine load hits all alike; CPU time (user + system, read
 * by each child at exit) is steadier than wall time on a busy machine.
 */
const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const MLF = join(ROOT, "bin", "mlf");
const UNBUNDLED = join(ROOT, "dist", "src", "cli", "main.js");
const RUNS = Number(process.env.MLF_BENCH_CLI_RUNS ?? 30);

export async function run(): Promise<BenchTable> {
  const dir = mkdtempSync(join(tmpdir(), "mlf-bench-cli-"));
  try {
    const repo = join(dir, "repo");
    const setup = (args: string[]) => {
      const r = spawnSync(process.execPath, [MLF, ...args], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`mlf ${args.join(" ")} failed: ${r.stderr}`);
    };
    setup(["init", repo]);
    setup(["-C", repo, "apply"]);
    setup(["-C", repo, "materialize-incremental", "now"]);
    const cpuProbe = join(dir, "cpu.cjs");
    writeFileSync(cpuProbe, 'process.on("exit", () => { const u = process.cpuUsage(); require("fs").writeSync(2, `\\nmlf-bench-cpu-us ${u.user + u.system}\\n`); });\n');

    const light: [string, string[]][] = [
      ["--help", ["--help"]],
      ["entities list", ["-C", repo, "entities", "list"]],
      ["get-online (1 entity x 2 features)", ["-C", repo, "get-online", "-e", "driver_id=1001", "-f", "driver_hourly_stats:conv_rate,driver_hourly_stats:trips"]],
    ];
    const commands: [string, string[]][] = [["node -e 0 (baseline)", ["-e", "0"]]];
    for (const [name, args] of light) {
      commands.push([`mlf ${name}`, [MLF, ...args]], [`  unbundled (tsc output)`, [UNBUNDLED, ...args]]);
    }
    const wall = commands.map(() => [] as number[]);
    const cpu = commands.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++) {
      commands.forEach(([, args], j) => {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, ["--require", cpuProbe, ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
        wall[j]!.push(performance.now() - t0);
        const us = /mlf-bench-cpu-us (\d+)/.exec(r.stderr);
        if (r.status !== 0 || !us) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
        cpu[j]!.push(Number(us[1]) / 1000);
      });
    }
    const baseWall = median(wall[0]!);
    const baseCpu = median(cpu[0]!);
    return {
      title: `CLI start-up (median of ${RUNS} runs, interleaved)`,
      head: ["command", "wall ms", "vs node -e 0", "CPU ms", "vs node -e 0", "goal"],
      rows: commands.map(([name], j) => {
        const w = median(wall[j]!);
        const c = median(cpu[j]!);
        return [name, w.toFixed(1), `${(w / baseWall).toFixed(2)}x`, c.toFixed(1), `${(c / baseCpu).toFixed(2)}x`, name.startsWith("mlf ") ? "<= 1.5x" : ""];
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
