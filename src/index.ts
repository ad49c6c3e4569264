// The public library API: re-exports only.
export { MlfError, errorCodes, type ErrorCode, type Problem } from "./errors.js";
export { FeatureStore } from "./feature-store.js";
export { openRepo, loadRepoDefinitions, appliedRegistry, type Repo } from "./repo/repo.js";
export { applyRepo, planRepo, teardownRepo, validateRepo, type ApplyResult } from "./repo/apply.js";
export { computePlan, planLines, type Plan, type DefinitionChange, type TableChange } from "./repo/plan.js";
export { initRepo } from "./repo/init.js";
export type { RegistryFile, MaterializedInterval } from "./repo/registry.js";
export type * from "./repo/types.js";
export { OnlineReader, onlineRecords, type FeatureStatus, type OnlineColumn, type OnlineFeatures, type OnlineFeaturesRequest } from "./online/get-online.js";
export type { FeatureSelection, ReadPlan } from "./online/read-plan.js";
export { materialize, materializeIncremental, type MaterializeOptions, type ViewMaterialization } from "./online/materialize.js";
export { pushRows } from "./online/push.js";
export { openOnlineStore } from "./online/stores.js";
export type { OnlineRow, OnlineStore, OnlineTableSpec, OnlineWriteResult, ReadRequest, StoredRow } from "./online/store.js";
export { coerceKey } from "./online/keys.js";
