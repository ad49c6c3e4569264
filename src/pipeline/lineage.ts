import type { Pipeline } from "../repo/pipelines.js";
import type { Repo } from "../repo/repo.js";
import { formatFeatureRef, serviceRefs } from "../repo/resolve.js";
import type { Definitions } from "../repo/types.js";
import type { FeastLineage } from "../tracking/feast-lineage.js";

/** What a pipeline's runs train on, for Feast's lineage tags (feast.feature_service, feast.feature_refs, ...). */
export function pipelineLineage(repo: Repo, defs: Definitions, pipeline: Pipeline, entityCount?: number): FeastLineage {
  const featureRefs = serviceRefs(defs, pipeline.featureService).map(formatFeatureRef);
  return { project: repo.config.project, featureService: pipeline.featureService, featureRefs, retrievalType: "historical", ...(entityCount !== undefined && { entityCount }) };
}
