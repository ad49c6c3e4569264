import { test } from "node:test";
import assert from "node:assert/strict";
import { cheapestPasses } from "../../src/offline/join-plan.js";
import { random } from "./fixtures.js";

/**
 * The range plan's windows (see choose in join-plan.ts): the sequence found window by window
 * must be the cheapest of every increasing sequence ending with the ttl, which is what the
 * plan tried one by one before.
 */

/** Every increasing sequence of `windows` (narrowest first) that ends with the last, costed pass by pass. */
function bruteForce(windows: bigint[], ttl: number, pass: (from: number, to: number) => number): { cost: number; windows: bigint[] } {
  let best = { cost: Infinity, windows: [] as bigint[] };
  const narrower = windows.slice(0, -1);
  for (let mask = 0; mask < 2 ** narrower.length; mask++) {
    const sequence = [...narrower.filter((_, j) => (mask >> j) & 1), windows[windows.length - 1]!];
    let [cost, from] = [0, 0];
    for (const w of sequence) {
      cost += pass(from, Number(w) / ttl);
      from = Number(w) / ttl;
    }
    if (cost < best.cost) best = { cost, windows: sequence };
  }
  return best;
}

test("the range passes' windows found window by window are the cheapest of every sequence", () => {
  const next = random(12);
  const ttl = 2_592_000_000_000; // 30 days in microseconds
  const windows = Array.from({ length: 9 }, (_, j) => BigInt(ttl) / 2n ** BigInt(8 - j));
  const chosen = new Set<string>();
  for (let round = 0; round < 300; round++) {
    // The model's shape of a pass (join-plan.ts): a fixed read, the open rows hashed, the new candidates ranked.
    const lambdas = Array.from({ length: 40 }, () => next() ** 3 * 300);
    const [read, hash, rank] = [next() * 1e4, next() * 500, next() * 500];
    const pass = (from: number, to: number) =>
      lambdas.reduce((sum, l) => {
        const open = Math.exp(-l * from);
        return sum + 2 * open * hash + open * l * (to - from) * rank;
      }, read);
    const found = cheapestPasses(windows, ttl, pass);
    const all = bruteForce(windows, ttl, pass);
    assert.deepEqual(found.windows, all.windows, `round ${round}`);
    assert.ok(Math.abs(found.cost - all.cost) <= 1e-9 * all.cost, `round ${round}: ${found.cost} against ${all.cost}`);
    chosen.add(found.windows.join());
  }
  // The cases differ: many sequences won somewhere, not one every time.
  assert.ok(chosen.size >= 10, `${chosen.size} different sequences`);
});
