import { MlfError } from "../errors.js";
import { backgroundRows, readReferenceSample } from "../models/reference.js";
import type { ModelVersion } from "../models/store.js";
import type { Explainer } from "./explainer.js";

/** What a model version's attributions are measured against. */
export interface Background {
  /** The model's inputs in input order (`view:feature`), as the reference recorded them. */
  columns: string[];
  /** One number per input, NaN for a missing value. */
  rows: number[][];
}

/**
 * Background rows KernelSHAP uses: a seeded uniform subsample of the reference sample (500
 * rows). KernelSHAP runs budget x background rows through the model per explanation, so this
 * bounds its latency (1,024 coalitions x 50 rows); the exact methods use every row. A
 * subsample rather than k-means centroids: real rows stay on the data's manifold (a centroid
 * can be a combination no model saw), and the kernel engine weighs every row alike.
 */
export const KERNEL_BACKGROUND_ROWS = 50;

/**
 * The reference sample of a registered model version as a background, or a `conflict`
 * error naming the fix when the version has none (`label` names the model in it).
 */
export async function referenceBackground(trackingDir: string, version: ModelVersion | undefined, label: string): Promise<Background> {
  if (!version) throw new MlfError("conflict", `${label} is not a registered model version, so it has no reference data to explain against; serve a version registered with --reference FILE.`);
  const sample = readReferenceSample(trackingDir, version);
  if (!sample) {
    throw new MlfError("conflict", `Version ${version.version} of model "${version.name}" has no reference data to explain against; register the model again with --reference FILE (its training set).`);
  }
  return { columns: sample.columns, rows: backgroundRows({ sample }) };
}

/**
 * The explainer of one loaded model version: built on the first `get` (so a version nobody
 * explains costs nothing) from the version's own checked bytes and its background, then kept
 * until `release`. It belongs to the version, so whoever holds the version explains with it:
 * hot swap replaces both together. A failed build is not kept: the next `get` tries again.
 */
export class VersionExplainer {
  private built: Promise<Explainer> | undefined;

  constructor(
    private readonly bytes: Uint8Array,
    /** How errors name the model ("cancer version 3"). */
    private readonly label: string,
    private readonly background: () => Promise<Background>,
  ) {}

  /** The explainer; concurrent first calls share one build. */
  get(): Promise<Explainer> {
    if (!this.built) {
      const building = this.build();
      this.built = building;
      building.catch(() => {
        if (this.built === building) this.built = undefined;
      });
    }
    return this.built;
  }

  private async build(): Promise<Explainer> {
    const [{ loadExplainer }, background] = await Promise.all([import("./explainer.js"), this.background()]);
    return loadExplainer(this.bytes, { background: background.rows, featureNames: background.columns, kernelBackground: KERNEL_BACKGROUND_ROWS, label: this.label });
  }

  /** Closes the explainer if it was built (KernelSHAP holds an onnxruntime session). */
  async release(): Promise<void> {
    const built = this.built;
    this.built = undefined;
    const explainer = await built?.catch(() => undefined);
    await explainer?.close();
  }
}
