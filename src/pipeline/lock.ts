import { MlfError } from "../errors.js";
import { withLock } from "../util/lock.js";

/**
 * Runs `fn` holding the pipeline's lock (util/lock.ts), so two runs of one pipeline never
 * train at once. A holder that died (kill -9) leaves a lock whose process is gone; the next
 * run takes it over. Waits up to `waitMs` for a live holder, then fails naming it.
 */
export async function withPipelineLock<T>(path: string, pipeline: string, waitMs: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await withLock(path, fn, { timeoutMs: waitMs });
  } catch (error) {
    if (error instanceof MlfError && error.code === "unavailable" && error.message.startsWith(path)) {
      throw new MlfError("unavailable", `Pipeline "${pipeline}" is already running: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
