import type { RollbackRules } from "./spec.js";

/**
 * The last `size` requests one variant answered: when each ended (on the routing clock's
 * elapsed time), its latency and whether it failed. Guard rails look at recent behaviour, so
 * a version that turns slow after a million good requests is still caught; a ring of typed
 * arrays keeps a push allocation-free.
 */
export class RecentWindow {
  private readonly at: Float64Array;
  private readonly ms: Float64Array;
  private readonly failed: Uint8Array;
  private next = 0;
  count = 0;
  errors = 0;

  constructor(readonly size = 4096) {
    this.at = new Float64Array(size);
    this.ms = new Float64Array(size);
    this.failed = new Uint8Array(size);
  }

  push(at: number, ms: number, failed: boolean): void {
    if (this.count === this.size) this.errors -= this.failed[this.next]!;
    else this.count++;
    this.at[this.next] = at;
    this.ms[this.next] = ms;
    this.failed[this.next] = failed ? 1 : 0;
    if (failed) this.errors++;
    this.next = (this.next + 1) % this.size;
  }

  /** When the oldest kept request ended (Infinity when there is none). */
  oldest(): number {
    return this.count === 0 ? Infinity : this.at[(this.next - this.count + this.size) % this.size]!;
  }

  /** The requests that ended at or after `start`: their latencies and failures (pushes come in time order). */
  since(start: number): { latencies: Float64Array; errors: number } {
    // Binary search over the kept requests, oldest (k = 0) to newest, for the first at >= start.
    const first = (this.next - this.count + this.size) % this.size;
    const slot = (k: number) => (first + k) % this.size;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.at[slot(mid)]! < start) lo = mid + 1;
      else hi = mid;
    }
    const n = this.count - lo;
    const latencies = new Float64Array(n);
    let errors = 0;
    // The kept part of the ring is at most two contiguous runs.
    const from = slot(lo);
    const run = Math.min(n, this.size - from);
    latencies.set(this.ms.subarray(from, from + run));
    latencies.set(this.ms.subarray(0, n - run), run);
    for (let i = from; i < from + run; i++) errors += this.failed[i]!;
    for (let i = 0; i < n - run; i++) errors += this.failed[i]!;
    return { latencies, errors };
  }

  errorRate(): number {
    return this.count === 0 ? 0 : this.errors / this.count;
  }

  /** The 99th percentile latency in ms of every kept request. */
  p99(): number {
    return quantile99(this.since(-Infinity).latencies);
  }
}

/**
 * The nearest-rank 99th percentile: the ceil(0.99 n)-th smallest value, 0 for none. Found
 * as the smallest of the n - ceil(0.99 n) + 1 largest, kept in a min-heap of that size (41
 * of 4,096): a pass over the values instead of sorting them, which cost ten times more.
 */
export function quantile99(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return 0;
  const k = n - Math.ceil(0.99 * n) + 1;
  const heap = new Float64Array(k);
  let size = 0;
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && heap[l]! < heap[m]!) m = l;
      if (r < size && heap[r]! < heap[m]!) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let j = 0; j < n; j++) {
    const v = values[j]!;
    if (size < k) {
      // Sift up.
      let i = size++;
      heap[i] = v;
      while (i > 0 && heap[(i - 1) >> 1]! > heap[i]!) {
        const p = (i - 1) >> 1;
        [heap[i], heap[p]] = [heap[p]!, heap[i]!];
        i = p;
      }
    } else if (v > heap[0]!) {
      heap[0] = v;
      down(0);
    }
  }
  return heap[0]!;
}

/**
 * P(K >= k) for K ~ Binomial(n, p), summed from k up in log space (no 1 - lower tail, so a
 * tail of 1e-30 keeps its digits, and no overflow for large n).
 */
export function binomialTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let log = k * Math.log(p) + (n - k) * Math.log1p(-p);
  for (let j = 1; j <= k; j++) log += Math.log((n - k + j) / j);
  const ratio = p / (1 - p);
  let term = Math.exp(log);
  let sum = term;
  for (let i = k; i < n && term > sum * 1e-17; i++) {
    term *= ((n - i) / (i + 1)) * ratio;
    sum += term;
  }
  return Math.min(1, sum);
}

/**
 * Significance of the error and latency tests. They run after every few requests on
 * overlapping windows, so each must be very sure: at 1e-6 per check, a healthy challenger
 * checked 10,000 times is rolled back with probability at most 1%.
 */
export const GUARD_ALPHA = 1e-6;

/** Sufficient statistics of a variant's rewards (each in [0, 1]). */
export interface RewardStats {
  n: number;
  sum: number;
  sumsq: number;
}

/** The sample variance of the rewards, floored at 1/(4n) so a few identical rewards do not look certain. */
function variance(s: RewardStats): number {
  const v = s.n > 1 ? (s.sumsq - (s.sum * s.sum) / s.n) / (s.n - 1) : 0.25;
  return Math.max(v, 1 / (4 * s.n));
}

/** Rewards each side needs before the reward test runs: the plug-in variances need a sample. */
export const MIN_REWARDS = 30;

/** The mixing scale of the test: the size of a difference in mean reward worth detecting. */
const TAU = 0.1;

/**
 * The mixture sequential probability ratio test (mSPRT) for the difference of two means
 * (Johari, Pekelis and Walsh, "Always valid inference", 2017; Optimizely's stats engine).
 * With d the observed difference (challenger - champion) and V its variance
 * (s1²/n1 + s2²/n2), the likelihood ratio of "the means differ" (a N(0, TAU²) mixture
 * over the difference) against "they are equal" is
 *   Λ = sqrt(V / (V + TAU²)) · exp(TAU² d² / (2 V (V + TAU²))).
 * Rejecting when Λ >= 1/alpha keeps the false-rollback rate at most alpha no matter how
 * often it is checked, which a fixed-sample test checked after every reward would not: its
 * error rate grows with every look. Returns Λ and d.
 */
export function mixtureSprt(champion: RewardStats, challenger: RewardStats): { lambda: number; difference: number } {
  const difference = challenger.sum / challenger.n - champion.sum / champion.n;
  const v = variance(champion) / champion.n + variance(challenger) / challenger.n;
  const t2 = TAU * TAU;
  const lambda = Math.sqrt(v / (v + t2)) * Math.exp((t2 * difference * difference) / (2 * v * (v + t2)));
  return { lambda, difference };
}

/** What a guard check compares: the champion's and a challenger's recent requests and rewards. */
export interface Evidence {
  recent: RecentWindow;
  rewards: RewardStats;
}

/**
 * Why the challenger must be rolled back, or undefined. Errors and latency compare the two
 * variants over the same period (from the later of their windows' oldest requests, so a
 * burst of load is in both or in neither) once each has `minRequests` requests in it:
 * - errors: its error rate is above the champion's plus the margin with confidence
 *   (binomial test: P(at least this many failures | rate = champion's + margin) < GUARD_ALPHA);
 * - latency: its p99 is above T = the champion's p99 plus the margin (and the floor) with
 *   confidence: a p99 above T means more than 1% of its requests are slower than T, so the
 *   test is P(at least this many requests over T | 1% are) < GUARD_ALPHA. Comparing two
 *   sample p99s directly rolls back on noise: of 100 requests the p99 is the slowest one.
 * Rewards: the mSPRT above once both have MIN_REWARDS.
 */
export function rollbackReason(rules: RollbackRules, champion: Evidence, challenger: Evidence): string | undefined {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const start = Math.max(champion.recent.oldest(), challenger.recent.oldest());
  const base = champion.recent.since(start);
  const mine = challenger.recent.since(start);
  const n = mine.latencies.length;
  if (base.latencies.length >= rules.minRequests && n >= rules.minRequests) {
    const theirs = base.errors / base.latencies.length;
    const limit = theirs + rules.errorRate;
    if (limit < 1 && mine.errors / n > limit && binomialTail(n, mine.errors, limit) < GUARD_ALPHA) {
      return `error rate ${pct(mine.errors / n)} of its last ${n} requests against the champion's ${pct(theirs)} (margin ${pct(rules.errorRate)})`;
    }
    const p99 = quantile99(base.latencies);
    const limitMs = Math.max(p99 * (1 + rules.latencyP99), p99 + rules.latencyFloorMs);
    let over = 0;
    for (const ms of mine.latencies) if (ms > limitMs) over++;
    if (over > 0.01 * n && binomialTail(n, over, 0.01) < GUARD_ALPHA) {
      return `latency p99 ${quantile99(mine.latencies).toFixed(2)} ms against the champion's ${p99.toFixed(2)} ms: ${over} of its last ${n} requests took over ${limitMs.toFixed(2)} ms (margin ${pct(rules.latencyP99)} and ${rules.latencyFloorMs} ms)`;
    }
  }
  if (rules.rewardAlpha !== null && champion.rewards.n >= MIN_REWARDS && challenger.rewards.n >= MIN_REWARDS) {
    const { lambda, difference } = mixtureSprt(champion.rewards, challenger.rewards);
    if (difference < 0 && lambda >= 1 / rules.rewardAlpha) {
      const mean = (s: RewardStats) => (s.sum / s.n).toFixed(3);
      return `mean reward ${mean(challenger.rewards)} over ${challenger.rewards.n} rewards against the champion's ${mean(champion.rewards)} over ${champion.rewards.n} (mSPRT likelihood ratio ${lambda.toFixed(1)} >= 1/${rules.rewardAlpha})`;
    }
  }
  return undefined;
}
