import { MlfError } from "../../errors.js";
import { CONFIG_FILE, readConfigText } from "../../repo/config.js";
import { ConfigSchema, type RouteYaml } from "../../repo/schema.js";
import { YamlSource } from "../../repo/yaml-source.js";
import { routesFromYaml, type RouteSpec } from "./spec.js";

/**
 * The routes declared in the repository's feature_store.yaml (`routes:`), checked with the
 * repository's schema and then routing's rules, every problem with its line; model files
 * named there are relative to the repository.
 */
export function repoRoutes(root: string): RouteSpec[] {
  const text = readConfigText(root);
  // Most repositories declare no routes: skip parsing the YAML again.
  if (!/^routes\s*:/m.test(text)) return [];
  const { source, problems } = YamlSource.parse(CONFIG_FILE, text);
  const block = (source?.value as { routes?: Record<string, RouteYaml> } | undefined)?.routes;
  if (source && block) {
    problems.push(...source.check(ConfigSchema.properties.routes, block, ["routes"]));
    if (problems.length === 0) {
      const found = routesFromYaml(block, CONFIG_FILE, (path) => source.lineOf(path), root);
      if (found.problems.length === 0) return found.routes;
      problems.push(...found.problems);
    }
  }
  if (problems.length === 0) return [];
  throw new MlfError("invalid_definition", `The routes in ${CONFIG_FILE} are invalid (${problems.length} problem${problems.length > 1 ? "s" : ""}).`, { problems });
}
