import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { MlfError } from "../../errors.js";
import type { RedisOnlineStoreConfig } from "../../repo/types.js";
import type { OnlineRow, OnlineTableSpec, OnlineWriteResult } from "../store.js";
import { redisError, type ScriptClient } from "./client.js";
import { redisAddress } from "../../repo/redis-config.js";
import { RecordWriter } from "./record.js";
import { deadKey, entityKeyer, layoutDigest, lockKey, metaKey } from "./layout.js";

/**
 * Rows per WRITE script. A script blocks the server while it runs: 512 rows of a 10-feature
 * view take a few milliseconds, which is what a concurrent reader may wait.
 */
export const CHUNK_ROWS = 512;
/** Chunks sent before waiting for the oldest: the client encodes the next while Redis runs one. */
const IN_FLIGHT = 4;
/**
 * The writer's lease on a view's lock, renewed four times per lease while it writes: a killed
 * writer's lock lapses within this time, which is how long the next writer may wait for it.
 */
const LEASE_MS = 5_000;
/** How long a write waits for another write of the same view to finish (beyond one lease). */
const LOCK_WAIT_MS = 30_000;

interface Chunk {
  keys: string[];
  /** The rows' records, length-prefixed (RecordWriter). */
  records: Buffer;
}

/**
 * Writes batches of rows (see the write contract of OnlineStore). Up to one chunk in all is one
 * WRITE script, visible when it ends. More is written as a new generation under the view's
 * lock, chunk by chunk, pipelined, and made visible by COMMIT; a failure or a kill before the
 * commit leaves it invisible (see scripts.ts).
 */
export async function writeRows(
  client: ScriptClient,
  project: string,
  config: RedisOnlineStoreConfig,
  spec: OnlineTableSpec,
  batches: Iterable<OnlineRow[]> | AsyncIterable<OnlineRow[]>,
): Promise<OnlineWriteResult> {
  const view = spec.view;
  const meta = metaKey(project);
  const lock = lockKey(project, view);
  const dead = deadKey(project, view);
  const keyer = entityKeyer(project, spec.keys);
  const encoder = new RecordWriter(spec);
  const digest = layoutDigest(spec);
  const ttl = String((config.keyTtlSeconds ?? 0) * 1000);
  const token = randomBytes(12).toString("hex");
  const result: OnlineWriteResult = { rows: 0, written: 0 };
  let newest = -Infinity;
  let generation = 0;
  let renew: NodeJS.Timeout | undefined;
  const pending: Promise<unknown>[] = [];

  const fail = (error: unknown): MlfError => {
    const message = (error as Error)?.message ?? "";
    if (message.includes("MLF_NO_TABLE")) {
      return new MlfError("not_found", `Feature view "${view}" has no online table in Redis at ${redisAddress(config)}; run "mlf apply" first.`, { cause: error });
    }
    if (message.includes("MLF_LAYOUT")) {
      return new MlfError("conflict", `Feature view "${view}" has another layout in Redis at ${redisAddress(config)} than the registry this write used (it was applied again); none of it is visible; run it again.`, { cause: error });
    }
    if (message.includes("MLF_LOST_LOCK")) {
      return new MlfError("conflict", `The write to feature view "${view}" lost its lock in Redis at ${redisAddress(config)} (the view was applied again, or the writer stalled past its lease); none of it is visible; run it again.`, { cause: error });
    }
    return redisError(config, error);
  };
  const send = (chunk: Chunk, gen: number, newestArg: string) =>
    client.mlfWrite(3 + chunk.keys.length, meta, lock, dead, ...chunk.keys, view, gen, token, LEASE_MS, ttl, newestArg, digest, chunk.records).then((n) => {
      result.written += n as number;
    });
  const begin = async (): Promise<number> => {
    const until = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      const gen = Number(await client.mlfBegin(3, meta, lock, dead, view, token, LEASE_MS, digest));
      if (gen > 0) return gen;
      if (Date.now() > until) {
        throw new MlfError("unavailable", `Another write to feature view "${view}" has held its lock in Redis at ${redisAddress(config)} for over ${LOCK_WAIT_MS / 1000} s; wait for it to finish and run again.`);
      }
      await sleep(100);
    }
  };
  const flush = async (chunk: Chunk) => {
    if (generation === 0) {
      generation = await begin();
      renew = setInterval(() => void client.mlfRenew(1, lock, token, LEASE_MS).catch(() => undefined), LEASE_MS / 4);
      renew.unref();
    }
    if (pending.length >= IN_FLIGHT) await pending.shift();
    const sent = send(chunk, generation, "");
    sent.catch(() => undefined); // awaited in order below; this only marks it handled
    pending.push(sent);
  };

  let keys: string[] = [];
  try {
    for await (const rows of batches) {
      for (const row of rows) {
        if (keys.length === CHUNK_ROWS) {
          await flush({ keys, records: encoder.take() });
          keys = [];
        }
        if (row.eventTs > newest) newest = row.eventTs;
        keys.push(keyer(row.key));
        encoder.add(row);
      }
      result.rows += rows.length;
    }
    if (generation === 0) {
      if (keys.length > 0) await send({ keys, records: encoder.take() }, 0, String(newest));
      return result;
    }
    if (keys.length > 0) await flush({ keys, records: encoder.take() });
    while (pending.length > 0) await pending.shift();
    await client.mlfCommit(2, meta, lock, view, token, generation, newest === -Infinity ? "" : String(newest));
    return result;
  } catch (error) {
    await Promise.allSettled(pending);
    if (generation !== 0) await client.mlfAbort(3, meta, lock, dead, view, token, generation).catch(() => undefined);
    // The caller's own errors (a source that broke) pass through as they are.
    throw error instanceof MlfError ? error : isRedisError(error) ? fail(error) : error;
  } finally {
    clearInterval(renew);
  }
}

/** Errors raised by ioredis or the server, as opposed to the caller's (a source that broke). */
function isRedisError(error: unknown): boolean {
  const name = (error as Error)?.name ?? "";
  return name === "ReplyError" || name === "MaxRetriesPerRequestError" || /ECONN|Connection is closed|Stream isn't writeable/.test((error as Error)?.message ?? "");
}
