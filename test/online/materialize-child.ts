import { readSync, writeSync } from "node:fs";
import { materialize } from "../../src/online/materialize.js";
import { openRepo } from "../../src/repo/repo.js";

/**
 * A materialization that stops in the middle of its write, for tests that need to act at that
 * moment: `node materialize-child.js REPO START_MS END_MS` materializes every online view; after
 * the first batch is written inside the view's transaction it prints "mid" and blocks reading
 * stdin until a line arrives (or is killed there). At the end it prints the results as JSON.
 */
const [dir, start, end] = process.argv.slice(2);
let paused = false;
const results = await materialize(await openRepo(dir), Number(start), Number(end), {
  onProgress: () => {
    if (paused) return;
    paused = true;
    writeSync(1, "mid\n");
    readSync(0, Buffer.alloc(64)); // blocks the whole process, mid-transaction
  },
});
writeSync(1, `${JSON.stringify(results)}\n`);
