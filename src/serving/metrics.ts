/** Latency histogram bucket bounds in seconds (upper bounds, inclusive, as Prometheus defines `le`). */
export const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A Prometheus label value: backslash, quote and newline escaped. */
export function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** The answers of one (route, method): a counter per status and a latency histogram. */
class Series {
  readonly statuses = new Map<number, number>();
  /** Observations per bucket, not cumulative (the last slot is above every bound); summed when rendered. */
  readonly counts = new Array<number>(buckets.length + 1).fill(0);
  sum = 0;
  count = 0;

  constructor(readonly labels: string) {}

  observe(status: number, seconds: number): void {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    // Most answers take well under a millisecond: searching from the smallest bound ends early.
    let i = 0;
    while (i < buckets.length && seconds > buckets[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/**
 * Request metrics kept in memory: a counter per (route, method, status) and a latency
 * histogram per (route, method). Routes are the registered patterns, never raw URLs, so an
 * attacker can not grow the label set; unmatched requests count under route "unmatched".
 * An observation costs two map lookups and one bucket increment; no label text is built.
 */
export class RequestMetrics {
  private readonly series = new Map<string, Map<string, Series>>();

  observe(route: string, method: string, status: number, seconds: number): void {
    let methods = this.series.get(route);
    if (!methods) this.series.set(route, (methods = new Map()));
    let series = methods.get(method);
    if (!series) methods.set(method, (series = new Series(`route="${label(route)}",method="${label(method)}"`)));
    series.observe(status, seconds);
  }

  /** The request series in Prometheus' text exposition format (version 0.0.4). */
  render(): string[] {
    const all = [...this.series.values()].flatMap((methods) => [...methods.values()]);
    const lines = ["# HELP mlf_http_requests_total HTTP requests answered, by route, method and status.", "# TYPE mlf_http_requests_total counter"];
    for (const s of all) for (const [status, n] of s.statuses) lines.push(`mlf_http_requests_total{${s.labels},status="${status}"} ${n}`);
    lines.push("# HELP mlf_http_request_duration_seconds Time from request received to response sent.", "# TYPE mlf_http_request_duration_seconds histogram");
    for (const s of all) {
      let cumulative = 0;
      buckets.forEach((b, i) => {
        cumulative += s.counts[i]!;
        lines.push(`mlf_http_request_duration_seconds_bucket{${s.labels},le="${b}"} ${cumulative}`);
      });
      lines.push(`mlf_http_request_duration_seconds_bucket{${s.labels},le="+Inf"} ${s.count}`);
      lines.push(`mlf_http_request_duration_seconds_sum{${s.labels}} ${s.sum}`);
      lines.push(`mlf_http_request_duration_seconds_count{${s.labels}} ${s.count}`);
    }
    return lines;
  }
}

export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

/** One gauge family in text format. */
export function renderGauge(name: string, help: string, samples: GaugeSample[]): string[] {
  return renderFamily(name, help, "gauge", samples);
}

/** One metric family of single samples (a gauge, or a counter's current total) in text format. */
export function renderFamily(name: string, help: string, type: "gauge" | "counter", samples: GaugeSample[]): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const s of samples) {
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${label(v)}"`).join(",");
    lines.push(`${name}${labels ? `{${labels}}` : ""} ${Number.isFinite(s.value) ? s.value : "NaN"}`);
  }
  return lines;
}
