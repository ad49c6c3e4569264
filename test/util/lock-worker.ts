import { openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { withLock } from "../../src/util/lock.js";

/**
 * A process for lock.test.ts: `node lock-worker.js COUNTER N [HOLD_AT]` adds 1 to the number in
 * COUNTER N times, each under the lock, by a plain read and write that loses updates when two
 * processes overlap. It also checks the overlap directly: `COUNTER.inside` is created with
 * O_EXCL on entry and removed on exit, so a second process inside the lock exits with 3.
 * With HOLD_AT, the HOLD_AT-th time it takes the lock it prints "holding" and waits inside,
 * before changing anything, to be killed.
 */
const [counter, times, holdAt] = process.argv.slice(2);

for (let i = 0; i < Number(times); i++) {
  await withLock(counter!, async () => {
    if (holdAt !== undefined && i === Number(holdAt)) {
      writeSync(1, "holding\n");
      setInterval(() => undefined, 60_000);
      await new Promise(() => undefined);
    }
    let fd: number;
    try {
      fd = openSync(`${counter}.inside`, "wx");
    } catch {
      process.exit(3);
    }
    closeSync(fd);
    const value = Number(readFileSync(counter!, "utf8"));
    // Yield between the read and the write, as real holders do, so overlapping holders would lose updates.
    await new Promise((resolve) => setImmediate(resolve));
    writeFileSync(counter!, String(value + 1));
    rmSync(`${counter}.inside`);
  }, { timeoutMs: 60_000 });
}
