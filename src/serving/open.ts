import { startServer, type ServeOptions, type Server } from "./server.js";
import { fileModelSource } from "./sources.js";

export interface OpenServingOptions extends Omit<ServeOptions, "models" | "features"> {
  /** The feature repository (default: MLF_REPO, else the nearest folder with feature_store.yaml). */
  repoDir?: string;
  /** Model references as the user wrote them. */
  models: string[];
}

/** Resolves what `mlf serve` was given (repository, model references) and starts the server. */
export async function openServing(options: OpenServingOptions): Promise<Server> {
  const { repoDir: _repoDir, models, ...rest } = options;
  return startServer({ ...rest, models: models.map((uri) => fileModelSource(uri)) });
}
