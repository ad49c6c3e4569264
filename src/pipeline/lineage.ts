import { resolveFeatures } from "../offline/features.js";
import type { Pipeline } from "../repo/pipelines.js";
import type { Repo } from "../repo/repo.js";
import type { Definitions } from "../repo/types.js";

/**
 * Feast's lineage tags for a pipeline's runs (the names Feast's MLflow integration writes:
 * feast.feature_service, feast.feature_refs, ...), so tools reading Feast's lineage from
 * MLflow read a pipeline's training runs too.
 */
export function lineageTags(repo: Repo, defs: Definitions, pipeline: Pipeline): Record<string, string> {
  const refs = resolveFeatures(defs, { service: pipeline.featureService }).flatMap((r) => r.features.map((f) => `${r.view.name}:${f.name}`));
  const views = [...new Set(refs.map((r) => r.split(":")[0]!))].sort();
  return {
    "feast.project": repo.config.project,
    "feast.retrieval_type": "historical",
    "feast.feature_service": pipeline.featureService,
    "feast.feature_views": views.join(","),
    "feast.feature_refs": refs.join(","),
    "feast.feature_count": String(refs.length),
  };
}
