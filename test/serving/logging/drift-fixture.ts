import { join } from "node:path";
import { setAlias } from "../../../src/models/lifecycle.js";
import { registerModel } from "../../../src/models/register.js";
import { registerMonitoredModel } from "../../../src/monitor/register.js";
import type { Repo } from "../../../src/repo/repo.js";
import { tempDir } from "../../helpers.js";
import { lcg, normal } from "../../monitor/oracle.js";
import { writeParquet } from "../../monitor/fixtures.js";
import { MODEL, expected } from "../helpers.js";
import { featureRefs, materializeAll, writeCancerRepo, writePatientCsv } from "../repo.js";

/**
 * The breast-cancer repository with patients drawn from a distribution, for drift tests:
 * patients 1-200 from the reference distribution (each feature normal around its mean over
 * the 30 reference rows, with their standard deviation), patients 201-400 with every feature
 * shifted by 1.5 standard deviations. Model "cancer" version 2 (alias champion) is registered
 * with a 300-row reference drawn from the unshifted distribution; model "plain" has no reference.
 */
export const referencePatients = Array.from({ length: 200 }, (_, i) => i + 1);
export const shiftedPatients = Array.from({ length: 200 }, (_, i) => i + 201);

const stats = expected.feature_names.map((_, j) => {
  const xs = expected.rows.map((r) => r[j]!);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, sd: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
});

function draws(n: number, shift: number, seed: number): number[][] {
  const next = lcg(seed);
  return Array.from({ length: n }, () => stats.map(({ mean, sd }) => Number((mean + sd * (normal(next) + shift)).toFixed(6))));
}

export async function driftRepo(t: { after(fn: () => void): void }): Promise<{ repo: Repo; trackingDir: string }> {
  const dir = tempDir(t, "mlf-drift-");
  const { repo, trackingDir } = await writeCancerRepo(dir);
  const rows = [...draws(200, 0, 3), ...draws(200, 1.5, 4)];
  writePatientCsv(join(dir, "data", "cancer.csv"), expected.feature_names, rows.map((r) => r.map((v) => v.toFixed(6))), rows.map((_, i) => i + 1));
  await materializeAll(repo);
  const reference = join(dir, "data", "training_set.parquet");
  await writeParquet(reference, Object.fromEntries(expected.feature_names.map((f) => [f, "DOUBLE"])), draws(300, 0, 5));
  await registerMonitoredModel(trackingDir, "cancer", { file: MODEL, features: featureRefs, reference });
  setAlias(trackingDir, "cancer", "champion", 2);
  await registerModel(trackingDir, "plain", { file: MODEL, features: featureRefs });
  return { repo, trackingDir };
}
