// The public library API: re-exports only.
export { MlfError, errorCodes, type ErrorCode, type Problem } from "./errors.js";
export { FeatureStore } from "./feature-store.js";
export { openRepo, appliedRegistry, type Repo } from "./repo/repo.js";
export { loadRepoDefinitions } from "./repo/definitions.js";
export { applyRepo, planRepo, teardownRepo, validateRepo, type ApplyResult } from "./apply/apply.js";
export { computePlan, planLines, type Plan, type DefinitionChange, type TableChange } from "./apply/plan.js";
export { initRepo } from "./repo/init.js";
export type { RegistryFile, MaterializedInterval } from "./repo/registry.js";
export type * from "./repo/types.js";
export type { Pipeline, PipelineTriggers, PipelineMetric } from "./repo/pipelines.js";
export {
  getHistoricalFeatures,
  DEFAULT_TIMESTAMP_COLUMN,
  type HistoricalFeaturesOptions,
  type HistoricalFeaturesResult,
  type ViewMatch,
} from "./offline/get-historical.js";
export type { JoinPlan } from "./offline/join-plan.js";
export { parseFeatureRef, resolveSelection, serviceRefs, type FeatureRef, type FeatureSelection, type JoinKey, type Resolution, type ViewRequest } from "./repo/resolve.js";
export { OnlineReader, onlineRecords, type FeatureStatus, type OnlineColumn, type OnlineFeatures, type OnlineFeaturesRequest } from "./online/get-online.js";
export type { ReadPlan } from "./online/read-plan.js";
export { materialize, materializeIncremental, type MaterializeOptions, type ViewMaterialization } from "./online/materialize.js";
export { pushRows, encodePush, type PushTarget, type PushColumns, type PushResult } from "./online/push.js";
export { openOnlineStore } from "./online/stores.js";
export type { OnlineRow, OnlineStore, OnlineTableSpec, OnlineWriteResult, ReadRequest, StoredRow } from "./online/store.js";
export { coerceKey, encodeFeature, encodeTime } from "./online/codec.js";
export { resolveTrackingDir, resolveTrackingRoot, type TrackingDirOptions, type ResolvedTrackingDir } from "./tracking/dir.js";
export { getRun, getExperiment, getMetricHistory, listExperiments, listRunIds, locateRun, type RunRef } from "./tracking/read.js";
export type { Experiment, Run, RunInfo, RunStatus, Metric, Liveness } from "./tracking/types.js";
export { registerModel, type RegisterOptions, type VersionCandidate, type VersionAttachment } from "./models/register.js";
export { registerMonitoredModel, type MonitoredRegisterOptions } from "./monitor/register.js";
export { listModels, describeModel, describeVersion, type ModelSummary, type VersionDetail } from "./models/catalogue.js";
export { listVersions, readModel, readVersion, type ModelVersion, type RegisteredModel } from "./models/store.js";
export { setAlias, deleteAlias, transitionStage, deleteVersion, type StageChange } from "./models/lifecycle.js";
export { readEvents, type RegistryEvent, type EventAction } from "./models/events.js";
export { parseModelUri, resolveModelUri, type ParsedModelUri, type ResolvedModel, type VersionSelector } from "./models/uri.js";
export { loadModel, type LoadedModel } from "./models/load.js";
export type { MLmodel, MlfMetadata } from "./models/mlmodel.js";
export type { OnnxSignature, TensorSpec } from "./models/onnx.js";
export { startRun, endRun, logParam, logMetric, logMetrics, setTag, logArtifact, heartbeat, type StartRunOptions, type MetricPoint } from "./tracking/write.js";
export { createExperiment, getOrCreateExperiment } from "./tracking/experiments.js";
export { searchRuns, type SearchOptions, type SearchResult } from "./tracking/search.js";
export { compareRuns, type Comparison, type ComparedKey } from "./tracking/compare.js";
export { runTracked, type TrackedCommand, type TrackedResult } from "./tracking/wrapper.js";
export { startServer, type ServeOptions, type Server } from "./serving/server.js";
export { openServing, type OpenServingOptions } from "./serving/open.js";
export { openFeatureBackend, type FeatureBackend } from "./serving/features.js";
export { modelSource } from "./serving/model-registry-source.js";
export { fileModelSource, type ModelSource, type ResolvedVersion, type ModelArtifact } from "./serving/sources.js";
export { ModelPool, type ModelStatus, type Log } from "./serving/model-pool.js";
export { parseRouteFlag, type RouteSpec, type RouteMode, type RollbackRules } from "./serving/routing/spec.js";
export type { RouteSetup } from "./serving/routing/routing.js";
export { OnnxModel, type Prediction } from "./serving/runtime/onnx.js";
export { startMlflowServer, type MlflowServerOptions, type MlflowServer } from "./mlflow/server.js";
export { runJson, runInfoJson, experimentJson, modelVersionJson, registeredModelJson, metricJson, type RunJson, type ExperimentJson, type ModelVersionJson, type RegisteredModelJson } from "./mlflow/json.js";
export { importMlflowDb, type ImportSummary } from "./mlflow/import-db.js";
export { feastLineageTags, type FeastLineage } from "./tracking/feast-lineage.js";
export { runPipeline, type RunPipelineOptions, type PipelineResult, type PipelineProgress } from "./pipeline/run.js";
export { pipelineStatus, pipelineHistory, listPipelines, type PipelineStatus } from "./pipeline/status.js";
export type { PipelineRun, TriggerResult } from "./pipeline/history.js";
export { auc, logLoss, accuracy, rmse, mae } from "./pipeline/metrics.js";
export {
  loadExplainer,
  type Explainer,
  type ExplainerOptions,
  type Explanation,
  type Attribution,
  type GlobalImportance,
  type ExplainMethod,
  type Transform,
} from "./explain/explainer.js";
export { explainGlobal, type GlobalRequest, type GlobalReport } from "./monitor/explain-global.js";
export { explainEntities, type ExplainEntitiesOptions, type ExplainAnswer, type RowExplanation, type FeatureAttribution } from "./serving/explain.js";
export { monitorDrift, type DriftRequest, type ModelDriftReport } from "./monitor/model-drift.js";
export type { DriftReport, FeatureDrift, DriftOptions } from "./monitor/drift.js";
export { readReference, type VersionReference } from "./monitor/read-reference.js";
export { backgroundRows, readReferenceSample } from "./models/reference.js";
export type { ReferenceProfile, FeatureProfile, ReferenceSample } from "./monitor/profile-format.js";
export { DEFAULT_LOG_DIR, LOG_COLUMNS, KEY_PREFIX, STATUS_PREFIX, logFilePath, logFolder, listLogFiles } from "./repo/feature-logs.js";
export { statTests, type StatTestName } from "./monitor/stattests/tests.js";
