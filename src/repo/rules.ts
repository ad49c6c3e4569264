import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Problem } from "../errors.js";
import { isGlob } from "../util/fs.js";
import { pipelineRules } from "./pipelines.js";
import type { Definitions, DefinitionKind, Location } from "./types.js";

type Where = (kind: DefinitionKind, name: string) => Location;
type Rule = (defs: Definitions, where: Where, root: string) => Problem[];

/**
 * Cross-reference rules, checked after every file passed its schema. Each rule is a small
 * function returning the problems it finds, so all of them are reported together.
 */
const rules: Rule[] = [
  function sourcesExist(defs, where, root) {
    return defs.sources.flatMap((s) => {
      if (s.type !== "file" || isGlob(s.path) || existsSync(resolve(root, s.path))) return [];
      return [{ ...where("source", s.name), message: `source "${s.name}" reads ${s.path}, which does not exist`, hint: "fix the path (relative to the repository) or create the file" }];
    });
  },
  function fileSourcesHaveKnownFormat(defs, where) {
    return defs.sources.flatMap((s) =>
      s.type === "file" && !/\.(parquet|csv)$/i.test(s.path)
        ? [{ ...where("source", s.name), message: `source "${s.name}" reads ${s.path}, which is neither .parquet nor .csv`, hint: "convert the file or point at a .parquet/.csv file" }]
        : [],
    );
  },
  function viewReferencesExist(defs, where) {
    const entities = new Set(defs.entities.map((e) => e.name));
    const sources = new Set(defs.sources.map((s) => s.name));
    return defs.featureViews.flatMap((v) => [
      ...v.entities
        .filter((e) => !entities.has(e))
        .map((e) => ({ ...where("feature view", v.name), message: `feature view "${v.name}" uses unknown entity "${e}"`, hint: `define it or use one of: ${[...entities].join(", ") || "(none defined)"}` })),
      ...(sources.has(v.source) ? [] : [{ ...where("feature view", v.name), message: `feature view "${v.name}" reads unknown source "${v.source}"`, hint: `define it or use one of: ${[...sources].join(", ") || "(none defined)"}` }]),
    ]);
  },
  function viewFieldsAreDistinct(defs, where) {
    const joinKeys = new Map(defs.entities.map((e) => [e.name, e.joinKey]));
    return defs.featureViews.flatMap((v) => {
      const problems: Problem[] = [];
      const names = new Set<string>();
      const keys = new Set(v.entities.map((e) => joinKeys.get(e)));
      for (const f of v.schema) {
        if (names.has(f.name)) problems.push({ ...where("feature view", v.name), message: `feature view "${v.name}" declares feature "${f.name}" twice`, hint: "remove one of them" });
        if (keys.has(f.name)) problems.push({ ...where("feature view", v.name), message: `feature view "${v.name}" declares join key "${f.name}" as a feature`, hint: "remove it from the schema; join keys come from the entities" });
        names.add(f.name);
      }
      return problems;
    });
  },
  function serviceReferencesExist(defs, where) {
    const views = new Map(defs.featureViews.map((v) => [v.name, new Set(v.schema.map((f) => f.name))]));
    return defs.featureServices.flatMap((s) =>
      s.features.flatMap((p): Problem[] => {
        const fields = views.get(p.view);
        if (!fields) return [{ ...where("feature service", s.name), message: `feature service "${s.name}" uses unknown feature view "${p.view}"`, hint: `define it or use one of: ${[...views.keys()].join(", ") || "(none defined)"}` }];
        return (p.features ?? [])
          .filter((f) => !fields.has(f))
          .map((f) => ({ ...where("feature service", s.name), message: `feature service "${s.name}" uses unknown feature "${p.view}:${f}"`, hint: `the view has: ${[...fields].join(", ")}` }));
      }),
    );
  },
  function serviceFeaturesAreDistinct(defs, where) {
    // A feature listed twice would be two outputs of one name (see repo/resolve.ts, rule 3).
    const schema = new Map(defs.featureViews.map((v) => [v.name, v.schema.map((f) => f.name)]));
    return defs.featureServices.flatMap((s) => {
      const seen = new Set<string>();
      const twice = new Set<string>();
      for (const p of s.features) {
        for (const f of p.features ?? schema.get(p.view) ?? []) {
          const ref = `${p.view}:${f}`;
          if (seen.has(ref)) twice.add(ref);
          seen.add(ref);
        }
      }
      return [...twice].map((ref) => ({ ...where("feature service", s.name), message: `feature service "${s.name}" lists feature "${ref}" twice`, hint: "list each feature once" }));
    });
  },
];

export function checkRules(root: string, defs: Definitions, locations: Map<string, Location>): Problem[] {
  const where: Where = (kind, name) => locations.get(`${kind}:${name}`) ?? { file: "?" };
  return [...rules.flatMap((rule) => rule(defs, where, root)), ...pipelineRules(defs, (name) => where("pipeline", name), root)];
}
