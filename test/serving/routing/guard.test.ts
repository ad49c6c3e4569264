import { test } from "node:test";
import assert from "node:assert/strict";
import { GUARD_ALPHA, MIN_REWARDS, RecentWindow, binomialTail, mixtureSprt, quantile99, rollbackReason, type RewardStats } from "../../../src/serving/routing/guard.js";
import type { RollbackRules } from "../../../src/serving/routing/spec.js";
import { random } from "../../../src/util/random.js";

test("the recent window keeps the last N requests: error rate, nearest-rank p99 and the requests since a time match a sort of them", () => {
  const next = random(3);
  const window = new RecentWindow(250);
  const all: [number, number, boolean][] = [];
  for (let i = 0; i < 1000; i++) {
    const ms = next() * 10;
    const failed = next() < 0.1;
    window.push(i, ms, failed);
    all.push([i, ms, failed]);
    if (i % 97 !== 0 && i !== 999) continue;
    const last = all.slice(-250);
    const sorted = last.map(([, m]) => m).sort((a, b) => a - b);
    assert.equal(window.count, last.length);
    assert.equal(window.oldest(), last[0]![0]);
    assert.equal(window.p99(), sorted[Math.ceil(0.99 * sorted.length) - 1]);
    assert.equal(window.errorRate(), last.filter(([, , f]) => f).length / last.length);
    const since = window.since(i - 40);
    const recent = last.filter(([at]) => at >= i - 40);
    assert.deepEqual([...since.latencies].sort(), recent.map(([, m]) => m).sort());
    assert.equal(since.errors, recent.filter(([, , f]) => f).length);
  }
  assert.equal(new RecentWindow().p99(), 0);
  assert.equal(new RecentWindow().oldest(), Infinity);
});

test("binomialTail agrees with the sum of exact binomial terms, and keeps its digits far in the tail", () => {
  const choose = (n: number, k: number) => {
    let c = 1;
    for (let j = 1; j <= k; j++) c = (c * (n - k + j)) / j;
    return c;
  };
  for (const [n, p] of [[20, 0.02], [60, 0.3], [100, 0.01], [7, 0.5]] as const) {
    for (let k = 0; k <= n; k++) {
      let exact = 0;
      for (let i = k; i <= n; i++) exact += choose(n, i) * p ** i * (1 - p) ** (n - i);
      const got = binomialTail(n, k, p);
      assert.ok(Math.abs(got - exact) <= 1e-12 * Math.max(1, exact) || Math.abs(got / exact - 1) < 1e-9, `n=${n} p=${p} k=${k}: ${got} vs ${exact}`);
    }
  }
  // 20 failures of 20 at 2%: 0.02^20.
  assert.ok(Math.abs(binomialTail(20, 20, 0.02) / 0.02 ** 20 - 1) < 1e-9);
  assert.ok(binomialTail(4000, 400, 0.01) > 0 && binomialTail(4000, 400, 0.01) < 1e-100);
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
/** A window of `n` requests ending at times from..from+n-1, `ms` each (or ms(i)), the first `errors` failed. */
const fill = (n: number, ms: number | ((i: number) => number), errors = 0, from = 0, w = new RecentWindow()) => {
  for (let i = 0; i < n; i++) w.push(from + i, typeof ms === "number" ? ms : ms(i), i < errors);
  return w;
};
const none: RewardStats = { n: 0, sum: 0, sumsq: 0 };
const evidence = (recent: RecentWindow, rewards = none) => ({ recent, rewards });

test("rollback rules: an error rate above the champion's plus the margin with confidence, over enough requests on both sides", () => {
  const champion = evidence(fill(200, 2, 1));
  // The champion fails 0.5%, so the limit is 2.5%: 8 failures of 100 may be bad luck (P = 0.005); 20 are not.
  assert.ok(binomialTail(100, 8, 0.025) > GUARD_ALPHA);
  assert.equal(rollbackReason(rules, champion, evidence(fill(100, 2, 8))), undefined);
  assert.equal(rollbackReason(rules, champion, evidence(fill(100, 2, 20))), "error rate 20.0% of its last 100 requests against the champion's 0.5% (margin 2.0%)");
  assert.equal(rollbackReason(rules, champion, evidence(fill(99, 2, 99))), undefined, "too few requests to judge");
});

test("rollback rules: a p99 over the champion's plus the margin with confidence; slow outliers alone are not enough", () => {
  const champion = evidence(fill(200, 2));
  // The champion's p99 is 2 ms, so the limit is 3 ms.
  assert.equal(rollbackReason(rules, champion, evidence(fill(100, 3.1))), "latency p99 3.10 ms against the champion's 2.00 ms: 100 of its last 100 requests took over 3.00 ms (margin 50.0% and 1 ms)");
  assert.equal(rollbackReason(rules, champion, evidence(fill(100, 2.9))), undefined);
  // 5 slow requests of 100: its sample p99 is 10 ms, yet 5% over the limit is not sure evidence that over 1% are (P = 0.003).
  assert.equal(rollbackReason(rules, champion, evidence(fill(100, (i) => (i < 5 ? 10 : 2)))), undefined);
  assert.match(rollbackReason(rules, champion, evidence(fill(100, (i) => (i < 15 ? 10 : 2))))!, /^latency p99 10\.00 ms against the champion's 2\.00 ms: 15 of its last 100 requests/);
  // Under the 1 ms floor nothing is a regression.
  assert.equal(rollbackReason(rules, evidence(fill(200, 0.1)), evidence(fill(100, 0.9))), undefined);
});

test("rollback rules: both variants are compared over the same period, so a burst of load is in both or in neither", () => {
  const few = { ...rules, minRequests: 20 };
  // The champion answered 4,000 requests at 2 ms, then 30 during a burst at 10 ms; the challenger's 30 requests all came in the burst.
  const champion = fill(30, 10, 0, 4000, fill(4000, 2));
  const challenger = fill(30, 10, 0, 4000);
  assert.equal(rollbackReason(few, evidence(champion), evidence(challenger)), undefined);
  // Compared with the champion's whole window (p99 2 ms), the burst would have looked like a slow challenger.
  assert.match(rollbackReason(few, evidence(fill(4030, 2)), evidence(fill(30, 10, 0, 4000)))!, /^latency p99 10\.00 ms against the champion's 2\.00 ms/);
});

test("rollback rules: a reward worse with confidence, once both sides have 30 rewards; never with reward_alpha false", () => {
  const ones = stats(Array.from({ length: MIN_REWARDS }, () => 1));
  const zeros = stats(Array.from({ length: MIN_REWARDS }, () => 0));
  const quiet = new RecentWindow();
  assert.match(rollbackReason(rules, { recent: quiet, rewards: ones }, { recent: quiet, rewards: zeros })!, /^mean reward 0\.000 over 30 rewards against the champion's 1\.000 over 30/);
  assert.equal(rollbackReason(rules, { recent: quiet, rewards: zeros }, { recent: quiet, rewards: ones }), undefined, "a better challenger stays");
  assert.equal(rollbackReason({ ...rules, rewardAlpha: null }, { recent: quiet, rewards: ones }, { recent: quiet, rewards: zeros }), undefined);
  assert.equal(rollbackReason(rules, { recent: quiet, rewards: ones }, { recent: quiet, rewards: stats([0]) }), undefined, "one reward is not evidence");
});

test("quantile99 is the nearest-rank 99th percentile of a sort", () => {
  const next = random(5);
  for (const n of [1, 2, 99, 100, 101, 250, 4096]) {
    const values = Float64Array.from({ length: n }, () => Math.floor(next() * 50) / 7);
    const sorted = [...values].sort((a, b) => a - b);
    assert.equal(quantile99(values), sorted[Math.ceil(0.99 * n) - 1], `n=${n}`);
  }
  assert.equal(quantile99(new Float64Array(0)), 0);
});
