import { registerModel } from "../../src/models/register.js";
import { registerMonitoredModel } from "../../src/monitor/register.js";
import type { Repo } from "../../src/repo/repo.js";
import { fixture } from "../explain/helpers.js";
import { tempDir } from "../helpers.js";
import { writeViewRepo } from "./repo.js";

/** The 120 diabetes rows of the explain fixtures (their background, then their other rows). */
const forest = fixture("diabetes_forest");
export const diabetesNames = forest.expected.feature_names;
export const diabetesRows = [...forest.expected.background, ...forest.expected.rows];
export const diabetesRefs = diabetesNames.map((f) => `diabetes:${f}`);
/** Patient ids of the rows: 2000 + row index. */
export const diabetesIds = diabetesRows.map((_, i) => 2000 + i);

/**
 * A feature repository whose online store holds the 120 diabetes rows (one patient each,
 * unlimited ttl) and a registry where, all trained on those features with that file as
 * reference data:
 * - "diabetes" version 1 is the 25-tree reference forest, version 2 the scaler + ridge;
 * - "mlp" version 1 is the MLP (KernelSHAP);
 * - "bare" version 1 is the forest registered without reference data.
 */
export function diabetesRepo(t: { after(fn: () => void): void }): Promise<DiabetesRepo> {
  return writeDiabetesRepo(tempDir(t, "mlf-explain-"));
}

export interface DiabetesRepo {
  repo: Repo;
  dir: string;
  trackingDir: string;
  /** The reference data file (also the feature view's source). */
  reference: string;
}

/** diabetesRepo in a given empty folder (the bench uses it too). */
export async function writeDiabetesRepo(dir: string): Promise<DiabetesRepo> {
  const { repo, csv: reference } = await writeViewRepo(dir, { project: "why", view: "diabetes", names: diabetesNames, rows: diabetesRows.map((r) => r.map(String)), ids: diabetesIds });
  const trackingDir = repo.config.trackingPath;
  const register = (name: string, model: string, withReference = true) =>
    (withReference ? registerMonitoredModel : registerModel)(trackingDir, name, { file: fixture(model).path, features: diabetesRefs, ...(withReference && { reference }) });
  await register("diabetes", "diabetes_forest");
  await register("diabetes", "diabetes_ridge");
  await register("mlp", "diabetes_mlp");
  await register("bare", "diabetes_forest", false);
  return { repo, dir, trackingDir, reference };
}
