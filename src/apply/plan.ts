import { tableSpec } from "../online/table-spec.js";
import type { DefinitionKind, Definitions } from "../repo/types.js";

export interface DefinitionChange {
  action: "create" | "update" | "delete";
  kind: DefinitionKind;
  name: string;
}

export interface TableChange {
  /** create: a new online view; migrate: its layout changed (rows dropped, needs materializing); drop: no longer online. */
  action: "create" | "migrate" | "drop";
  view: string;
}

export interface Plan {
  changes: DefinitionChange[];
  tables: TableChange[];
}

export const hasChanges = (plan: Plan) => plan.changes.length > 0 || plan.tables.length > 0;

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Compares the applied definitions with the new ones, kind by kind, in a stable order. */
export function computePlan(applied: Definitions | undefined, next: Definitions): Plan {
  const before: Definitions = applied ?? { entities: [], sources: [], featureViews: [], featureServices: [] };
  const changes: DefinitionChange[] = [];
  const kinds: [DefinitionKind, keyof Definitions][] = [
    ["entity", "entities"],
    ["source", "sources"],
    ["feature view", "featureViews"],
    ["feature service", "featureServices"],
    ["pipeline", "pipelines"],
  ];
  for (const [kind, key] of kinds) {
    const old = new Map<string, unknown>(((before[key] ?? []) as { name: string }[]).map((o) => [o.name, o]));
    const now = new Map<string, unknown>(((next[key] ?? []) as { name: string }[]).map((o) => [o.name, o]));
    for (const [name, value] of now) {
      if (!old.has(name)) changes.push({ action: "create", kind, name });
      else if (!sameJson(old.get(name), value)) changes.push({ action: "update", kind, name });
    }
    for (const name of old.keys()) if (!now.has(name)) changes.push({ action: "delete", kind, name });
  }

  const tables: TableChange[] = [];
  const oldOnline = new Map(before.featureViews.filter((v) => v.online).map((v) => [v.name, tableSpec(before, v)]));
  for (const view of next.featureViews.filter((v) => v.online)) {
    const spec = tableSpec(next, view);
    const old = oldOnline.get(view.name);
    if (!old) tables.push({ action: "create", view: view.name });
    else if (!sameJson(old, spec)) tables.push({ action: "migrate", view: view.name });
    oldOnline.delete(view.name);
  }
  for (const view of oldOnline.keys()) tables.push({ action: "drop", view });
  return { changes, tables };
}

const verbs = { create: "Created", update: "Updated", delete: "Deleted" } as const;
const tableVerbs = { create: "Created", migrate: "Recreated", drop: "Dropped" } as const;

/** Feast-style lines: `Created feature view origin_delay`, `Created online table for origin_delay`. */
export function planLines(plan: Plan): string[] {
  return [
    ...plan.changes.map((c) => `${verbs[c.action]} ${c.kind} ${c.name}`),
    ...plan.tables.map((t) => `${tableVerbs[t.action]} online table for ${t.view}${t.action === "migrate" ? " (schema changed; materialize it again)" : ""}`),
  ];
}
