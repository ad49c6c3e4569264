// The public library API: re-exports only.
export { MlfError, errorCodes, type ErrorCode, type Problem } from "./errors.js";
export { FeatureStore } from "./feature-store.js";
export { openRepo, loadRepoDefinitions, appliedRegistry, type Repo } from "./repo/repo.js";
export { applyRepo, planRepo, teardownRepo, validateRepo, type ApplyResult } from "./repo/apply.js";
export { computePlan, planLines, type Plan, type DefinitionChange, type TableChange } from "./repo/plan.js";
export { initRepo } from "./repo/init.js";
export type { RegistryFile, MaterializedInterval } from "./repo/registry.js";
export type * from "./repo/types.js";
export { resolveTrackingDir, resolveTrackingRoot, type TrackingDirOptions, type ResolvedTrackingDir } from "./tracking/dir.js";
export { getRun, getExperiment, getMetricHistory, listExperiments, listRunIds, locateRun, type RunRef } from "./tracking/read.js";
export type { Experiment, Run, RunInfo, RunStatus, Metric, Liveness } from "./tracking/types.js";
