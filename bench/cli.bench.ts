import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchTable } from "./run.js";

/**
 * CLI start-up: the light commands must not load DuckDB or onnxruntime, so their wall time
 * stays close to starting Node itself. Runs are interleaved so machine load hits all alike.
 */
const MLF = resolve(fileURLToPath(import.meta.url), "../../../bin/mlf");
const RUNS = Number(process.env.MLF_BENCH_CLI_RUNS ?? 30);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

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
    const commands: [string, string[]][] = [
      ["node -e 0 (baseline)", ["-e", "0"]],
      ["mlf --help", [MLF, "--help"]],
      ["mlf entities list", [MLF, "-C", repo, "entities", "list"]],
      ["mlf get-online (1 entity x 2 features)", [MLF, "-C", repo, "get-online", "-e", "driver_id=1001", "-f", "driver_hourly_stats:conv_rate,driver_hourly_stats:trips"]],
    ];
    const times = commands.map(() => [] as number[]);
    for (let i = 0; i < RUNS; i++) {
      commands.forEach(([, args], j) => {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
        if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${String(r.stderr)}`);
        times[j]!.push(performance.now() - t0);
      });
    }
    const base = median(times[0]!);
    return {
      title: `CLI start-up (median of ${RUNS} runs, interleaved)`,
      head: ["command", "wall ms", "vs node -e 0", "goal"],
      rows: commands.map(([name], j) => {
        const ms = median(times[j]!);
        return [name, ms.toFixed(1), `${(ms / base).toFixed(2)}x`, j === 0 ? "" : "<= 1.5x"];
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
