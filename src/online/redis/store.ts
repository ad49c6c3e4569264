import { MlfError } from "../../errors.js";
import type { RedisOnlineStoreConfig } from "../../repo/types.js";
import { redisAddress } from "../../repo/redis-config.js";
import type { OnlineRow, OnlineStore, OnlineTableSpec, OnlineWriteResult, ReadRequest, StoredRow } from "../store.js";
import { connect, redisError, type ScriptClient } from "./client.js";
import { deadKey, entityPrefix, layoutDigest, lockKey, metaKey, projectPrefix } from "./layout.js";
import { RedisReader } from "./read.js";
import { writeRows } from "./write.js";

/** Keys per SCAN step and per SWEEP script when views are dropped or torn down. */
const SCAN_COUNT = 1000;

/**
 * The Redis online store: one hash per entity key holding every view's features (Feast's
 * layout, see layout.ts), read with one script per call and written with one script per chunk
 * under generations (see scripts.ts). `shareTurnSnapshots` is not needed: a read is already
 * one round trip.
 */
export class RedisOnlineStore implements OnlineStore {
  private readonly reader: RedisReader;

  private constructor(
    readonly project: string,
    readonly config: RedisOnlineStoreConfig,
    readonly client: ScriptClient,
  ) {
    this.reader = new RedisReader(project);
  }

  static async open(project: string, config: RedisOnlineStoreConfig): Promise<RedisOnlineStore> {
    return new RedisOnlineStore(project, config, await connect(config));
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw redisError(this.config, error);
    }
  }

  private viewKeys(view: string): [string, string, string] {
    return [metaKey(this.project), lockKey(this.project, view), deadKey(this.project, view)];
  }

  async ensureTables(specs: OnlineTableSpec[]): Promise<{ created: string[]; recreated: string[] }> {
    const created: string[] = [];
    const recreated: string[] = [];
    for (const spec of specs) {
      const done = Number(await this.call(() => this.client.mlfEnsure(3, ...this.viewKeys(spec.view), spec.view, layoutDigest(spec))));
      if (done === 1) created.push(spec.view);
      if (done === 2) recreated.push(spec.view);
    }
    await this.sweep(recreated);
    return { created, recreated };
  }

  async dropTables(views: string[]): Promise<void> {
    for (const view of views) await this.call(() => this.client.mlfDrop(3, ...this.viewKeys(view), view));
    await this.sweep(views);
  }

  /**
   * Removes the records the views no longer show from every entity hash of the project. They
   * are invisible already (ENSURE and DROP changed the views' state first), so this only frees
   * memory, and an interrupted sweep is harmless: the next one finishes it.
   */
  private async sweep(views: string[]): Promise<void> {
    if (views.length === 0) return;
    await this.scan(`${entityPrefix(this.project)}*`, (keys) => this.client.mlfSweep(1 + keys.length, metaKey(this.project), ...keys, ...views));
  }

  private async scan(pattern: string, each: (keys: string[]) => Promise<unknown>): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await this.call(() => this.client.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT));
      if (keys.length > 0) await this.call(() => each(keys));
      cursor = next;
    } while (cursor !== "0");
  }

  /** Unlinks every key of this project (`mlf:<project>:*`); other projects' keys stay. */
  async teardown(): Promise<void> {
    await this.scan(`${projectPrefix(this.project)}*`, (keys) => this.client.unlink(...keys));
  }

  write(spec: OnlineTableSpec, batches: Iterable<OnlineRow[]> | AsyncIterable<OnlineRow[]>): Promise<OnlineWriteResult> {
    return writeRows(this.client, this.project, this.config, spec, batches);
  }

  async read(requests: ReadRequest[]): Promise<(StoredRow | undefined)[][]> {
    const args = this.reader.args(requests);
    let reply: (Buffer | null)[];
    try {
      reply = (await this.client.mlfReadBuffer(...(args as [number, ...string[]]))) as (Buffer | null)[];
    } catch (error) {
      const changed = /MLF_LAYOUT (\S+)/.exec((error as Error)?.message ?? "");
      if (!changed) throw redisError(this.config, error);
      throw new MlfError("unavailable", `Feature view "${changed[1]}" has another layout in Redis at ${redisAddress(this.config)} than this registry (it was applied again); reload the registry (mlf serve does within its poll interval).`, { cause: error });
    }
    return this.reader.rows(requests, reply);
  }

  async newestEventTimes(views: string[]): Promise<(number | undefined)[]> {
    if (views.length === 0) return [];
    const newest = await this.call(() => this.client.hmget(metaKey(this.project), ...views.map((v) => `${v}.newest`)));
    return newest.map((ts) => (ts === null ? undefined : Number(ts)));
  }

  async close(): Promise<void> {
    // QUIT waits for replies in flight; a connection already lost just disconnects.
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
