import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * `npm run bench`: runs every `*.bench.js` module beside this file (or those named on the
 * command line) and prints one table per module, the baseline measured in the same run
 * beside mlf. A bench module exports `run(): Promise<BenchTable>`.
 */
export interface BenchTable {
  title: string;
  head: string[];
  rows: (string | number)[][];
  notes?: string[];
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith(".bench.js"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { run(): Promise<BenchTable> };
  const table = await mod.run();
  const cells = [table.head, ...table.rows.map((r) => r.map(String))];
  const widths = table.head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  console.log(`\n## ${table.title}\n`);
  console.log(line(table.head));
  console.log(`|${widths.map((w, i) => (i === 0 ? `${"-".repeat(w + 1)}-` : `-${"-".repeat(w)}:`)).join("|")}|`);
  for (const r of table.rows) console.log(line(r.map(String)));
  for (const note of table.notes ?? []) console.log(`\n${note}`);
}
