import type { RollbackRules } from "./spec.js";

/**
 * The last `size` requests one variant answered: their latency and whether they failed.
 * Guard rails look at recent behaviour, so a version that turns slow after a million good
 * requests is still caught; a ring of typed arrays keeps a push allocation-free.
 */
export class RecentWindow {
  private readonly ms: Float64Array;
  private readonly failed: Uint8Array;
  private next = 0;
  count = 0;
  errors = 0;

  constructor(readonly size = 1000) {
    this.ms = new Float64Array(size);
    this.failed = new Uint8Array(size);
  }

  push(ms: number, failed: boolean): void {
    if (this.count === this.size) this.errors -= this.failed[this.next]!;
    else this.count++;
    this.ms[this.next] = ms;
    this.failed[this.next] = failed ? 1 : 0;
    if (failed) this.errors++;
    this.next = (this.next + 1) % this.size;
  }

  errorRate(): number {
    return this.count === 0 ? 0 : this.errors / this.count;
  }

  /** The 99th percentile latency in ms (nearest rank: the ceil(0.99 n)-th smallest). */
  p99(): number {
    if (this.count === 0) return 0;
    const sorted = this.ms.slice(0, this.count).sort();
    return sorted[Math.ceil(0.99 * this.count) - 1]!;
  }
}

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
 * Why the challenger must be rolled back, or undefined. Errors and latency are compared once
 * both sides answered `minRequests` recent requests; rewards once both have MIN_REWARDS.
 */
export function rollbackReason(rules: RollbackRules, champion: Evidence, challenger: Evidence): string | undefined {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (champion.recent.count >= rules.minRequests && challenger.recent.count >= rules.minRequests) {
    const mine = challenger.recent.errorRate();
    const theirs = champion.recent.errorRate();
    if (mine > theirs + rules.errorRate) {
      return `error rate ${pct(mine)} of its last ${challenger.recent.count} requests against the champion's ${pct(theirs)} (margin ${pct(rules.errorRate)})`;
    }
    const p99 = challenger.recent.p99();
    const base = champion.recent.p99();
    if (p99 > base * (1 + rules.latencyP99) && p99 - base > rules.latencyFloorMs) {
      return `latency p99 ${p99.toFixed(2)} ms against the champion's ${base.toFixed(2)} ms (margin ${pct(rules.latencyP99)} and ${rules.latencyFloorMs} ms)`;
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
