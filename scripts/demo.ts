// `npm run demo`: the whole loop on a copy of the bundled feature_repo/ (.demo/feature_repo),
// from raw departures to a served, tracked, versioned prediction.
// `node dist/scripts/demo.js prepare` only derives feature_repo/'s own data; `npm install`
// runs it, so the README's tour works on feature_repo/ right after the install.
import { resolve } from "node:path";
import { busiestRoute } from "./demo/entity.js";
import { runLoop } from "./demo/loop.js";
import { PACKAGE_ROOT } from "./demo/mlf.js";
import { runPipelineSteps } from "./demo/pipeline.js";
import { prepareData } from "./demo/prepare.js";
import { repoCopy } from "./demo/repo-copy.js";

const started = performance.now();
const onlyPrepare = process.argv[2] === "prepare";
const bundled = resolve(PACKAGE_ROOT, "feature_repo");
const repo = onlyPrepare ? bundled : repoCopy(bundled, resolve(PACKAGE_ROOT, ".demo", "feature_repo"));
const steps = 12;
let step = 0;

function line(name: string, detail: string, seconds: number): void {
  step++;
  process.stdout.write(`${String(step).padStart(2)}/${steps} ${name.padEnd(15)} ${detail} (${seconds.toFixed(1)} s)\n`);
}

async function main(): Promise<void> {
  const prepared = await prepareData({ root: repo });
  const detail = `${prepared.flights.toLocaleString("en-US")} US departures of Jan-Jun 2001 (vega-datasets) replayed to end at ${prepared.anchor.replace(":00.000Z", "Z")}, ${prepared.labels.toLocaleString("en-US")} labels (delayed > 15 min)${prepared.written ? "" : ", already there"}`;
  if (onlyPrepare) {
    process.stdout.write(`feature_repo/data: ${detail} (${prepared.seconds.toFixed(1)} s)\n`);
    return;
  }
  line("prepare", detail, prepared.seconds);
  const entity = await busiestRoute(repo);
  const result = await runLoop({ repo, entity, onStep: line });
  const ok = Math.abs(result.served.prediction - result.expected) < 1e-5 && result.served.model_version === result.version;
  const gate = runPipelineSteps(repo, line);
  const gated = gate.promoted.outcome === "promoted" && gate.rejected.outcome === "rejected" && gate.rejected.champion?.version === gate.promoted.challenger?.version;
  process.stdout.write(
    `${ok ? "OK" : "MISMATCH"}: the served prediction comes from ${result.served.model}@champion (version ${result.version}) on the features get-online returns for ${entity.origin}/${entity.route}; ${gated ? "OK" : "UNEXPECTED"}: the pipeline promoted a better challenger and rejected an equal one; demo took ${((performance.now() - started) / 1000).toFixed(1)} s.\n`,
  );
  if (!ok || !gated) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
