/** Latency histogram bucket bounds in seconds (upper bounds, inclusive, as Prometheus defines `le`). */
const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** A Prometheus label value: backslash, quote and newline escaped. */
function label(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * Request metrics kept in memory: a counter per (route, method, status) and a latency
 * histogram per (route, method). Routes are the registered patterns, never raw URLs, so an
 * attacker can not grow the label set; unmatched requests count under route "unmatched".
 */
export class RequestMetrics {
  private readonly counts = new Map<string, number>();
  private readonly latencies = new Map<string, Histogram>();

  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `route="${label(route)}",method="${method}",status="${status}"`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const hkey = `route="${label(route)}",method="${method}"`;
    let h = this.latencies.get(hkey);
    if (!h) this.latencies.set(hkey, (h = { counts: buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < buckets.length; i++) if (seconds <= buckets[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** The request series in Prometheus' text exposition format (version 0.0.4). */
  render(): string[] {
    const lines = ["# HELP mlf_http_requests_total HTTP requests answered, by route, method and status.", "# TYPE mlf_http_requests_total counter"];
    for (const [key, n] of this.counts) lines.push(`mlf_http_requests_total{${key}} ${n}`);
    lines.push("# HELP mlf_http_request_duration_seconds Time from request received to response sent.", "# TYPE mlf_http_request_duration_seconds histogram");
    for (const [key, h] of this.latencies) {
      buckets.forEach((b, i) => lines.push(`mlf_http_request_duration_seconds_bucket{${key},le="${b}"} ${h.counts[i]}`));
      lines.push(`mlf_http_request_duration_seconds_bucket{${key},le="+Inf"} ${h.count}`);
      lines.push(`mlf_http_request_duration_seconds_sum{${key}} ${h.sum}`);
      lines.push(`mlf_http_request_duration_seconds_count{${key}} ${h.count}`);
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
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const s of samples) {
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${label(v)}"`).join(",");
    lines.push(`${name}{${labels}} ${Number.isFinite(s.value) ? s.value : "NaN"}`);
  }
  return lines;
}
