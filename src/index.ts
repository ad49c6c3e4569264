// The public library API: re-exports only.
export { MlfError, errorCodes, type ErrorCode, type Problem } from "./errors.js";
export { FeatureStore } from "./feature-store.js";
export { openRepo, loadRepoDefinitions, appliedRegistry, type Repo } from "./repo/repo.js";
export { applyRepo, planRepo, teardownRepo, validateRepo, type ApplyResult } from "./repo/apply.js";
export { computePlan, planLines, type Plan, type DefinitionChange, type TableChange } from "./repo/plan.js";
export { initRepo } from "./repo/init.js";
export type { RegistryFile, MaterializedInterval } from "./repo/registry.js";
export type * from "./repo/types.js";
export {
  getHistoricalFeatures,
  DEFAULT_TIMESTAMP_COLUMN,
  type HistoricalFeaturesOptions,
  type HistoricalFeaturesResult,
  type ViewMatch,
} from "./offline/get-historical.js";
export { parseFeatureRef, resolveFeatures, type FeatureSelection, type ViewRequest } from "./offline/features.js";
