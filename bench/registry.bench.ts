import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { BenchTable } from "./run.js";
import { setAlias, transitionStage } from "../src/models/lifecycle.js";
import { loadModel } from "../src/models/load.js";
import { registerModel } from "../src/models/register.js";
import { resolveModelUri } from "../src/models/uri.js";

const MODEL = resolve(fileURLToPath(import.meta.url), "../../../test/fixtures/models/breast_cancer_logreg.onnx");
const VERSIONS = 200;

async function timeIt(n: number, fn: () => unknown): Promise<number> {
  await fn(); // warm-up: module loading and file cache
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / n;
}

const ms = (x: number) => x.toFixed(3);

/**
 * The registry's hot paths beside the simplest thing that does the same job:
 * registration beside a bare copy + sha256, alias/stage resolution (what `serve` repeats every
 * poll) beside reading every version's meta.yaml as MLflow's file store does, and a
 * digest-checked load beside onnxruntime opening the file unchecked.
 */
export async function run(): Promise<BenchTable> {
  const root = mkdtempSync(join(tmpdir(), "mlf-bench-registry-"));
  try {
    const register = await timeIt(20, () => registerModel(root, "warm", { file: MODEL }));
    const copyDir = mkdtempSync(join(root, "copy-"));
    let k = 0;
    const copy = await timeIt(20, () => {
      const target = join(copyDir, `m${k++}.onnx`);
      copyFileSync(MODEL, target);
      createHash("sha256").update(readFileSync(target)).digest("hex");
    });
    for (let i = 0; i < VERSIONS; i++) await registerModel(root, "big", { file: MODEL });
    setAlias(root, "big", "champion", 150);
    transitionStage(root, "big", 120, "production");

    const alias = await timeIt(200, () => resolveModelUri(root, "big@champion"));
    const stage = await timeIt(50, () => resolveModelUri(root, "models:/big/Production"));
    const modelDir = join(root, "models", "big");
    const scan = await timeIt(50, () => {
      // The baseline: parse every version's meta.yaml and pick by field, no alias files.
      const metas = readdirSync(modelDir).filter((d) => d.startsWith("version-")).map((d) => parse(readFileSync(join(modelDir, d, "meta.yaml"), "utf8")) as { current_stage: string; version: number });
      return metas.filter((m) => m.current_stage === "Production").sort((a, b) => b.version - a.version)[0];
    });

    const ort = await import("onnxruntime-node");
    const load = await timeIt(30, async () => (await loadModel(root, "big@champion")).session.release());
    const bare = await timeIt(30, async () => (await ort.InferenceSession.create(MODEL)).release());

    return {
      title: `Model registry (${VERSIONS} versions of one model; ms per operation, mean)`,
      head: ["operation", "mlf (ms)", "baseline (ms)", "baseline"],
      rows: [
        ["register a version (ONNX check, copy, sha256, MLmodel, meta)", ms(register), ms(copy), "copy + sha256 only"],
        ["resolve NAME@champion", ms(alias), ms(scan), "parse every version meta.yaml"],
        ["resolve models:/NAME/Production", ms(stage), ms(scan), "parse every version meta.yaml"],
        ["load model (resolve + sha256 check + session)", ms(load), ms(bare), "onnxruntime session, unchecked"],
      ],
      notes: ["Alias resolution reads one alias file and one meta.yaml; stage resolution reads every version like the baseline."],
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
