import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withLock, withLockSync } from "../../src/util/lock.js";
import { mlfErrorWith, tempDir } from "../helpers.js";

const WORKER = fileURLToPath(new URL("./lock-worker.js", import.meta.url));

/** A lock-worker process: its exit, and a promise that resolves when it says it holds the lock. */
function worker(counter: string, times: number, holdAt?: number) {
  const child = spawn(process.execPath, [WORKER, counter, String(times), ...(holdAt === undefined ? [] : [String(holdAt)])], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const holding = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("holding") && resolve());
    void exited.then(({ code }) => reject(new Error(`the worker exited with ${code} before holding the lock`)));
  });
  holding.catch(() => undefined);
  return { child, exited, holding };
}

/** A pid that no process has any more. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", "0"]).pid!;
}

const lockText = (owner: { pid: number; host: string }) => JSON.stringify({ ...owner, token: "abc123", at: "2024-01-01T00:00:00.000Z" });

test("8 processes add 1 fifty times each under the lock while holders are killed -9 inside it: the count is exact", { timeout: 120_000 }, async (t) => {
  const counter = join(tempDir(t), "counter");
  writeFileSync(counter, "0");
  // Workers 0-3 are killed while holding the lock at their 10th, 20th, 30th and 40th turn,
  // before changing anything; a second process then does their remaining turns.
  await Promise.all(
    Array.from({ length: 8 }, async (_, w) => {
      const holdAt = w < 4 ? (w + 1) * 10 : undefined;
      const first = worker(counter, 50, holdAt);
      if (holdAt !== undefined) {
        await first.holding;
        first.child.kill("SIGKILL");
        assert.deepEqual(await first.exited, { code: null, signal: "SIGKILL" });
        const rest = worker(counter, 50 - holdAt);
        assert.deepEqual(await rest.exited, { code: 0, signal: null }, "the stale lock of the killed holder was taken over");
      } else {
        assert.deepEqual(await first.exited, { code: 0, signal: null }, "exit 3 would mean two processes were inside at once");
      }
    }),
  );
  assert.equal(readFileSync(counter, "utf8"), "400");
  assert.equal(existsSync(`${counter}.lock`), false, "the last holder released the lock");
});

test("a lock left by a dead process on this host is taken over at once, in both the JSON and the old pid-only form", async (t) => {
  const path = join(tempDir(t), "state.json");
  for (const text of [lockText({ pid: deadPid(), host: hostname() }), String(deadPid())]) {
    writeFileSync(`${path}.lock`, text);
    assert.equal(await withLock(path, () => "ran", { timeoutMs: 1000 }), "ran");
    assert.equal(existsSync(`${path}.lock`), false);
  }
});

test("a lock of a live process, or of another host, is not taken before it is stale; the error names the owner", async (t) => {
  const path = join(tempDir(t), "state.json");
  const live = lockText({ pid: process.pid, host: hostname() });
  writeFileSync(`${path}.lock`, live);
  await assert.rejects(withLock(path, () => "ran", { timeoutMs: 100 }), mlfErrorWith("unavailable", /locked by process \d+ on this host \(since 2024-01-01T00:00:00.000Z\); wait for it to finish, or remove .*state\.json\.lock/));
  assert.equal(readFileSync(`${path}.lock`, "utf8"), live, "the live lock is untouched");

  // Another host's pid cannot be checked from here: its lock is stale only once older than staleMs.
  const remote = lockText({ pid: deadPid(), host: "elsewhere.example" });
  writeFileSync(`${path}.lock`, remote);
  await assert.rejects(withLock(path, () => "ran", { timeoutMs: 100, staleMs: 60_000 }), mlfErrorWith("unavailable", /process \d+ on elsewhere\.example/));
  assert.equal(readFileSync(`${path}.lock`, "utf8"), remote);
  const old = (Date.now() - 61_000) / 1000;
  utimesSync(`${path}.lock`, old, old);
  assert.equal(await withLock(path, () => "ran", { timeoutMs: 1000, staleMs: 60_000 }), "ran");
});

test("release removes only the holder's own lock: one taken over meanwhile stays, one whose folder is gone is no error", async (t) => {
  const path = join(tempDir(t), "state.json");
  const other = lockText({ pid: process.pid, host: hostname() });
  await withLock(path, () => {
    const mine = JSON.parse(readFileSync(`${path}.lock`, "utf8")) as Record<string, unknown>;
    assert.deepEqual([mine.pid, mine.host, typeof mine.token, typeof mine.at], [process.pid, hostname(), "string", "string"]);
    writeFileSync(`${path}.lock`, other); // as if another process had taken it over
  });
  assert.equal(readFileSync(`${path}.lock`, "utf8"), other);
  // A holder may move or delete the folder it locked (renaming a registered model does).
  const folder = join(tempDir(t), "model");
  assert.equal(await withLock(join(folder, ".model"), () => (rmSync(folder, { recursive: true }), "moved")), "moved");
  assert.equal(withLockSync(join(folder, ".model"), () => (rmSync(folder, { recursive: true }), "moved")), "moved");
});

test("the synchronous lock: same rules; a second holder in the same process waits and times out", async (t) => {
  const path = join(tempDir(t), "state.json");
  writeFileSync(`${path}.lock`, lockText({ pid: deadPid(), host: hostname() }));
  assert.equal(withLockSync(path, () => "ran"), "ran", "the stale lock was taken over");
  assert.throws(() => withLockSync(path, () => withLockSync(path, () => "inner", { timeoutMs: 50 })), mlfErrorWith("unavailable", /on this host/));
  assert.equal(existsSync(`${path}.lock`), false, "the outer holder released after the inner one failed");
  await assert.rejects(withLock(path, () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(existsSync(`${path}.lock`), false, "released after a failure");
});
