import { test } from "node:test";
import assert from "node:assert/strict";
import { MIN_REWARDS, RecentWindow, mixtureSprt, rollbackReason, type RewardStats } from "../../../src/serving/routing/guard.js";
import type { RollbackRules } from "../../../src/serving/routing/spec.js";
import { random } from "../../../src/util/random.js";

test("the recent window keeps the last N requests: error rate and nearest-rank p99 match a sort of them", () => {
  const next = random(3);
  const window = new RecentWindow(250);
  const all: [number, boolean][] = [];
  for (let i = 0; i < 1000; i++) {
    const ms = next() * 10;
    const failed = next() < 0.1;
    window.push(ms, failed);
    all.push([ms, failed]);
    if (i % 97 !== 0 && i !== 999) continue;
    const last = all.slice(-250);
    const sorted = last.map(([m]) => m).sort((a, b) => a - b);
    assert.equal(window.count, last.length);
    assert.equal(window.p99(), sorted[Math.ceil(0.99 * sorted.length) - 1]);
    assert.equal(window.errorRate(), last.filter(([, f]) => f).length / last.length);
  }
  assert.equal(new RecentWindow().p99(), 0);
});

const stats = (rewards: number[]): RewardStats => ({ n: rewards.length, sum: rewards.reduce((a, b) => a + b, 0), sumsq: rewards.reduce((a, b) => a + b * b, 0) });

/** Runs two Bernoulli arms, testing after every 10 rewards each; the number of rewards per arm at the first rejection, or undefined. */
function sequential(pChampion: number, pChallenger: number, seed: number, maxRewards: number, reject: (a: RewardStats, b: RewardStats) => boolean): number | undefined {
  const next = random(seed);
  const a: RewardStats = { n: 0, sum: 0, sumsq: 0 };
  const b: RewardStats = { n: 0, sum: 0, sumsq: 0 };
  for (let i = 1; i <= maxRewards; i++) {
    for (const [s, p] of [[a, pChampion], [b, pChallenger]] as const) {
      const r = next() < p ? 1 : 0;
      s.n++;
      s.sum += r;
      s.sumsq += r;
    }
    if (i >= MIN_REWARDS && i % 10 === 0 && reject(a, b)) return i;
  }
  return undefined;
}

test("the reward test (mSPRT) checked after every 10 rewards keeps false rollbacks under alpha; a fixed-sample z-test checked as often does not", () => {
  const alpha = 0.05;
  const runs = 200;
  const msprt = (a: RewardStats, b: RewardStats) => {
    const { lambda, difference } = mixtureSprt(a, b);
    return difference < 0 && lambda >= 1 / alpha;
  };
  // One-sided z-test at 5%: right for one look, wrong for 200.
  const z = (a: RewardStats, b: RewardStats) => {
    const pa = a.sum / a.n;
    const pb = b.sum / b.n;
    const se = Math.sqrt((pa * (1 - pa)) / a.n + (pb * (1 - pb)) / b.n);
    return se > 0 && (pb - pa) / se < -1.645;
  };
  let falseRollbacks = 0;
  let naive = 0;
  for (let seed = 1; seed <= runs; seed++) {
    if (sequential(0.5, 0.5, seed, 2000, msprt) !== undefined) falseRollbacks++;
    if (sequential(0.5, 0.5, seed, 2000, z) !== undefined) naive++;
  }
  // Binomial(200, 0.05) is at most 10 on average; 4 sd above that is 22.
  assert.ok(falseRollbacks <= 22, `${falseRollbacks} false rollbacks in ${runs} runs`);
  assert.ok(naive > 2 * Math.max(falseRollbacks, 10), `peeking z-test: ${naive} false rollbacks in ${runs} runs`);
});

test("the reward test catches a worse challenger (0.45 against 0.6) within 1,000 rewards in nearly every run", () => {
  const found: number[] = [];
  for (let seed = 1; seed <= 50; seed++) {
    const at = sequential(0.6, 0.45, seed, 1000, (a, b) => {
      const { lambda, difference } = mixtureSprt(a, b);
      return difference < 0 && lambda >= 20;
    });
    if (at !== undefined) found.push(at);
  }
  assert.ok(found.length >= 48, `caught in ${found.length} of 50 runs`);
  // A better challenger is never rolled back by it (the test is one-sided).
  assert.equal(sequential(0.45, 0.6, 9, 1000, (a, b) => mixtureSprt(a, b).difference < 0 && mixtureSprt(a, b).lambda >= 20), undefined);
  assert.deepEqual(mixtureSprt(stats([1, 0, 1, 1]), stats([1, 0, 1, 1])).difference, 0);
});

const rules: RollbackRules = { errorRate: 0.02, latencyP99: 0.5, latencyFloorMs: 1, rewardAlpha: 0.05, minRequests: 100 };
const fill = (n: number, ms: number, errors = 0) => {
  const w = new RecentWindow();
  for (let i = 0; i < n; i++) w.push(ms, i < errors);
  return w;
};
const none: RewardStats = { n: 0, sum: 0, sumsq: 0 };

test("rollback rules: error rate and p99 over the champion's by their margins, only with enough requests on both sides", () => {
  const champion = { recent: fill(200, 2, 1), rewards: none };
  // 0.5% errors for the champion: 2% is within the 2-point margin, 3% is not.
  assert.equal(rollbackReason(rules, champion, { recent: fill(100, 2, 2), rewards: none }), undefined);
  assert.match(rollbackReason(rules, champion, { recent: fill(100, 2, 3), rewards: none })!, /^error rate 3\.0% of its last 100 requests against the champion's 0\.5%/);
  assert.equal(rollbackReason(rules, champion, { recent: fill(99, 2, 50), rewards: none }), undefined, "too few requests to judge");
  // p99 2 ms: 3.1 ms is over 50% and 1 ms more; 2.9 ms is not; 0.1 -> 0.5 ms is under the 1 ms floor.
  assert.match(rollbackReason(rules, champion, { recent: fill(100, 3.1), rewards: none })!, /^latency p99 3\.10 ms against the champion's 2\.00 ms/);
  assert.equal(rollbackReason(rules, champion, { recent: fill(100, 2.9), rewards: none }), undefined);
  assert.equal(rollbackReason(rules, { recent: fill(100, 0.1), rewards: none }, { recent: fill(100, 0.5), rewards: none }), undefined);
});

test("rollback rules: a reward worse with confidence, once both sides have 30 rewards; never with reward_alpha false", () => {
  const ones = stats(Array.from({ length: MIN_REWARDS }, () => 1));
  const zeros = stats(Array.from({ length: MIN_REWARDS }, () => 0));
  const quiet = fill(0, 0);
  assert.match(rollbackReason(rules, { recent: quiet, rewards: ones }, { recent: quiet, rewards: zeros })!, /^mean reward 0\.000 over 30 rewards against the champion's 1\.000 over 30/);
  assert.equal(rollbackReason(rules, { recent: quiet, rewards: zeros }, { recent: quiet, rewards: ones }), undefined, "a better challenger stays");
  assert.equal(rollbackReason({ ...rules, rewardAlpha: null }, { recent: quiet, rewards: ones }, { recent: quiet, rewards: zeros }), undefined);
  assert.equal(rollbackReason(rules, { recent: quiet, rewards: ones }, { recent: quiet, rewards: stats([0]) }), undefined, "one reward is not evidence");
});
