/**
 * The lineage tags Feast's own MLflow integration writes on a training run
 * (feast-dev/feast, sdk/python/feast/mlflow_integration/logger.py, log_feature_retrieval),
 * spelled and truncated exactly as Feast does, so tools that read Feast's lineage from MLflow
 * read mlf's runs too. `mlf track run` writes them; pipelines reuse this helper.
 */

/** Feast's MLFLOW_TAG_MAX_LENGTH and its truncation (config.py): longer values end in "...". */
const TAG_MAX_LENGTH = 5000;
const truncate = (value: string) => (value.length > TAG_MAX_LENGTH - 10 ? `${value.slice(0, TAG_MAX_LENGTH - 13)}...` : value);

export interface FeastLineage {
  /** The feature repository's project (`feast.project`). */
  project?: string;
  /** The feature service the training set came from (`feast.feature_service`). */
  featureService?: string;
  /** `view:feature` references in request order (`feast.feature_refs`, `feast.feature_views`, `feast.feature_count`). */
  featureRefs: string[];
  /** Rows of the entity frame (`feast.entity_count`), when known. */
  entityCount?: number;
  /** Feast's `feast.retrieval_type`: "historical" for a training set. */
  retrievalType?: "historical" | "online";
}

/** Feast's tag names and values for one feature retrieval, as `{tag: value}`. */
export function feastLineageTags(lineage: FeastLineage): Record<string, string> {
  const views = [...new Set(lineage.featureRefs.filter((r) => r.includes(":")).map((r) => r.split(":")[0]!))].sort();
  return {
    ...(lineage.project && { "feast.project": lineage.project }),
    "feast.retrieval_type": lineage.retrievalType ?? "historical",
    ...(lineage.featureService && { "feast.feature_service": lineage.featureService }),
    ...(views.length > 0 && { "feast.feature_views": truncate(views.join(",")) }),
    ...(lineage.featureRefs.length > 0 && { "feast.feature_refs": truncate(lineage.featureRefs.join(",")) }),
    ...(lineage.entityCount !== undefined && { "feast.entity_count": String(lineage.entityCount) }),
    ...(lineage.featureRefs.length > 0 && { "feast.feature_count": String(lineage.featureRefs.length) }),
  };
}
