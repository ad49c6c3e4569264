import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { randomBytes } from "node:crypto";
import { MlfError } from "../errors.js";

/**
 * A unique hidden name beside `path` (`.<name>.<pid>.<hex>.tmp`) to build a file or folder
 * under before renaming it into place; readers skip names of this shape.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
}

/**
 * Writes a file so that readers see either the old content or the new, never a torn file:
 * the content goes to a temp file in the same folder, is flushed, and is renamed over the
 * target (rename is atomic within one file system).
 */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, typeof content === "string" ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Appends one record with a single write on an O_APPEND descriptor, so concurrent appenders never interleave. */
export function appendLine(path: string, line: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
  try {
    writeSync(fd, line.endsWith("\n") ? line : `${line}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepBuffer, 0, 0, ms);
}

function tryAcquire(lockPath: string): { acquired: true } | { acquired: false; owner: number } {
  try {
    const fd = openSync(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return { acquired: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  let owner = Number.NaN;
  try {
    owner = Number(readFileSync(lockPath, "utf8"));
  } catch {
    return { acquired: false, owner }; // released between our open and our read: retry
  }
  // A lock whose owner is gone is taken over, so a crash never leaves the state locked.
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !pidAlive(owner)) rmSync(lockPath, { force: true });
  return { acquired: false, owner };
}

function lockTimeout(path: string, owner: number): MlfError {
  return new MlfError("unavailable", `${path} is locked by process ${owner}; wait for it to finish or remove ${path}.lock if that process is gone.`);
}

/**
 * Tries to take `<path>.lock` until it succeeds, yielding how long to wait before each next
 * try (backing off from 2 to 50 ms); throws once `timeoutMs` have passed. The sync and async
 * lock functions below differ only in how they wait.
 */
function* lockAttempts(path: string, timeoutMs: number): Generator<number, void> {
  const lockPath = `${path}.lock`;
  mkdirSync(dirname(lockPath), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    const attempt = tryAcquire(lockPath);
    if (attempt.acquired) return;
    if (Date.now() > deadline) throw lockTimeout(path, attempt.owner);
    yield delay;
  }
}

/**
 * Runs `fn` while holding an exclusive lock file `<path>.lock` (created with O_EXCL and
 * holding the owner's pid). Waits up to `timeoutMs` for a live owner to release it.
 */
export function withFileLock<T>(path: string, fn: () => T, timeoutMs = 30_000): T {
  for (const delay of lockAttempts(path, timeoutMs)) sleepSync(delay);
  try {
    return fn();
  } finally {
    rmSync(`${path}.lock`, { force: true });
  }
}

/** withFileLock for asynchronous work: waits without blocking the event loop. */
export async function withFileLockAsync<T>(path: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  for (const delay of lockAttempts(path, timeoutMs)) await new Promise((r) => setTimeout(r, delay));
  try {
    return await fn();
  } finally {
    rmSync(`${path}.lock`, { force: true });
  }
}

/** Reads a file, or returns undefined when it does not exist. */
export function readFileIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
