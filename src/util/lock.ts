import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { MlfError } from "../errors.js";
import { pidAlive, tempPathFor } from "./fs.js";

/**
 * Inter-process locks on a file `<path>.lock`, for read-modify-write of shared state files.
 *
 * The lock file holds its owner as JSON (pid, host, a random token, when) and only ever
 * appears whole: it is written under a temp name and hard-linked into place, which fails if a
 * lock is there. Nobody rewrites it; it is removed by its owner on release or, when stale, by
 * a waiter. Stale means: on this host, its pid is dead; from another host (a shared folder),
 * older than `staleMs`, since its pid cannot be checked from here. A live lock is never taken.
 *
 * Removing is the only delicate step: two waiters may both find the same stale lock, and the
 * first may remove it and take a new lock before the second acts on what it saw. So a lock is
 * removed only by whoever first creates `<path>.lock.<id>.rm` (O_EXCL) for the lock's exact
 * content (id: its token), and only after reading the lock again under that claim and finding
 * the same content. Only claim holders remove locks, and one content has one claim holder, so
 * the lock cannot change between that read and the removal. The owner's release goes through
 * the same claim, so it never removes a lock that was taken over meanwhile. We chose this over
 * proper-lockfile: its staleness is an mtime refreshed by a timer (a dead holder blocks
 * everyone for the stale period, at least seconds; a holder whose event loop is busy loses its
 * lock), and it records no owner a user could be told about.
 */

export interface LockOptions {
  /** How long to wait for a live owner before failing with `unavailable`, in ms. Default 30 000. */
  timeoutMs?: number;
  /** Age in ms after which a lock whose owner cannot be checked (another host) counts as stale. Default 60 000. */
  staleMs?: number;
}

/** What a lock file says about its owner. */
interface LockOwner {
  pid: number;
  host: string;
  token: string;
  /** ISO-8601 UTC. */
  at: string;
}

const HOST = hostname();

interface Found {
  text: string;
  owner?: LockOwner;
  mtimeMs: number;
}

function parseOwner(text: string): LockOwner | undefined {
  // Locks written before owners were JSON held only the pid, always of a process on this host.
  if (/^\d+$/.test(text)) return { pid: Number(text), host: HOST, token: text, at: "" };
  try {
    const o: unknown = JSON.parse(text);
    if (o && typeof o === "object" && "pid" in o && "host" in o && "token" in o && "at" in o) {
      const { pid, host, token, at } = o;
      if (Number.isInteger(pid) && typeof host === "string" && typeof token === "string" && typeof at === "string") return { pid: Number(pid), host, token, at };
    }
  } catch {
    // not JSON: an unknown owner, stale only by age
  }
  return undefined;
}

/** The lock as it is now, or undefined when there is none. */
function readLock(lockPath: string): Found | undefined {
  try {
    const { mtimeMs } = statSync(lockPath);
    const text = readFileSync(lockPath, "utf8");
    const owner = parseOwner(text);
    return { text, mtimeMs, ...(owner && { owner }) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function isStale(found: Found, staleMs: number): boolean {
  if (found.owner?.host === HOST) return !pidAlive(found.owner.pid);
  return Date.now() - found.mtimeMs > staleMs;
}

/** Creates the lock holding `text`, whole; false when a lock is already there. */
function tryCreate(lockPath: string, text: string): boolean {
  const tmp = tempPathFor(lockPath);
  writeFileSync(tmp, text);
  try {
    linkSync(tmp, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Removes the lock if it still holds exactly `text` (see the module comment); true when removed. */
function removeIf(lockPath: string, text: string): boolean {
  const id = parseOwner(text)?.token.replace(/[^A-Za-z0-9]/g, "") || "unknown";
  const claim = `${lockPath}.${id}.rm`;
  try {
    writeFileSync(claim, JSON.stringify({ pid: process.pid, host: HOST }), { flag: "wx" });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // EEXIST: someone else is removing it. ENOENT: its folder is gone (a holder may move or
    // delete the folder it locked, as renaming a registered model does), and the lock with it.
    if (code === "EEXIST" || code === "ENOENT") return false;
    throw error;
  }
  try {
    if (readLock(lockPath)?.text !== text) return false;
    rmSync(lockPath, { force: true });
    return true;
  } finally {
    rmSync(claim, { force: true });
  }
}

function lockTimeout(path: string, found: Found | undefined): MlfError {
  const o = found?.owner;
  const who = o ? `process ${o.pid} on ${o.host === HOST ? "this host" : o.host}${o.at ? ` (since ${o.at})` : ""}` : "another process";
  return new MlfError("unavailable", `${path} is locked by ${who}; wait for it to finish, or remove ${path}.lock if that process is gone.`);
}

/**
 * Tries to take the lock until it succeeds, yielding how long to wait before each next try
 * (backing off from 2 to 50 ms); returns the lock's content, throws once `timeoutMs` passed.
 * withLock and withLockSync differ only in how they wait.
 */
function* attempts(path: string, options: LockOptions): Generator<number, string> {
  const lockPath = `${path}.lock`;
  mkdirSync(dirname(lockPath), { recursive: true });
  const token = randomBytes(12).toString("hex");
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    const text = JSON.stringify({ pid: process.pid, host: HOST, token, at: new Date().toISOString() } satisfies LockOwner);
    if (tryCreate(lockPath, text)) return text;
    const found = readLock(lockPath);
    // Gone meanwhile, or stale and removed by us: try again at once.
    if (!found || (isStale(found, options.staleMs ?? 60_000) && removeIf(lockPath, found.text))) {
      delay = 1;
      continue;
    }
    if (Date.now() > deadline) throw lockTimeout(path, found);
    yield delay;
  }
}

/**
 * Runs `fn` holding the exclusive lock `<path>.lock`; waits (without blocking the event loop)
 * up to `timeoutMs` for a live owner, takes over a stale lock, and releases the lock when `fn`
 * settles, unless it was taken over meanwhile. Not re-entrant: a second call for the same path
 * inside `fn` waits for the first and times out.
 */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, options: LockOptions = {}): Promise<T> {
  const steps = attempts(path, options);
  let step = steps.next();
  while (!step.done) {
    const delay = step.value;
    await new Promise((resolve) => setTimeout(resolve, delay));
    step = steps.next();
  }
  try {
    return await fn();
  } finally {
    removeIf(`${path}.lock`, step.value);
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * withLock for callers that must stay synchronous: it blocks the thread while it waits, so it
 * is only for short critical sections (a few file writes) of synchronous APIs. Never mix it
 * with withLock on the same path in one process: a blocked thread cannot let the async holder
 * finish.
 */
export function withLockSync<T>(path: string, fn: () => T, options: LockOptions = {}): T {
  const steps = attempts(path, options);
  let step = steps.next();
  while (!step.done) {
    Atomics.wait(sleepCell, 0, 0, step.value);
    step = steps.next();
  }
  try {
    return fn();
  } finally {
    removeIf(`${path}.lock`, step.value);
  }
}
