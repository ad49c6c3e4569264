import type { Command } from "commander";
import { describeObject, listObjects, type CatalogueKind } from "../../repo/catalogue.js";
import type { RegistryFile } from "../../repo/registry.js";
import { globalOptions } from "../context.js";
import { printJson, printTable, printYaml } from "../render.js";

const kinds: Record<CatalogueKind, string> = {
  entities: "entities",
  "feature-views": "feature views",
  "feature-services": "feature services",
  sources: "data sources",
};

/** Columns of the `list` table per kind, from the object's public shape. */
const columns: Record<CatalogueKind, string[]> = {
  entities: ["name", "join_keys", "value_type", "description"],
  "feature-views": ["name", "entities", "source", "ttl", "online", "materialized_until"],
  "feature-services": ["name", "features"],
  sources: ["name", "type", "timestamp_field"],
};

const cell = (v: unknown) => (typeof v === "string" ? v : v === null || v === undefined ? "" : Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(", ") : JSON.stringify(v));

/** The applied registry, without loading the YAML and schema libraries on a current config cache (see openRepo). */
async function appliedRegistryForReads(dir: string | undefined): Promise<RegistryFile> {
  const { appliedRegistry, openRepo } = await import("../../repo/repo.js");
  return appliedRegistry(await openRepo(dir));
}

export function register(program: Command): void {
  for (const [kind, label] of Object.entries(kinds) as [CatalogueKind, string][]) {
    const group = program.command(kind).description(`list or describe the registered ${label}`);
    group
      .command("list")
      .description(`list the registered ${label}`)
      .action(async (_o: object, command: Command) => {
        const g = globalOptions(command);
        const objects = listObjects(await appliedRegistryForReads(g.repo), kind);
        if (g.json) printJson(objects);
        else await printTable(g, columns[kind], objects.map((o) => columns[kind].map((c) => cell(o[c]))));
      });
    group
      .command("describe <name>")
      .description(`show one of the registered ${label} in full`)
      .action(async (name: string, _o: object, command: Command) => {
        const g = globalOptions(command);
        const object = describeObject(await appliedRegistryForReads(g.repo), kind, name);
        if (g.json) printJson(object);
        else {
          await printYaml(object);
        }
      });
  }
}
