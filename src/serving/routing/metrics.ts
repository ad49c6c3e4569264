import { buckets, label, renderFamily, type GaugeSample } from "../metrics.js";

/** The requests and rewards one version of one variant of a route received. */
export class VersionSeries {
  requests = 0;
  errors = 0;
  /** Observations per latency bucket, not cumulative (the last slot is above every bound). */
  readonly counts = new Array<number>(buckets.length + 1).fill(0);
  seconds = 0;
  rewards = 0;
  rewardSum = 0;

  constructor(readonly labels: Record<string, string>) {}

  observe(ms: number, failed: boolean): void {
    this.requests++;
    if (failed) this.errors++;
    const seconds = ms / 1000;
    let i = 0;
    while (i < buckets.length && seconds > buckets[i]!) i++;
    this.counts[i]!++;
    this.seconds += seconds;
  }

  reward(reward: number): void {
    this.rewards++;
    this.rewardSum += reward;
  }
}

/**
 * Per route, variant and version: requests, errors, a latency histogram (the variant's own
 * work: feature read and model run) and rewards; per variant the current share and the
 * number of share changes by kind. Series are created on first use and kept (a swapped-out
 * version keeps its final counts, as Prometheus counters should).
 */
export class RouteMetrics {
  private readonly series = new Map<string, VersionSeries>();
  private readonly changes = new Map<string, { labels: Record<string, string>; count: number }>();

  /** The series of one version of a variant (a route keeps its variants' current ones at hand). */
  of(model: string, variant: string, version: string): VersionSeries {
    const id = `${model}\u0000${variant}\u0000${version}`;
    let s = this.series.get(id);
    if (!s) this.series.set(id, (s = new VersionSeries({ model, variant, version })));
    return s;
  }

  shareChanged(model: string, variant: string, kind: string): void {
    const id = `${model}\u0000${variant}\u0000${kind}`;
    const c = this.changes.get(id) ?? { labels: { model, variant, kind }, count: 0 };
    c.count++;
    this.changes.set(id, c);
  }

  /** Prometheus text; `shares` are the current shares per (model, variant). */
  render(shares: GaugeSample[]): string[] {
    const all = [...this.series.values()];
    const sample = (pick: (s: VersionSeries) => number) => all.map((s) => ({ labels: s.labels, value: pick(s) }));
    const lines = [
      ...renderFamily("mlf_route_requests_total", "Requests a route sent to a variant's version (shadow scoring included).", "counter", sample((s) => s.requests)),
      ...renderFamily("mlf_route_errors_total", "Of those, the ones that failed (a failed challenger's request is answered by the champion).", "counter", sample((s) => s.errors)),
      ...renderFamily("mlf_route_rewards_total", "Rewards received for a variant's version through /feedback.", "counter", sample((s) => s.rewards)),
      ...renderFamily("mlf_route_reward_mean", "Mean reward of a variant's version (NaN before the first).", "gauge", sample((s) => (s.rewards === 0 ? Number.NaN : s.rewardSum / s.rewards))),
      ...renderFamily("mlf_route_share", "Current share of a variant (canary and bandit: of entities answered; shadow challenger: of requests also scored).", "gauge", shares),
      ...renderFamily("mlf_route_share_changes_total", "Share changes, by kind (start, loaded, rewards, rollback).", "counter", [...this.changes.values()].map((c) => ({ labels: c.labels, value: c.count }))),
      "# HELP mlf_route_latency_seconds Time a variant took for its part of a request: feature read and model run.",
      "# TYPE mlf_route_latency_seconds histogram",
    ];
    for (const s of all) {
      const labels = `model="${label(s.labels.model!)}",variant="${label(s.labels.variant!)}",version="${label(s.labels.version!)}"`;
      let cumulative = 0;
      buckets.forEach((b, i) => {
        cumulative += s.counts[i]!;
        lines.push(`mlf_route_latency_seconds_bucket{${labels},le="${b}"} ${cumulative}`);
      });
      lines.push(`mlf_route_latency_seconds_bucket{${labels},le="+Inf"} ${s.requests}`);
      lines.push(`mlf_route_latency_seconds_sum{${labels}} ${s.seconds}`);
      lines.push(`mlf_route_latency_seconds_count{${labels}} ${s.requests}`);
    }
    return lines;
  }
}
