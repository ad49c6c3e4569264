import { registerModel, type RegisterOptions } from "../models/register.js";
import type { ModelVersion } from "../models/store.js";
import type { OfflineStoreConfig } from "../repo/types.js";
import { prepareReference, writeReference } from "./reference.js";

export interface MonitoredRegisterOptions extends RegisterOptions {
  /** The training data to monitor the version against (default: the run's one `--input`). */
  reference?: string;
  /** The DuckDB settings used to profile the reference. */
  offline?: OfflineStoreConfig;
  /** Told why the version has no reference when the run's inputs do not give one. */
  warn?: (message: string) => void;
}

/**
 * Registers a model version with its drift reference: the training set is found (`--reference`,
 * else the run's one input with its recorded digest) and profiled before anything is written,
 * then recorded in the MLmodel and written beside the model as reference.json. The model
 * registry itself knows nothing of monitoring; it only offers the `attach` hook.
 */
export function registerMonitoredModel(trackingDir: string, name: string, options: MonitoredRegisterOptions): Promise<ModelVersion> {
  const { reference: file, offline, warn, ...register } = options;
  return registerModel(trackingDir, name, {
    ...register,
    attach: async ({ bytes, inputs, runId }) => {
      const prepared = await prepareReference({
        trackingDir,
        inputs,
        model: bytes,
        ...(file !== undefined && { file }),
        ...(runId !== undefined && { runId }),
        ...(options.cwd !== undefined && { cwd: options.cwd }),
        ...(options.definitions !== undefined && { definitions: options.definitions }),
        ...(offline !== undefined && { offline }),
        ...(warn !== undefined && { warn }),
      });
      return prepared && { metadata: { reference: prepared.record }, write: (dir) => writeReference(dir, prepared.profile) };
    },
  });
}
