import type { OnlineTableSpec, ReadRequest, StoredRow } from "../store.js";
import { deadKey, entityKeyer, metaKey, valueDecoder, type EntityKeyer } from "./layout.js";

/** What one view's read needs besides its keys, built once per (view, features) shape. */
interface Shape {
  view: string;
  keyer: EntityKeyer;
  args: string[];
  decoders: ((text: string) => unknown)[];
}

/**
 * Reads for the Redis store: every request of one call goes to the server as one READ script
 * (one round trip, one snapshot: see scripts.ts), which sends back only the visible record of
 * each key, one reply element per field asked for.
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
      const shape = this.shape(request);
      keys.push(deadKey(this.project, shape.view));
      for (const key of request.keys) keys.push(shape.keyer(key));
      for (const a of shape.args) argv.push(a);
      argv.push(request.keys.length);
    }
    return [keys.length, ...keys, ...argv];
  }

  /** The script's reply as StoredRows (see the read contract of OnlineStore). */
  rows(requests: ReadRequest[], reply: (string | null)[]): (StoredRow | undefined)[][] {
    let at = 0;
    return requests.map((request) => {
      const decoders = this.shape(request).decoders;
      const n = decoders.length;
      const rows = new Array<StoredRow | undefined>(request.keys.length);
      for (let i = 0; i < rows.length; i++) {
        const header = reply[at++];
        if (header === null || header === undefined) {
          rows[i] = undefined;
          continue;
        }
        // <generation>:<event ms>:<created ms or empty>
        const a = header.indexOf(":");
        const b = header.indexOf(":", a + 1);
        const created = header.slice(b + 1);
        const values = new Array<unknown>(n);
        for (let f = 0; f < n; f++) {
          const text = reply[at++];
          values[f] = text === null || text === undefined ? null : decoders[f]!(text);
        }
        rows[i] = { values, eventTs: Number(header.slice(a + 1, b)), createdTs: created === "" ? null : Number(created) };
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
      const dtypes = new Map(request.spec.features.map((f) => [f.name, f.dtype]));
      shape = {
        view: request.spec.view,
        keyer: entityKeyer(this.project, request.spec.keys),
        args: [request.spec.view, String(request.features.length), ...request.features],
        decoders: request.features.map((f) => valueDecoder(dtypes.get(f)!)),
      };
      // Feature lists come from requests; bound the cache so odd callers cannot grow it forever.
      if (byFeatures.size >= 1024) byFeatures.clear();
      byFeatures.set(cacheKey, shape);
    }
    return shape;
  }
}
