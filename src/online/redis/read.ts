import type { OnlineTableSpec, ReadRequest, StoredRow } from "../store.js";
import { recordReader } from "./record.js";
import { deadKey, entityKeyer, layoutDigest, metaKey, type EntityKeyer } from "./layout.js";

/** What one view's read needs besides its keys, built once per (spec, features) shape. */
interface Shape {
  keyer: EntityKeyer;
  decode: (record: Buffer) => StoredRow;
}

/**
 * Reads for the Redis store: every request of one call goes to the server as one READ script
 * (one round trip, one snapshot: see scripts.ts), which sends back only the visible record of
 * each key, one reply element per entity.
 */
export class RedisReader {
  /** Per spec (a new spec object after a registry reload), per feature list. */
  private readonly shapes = new WeakMap<OnlineTableSpec, Map<string, Shape>>();

  constructor(private readonly project: string) {}

  /** The script's arguments: numKeys, KEYS, ARGV (see READ). */
  args(requests: ReadRequest[]): (string | number)[] {
    const keys: string[] = [metaKey(this.project)];
    const argv: (string | number)[] = [requests.length];
    for (const request of requests) {
      const keyer = this.shape(request).keyer;
      keys.push(deadKey(this.project, request.spec.view));
      for (const key of request.keys) keys.push(keyer(key));
      argv.push(request.spec.view, layoutDigest(request.spec), request.keys.length);
    }
    return [keys.length, ...keys, ...argv];
  }

  /** The script's reply as StoredRows (see the read contract of OnlineStore). */
  rows(requests: ReadRequest[], reply: (Buffer | null)[]): (StoredRow | undefined)[][] {
    let at = 0;
    return requests.map((request) => {
      const decode = this.shape(request).decode;
      const rows = new Array<StoredRow | undefined>(request.keys.length);
      for (let i = 0; i < rows.length; i++) {
        const record = reply[at++];
        rows[i] = record === null || record === undefined ? undefined : decode(record);
      }
      return rows;
    });
  }

  private shape(request: ReadRequest): Shape {
    let byFeatures = this.shapes.get(request.spec);
    if (!byFeatures) this.shapes.set(request.spec, (byFeatures = new Map()));
    const cacheKey = request.features.join("\u0000");
    let shape = byFeatures.get(cacheKey);
    if (!shape) {
      shape = { keyer: entityKeyer(this.project, request.spec.keys), decode: recordReader(request.spec, request.features) };
      // Feature lists come from requests; bound the cache so odd callers cannot grow it forever.
      if (byFeatures.size >= 1024) byFeatures.clear();
      byFeatures.set(cacheKey, shape);
    }
    return shape;
  }
}
