import { createHash } from "node:crypto";
import type { ValueType } from "../../repo/types.js";
import type { OnlineTableSpec } from "../store.js";

/**
 * Key and field names of the Redis store.
 *
 * Keys (every key of a project starts with `mlf:<project>:`, so teardown can find them all):
 * - `mlf:<p>:k:<entity>` — one hash per entity key, shared by every view keyed by the same
 *   join keys (Feast's layout): `<entity>` is `name=value` per join key, sorted by name and
 *   joined by `,`; integers in decimal, strings as JSON text, bytes as `0x` + hex, so two
 *   different keys never share a name. An entity-less view uses `mlf:<p>:k:`.
 * - `mlf:<p>:meta` — a hash of per-view state: `<view>.layout` (layoutDigest), `<view>.base` (first
 *   generation of the current layout), `<view>.c` (last committed generation),
 *   `<view>.inflight`, `<view>.newest` (greatest committed event time), `<view>.ndead` (the
 *   size of its dead set, so readers skip the set while it is empty), and `gen`, the
 *   project's generation counter.
 * - `mlf:<p>:lock:<view>` — the lease of the one generation being written; `mlf:<p>:dead:<view>`
 *   — the set of generations that were begun and never committed.
 *
 * Fields of an entity hash, per view: two slots, `<view>` and `<view>~`, each one whole record
 * of the view (see record.ts) tagged with the generation that wrote it. See scripts.ts for how
 * the two slots make a write of many chunks appear at once.
 */

/** The prefix of every key of a project: the others are built on it, so teardown's scan finds them all. */
export const projectPrefix = (project: string) => `mlf:${project}:`;
export const metaKey = (project: string) => `${projectPrefix(project)}meta`;
export const lockKey = (project: string, view: string) => `${projectPrefix(project)}lock:${view}`;
export const deadKey = (project: string, view: string) => `${projectPrefix(project)}dead:${view}`;
export const entityPrefix = (project: string) => `${projectPrefix(project)}k:`;

/** Builds entity key names of one view: its join keys in name order, each value encoded. */
export type EntityKeyer = (key: unknown[]) => string;

function keyPart(type: ValueType, value: unknown): string {
  switch (type) {
    case "int32":
    case "int64":
      return String(value);
    case "string":
      return JSON.stringify(value);
    case "bytes":
      return `0x${Buffer.from(value as Uint8Array).toString("hex")}`;
  }
}

export function entityKeyer(project: string, keys: OnlineTableSpec["keys"]): EntityKeyer {
  const prefix = entityPrefix(project);
  const order = keys.map((k, i) => ({ ...k, i })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (order.length === 0) return () => prefix;
  if (order.length === 1) {
    const { name, type } = order[0]!;
    const head = `${prefix}${name}=`;
    if (type === "int32" || type === "int64") return (key) => head + String(key[0]);
    return (key) => head + keyPart(type, key[0]);
  }
  return (key) => prefix + order.map((k) => `${k.name}=${keyPart(k.type, key[k.i])}`).join(",");
}

const digests = new WeakMap<OnlineTableSpec, string>();

/**
 * A short digest of a view's layout (keys and features with their types). Every script is
 * given the digest its caller's spec has and refuses to run when the view's differs: a
 * process holding an older registry must not decode records of a newer layout, or write
 * records in an older one.
 */
export function layoutDigest(spec: OnlineTableSpec): string {
  let digest = digests.get(spec);
  if (digest === undefined) {
    digest = createHash("sha1").update(JSON.stringify({ keys: spec.keys, features: spec.features })).digest("hex").slice(0, 16);
    digests.set(spec, digest);
  }
  return digest;
}
