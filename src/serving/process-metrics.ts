import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
import { renderFamily, type GaugeSample } from "./metrics.js";

/** GC pause bucket bounds in seconds, prom-client's. */
const GC_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
/** perf_hooks' GC kinds (NODE_PERFORMANCE_GC_*) as prom-client names them. */
const GC_KINDS: Record<number, string> = { 1: "major", 2: "minor", 4: "incremental", 8: "weakcb" };

/** A /proc/self file's text, or undefined off Linux. */
function procText(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** One line of a /proc/self file's text as a number, or undefined (off Linux, or no such line). */
function procNumber(text: string | undefined, pattern: RegExp): number | undefined {
  const match = text === undefined ? null : pattern.exec(text);
  return match ? Number(match[1]) : undefined;
}

const sample = (value: number, labels: Record<string, string> = {}): GaugeSample => ({ labels, value });

/**
 * The process, event-loop and GC metrics of prom-client's `collectDefaultMetrics`, under its
 * metric names, written by hand: nothing here runs per request. Everything is read when
 * /metrics is scraped, except the event-loop delay (libuv samples it every 10 ms while
 * started) and GC pauses (one observer callback per collection). Event-loop statistics cover
 * the time since the previous scrape, as prom-client's do.
 */
export class ProcessMetrics {
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly gc = new Map<string, { counts: number[]; sum: number; count: number }>();
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? "unknown";
      let series = this.gc.get(kind);
      if (!series) this.gc.set(kind, (series = { counts: new Array<number>(GC_BUCKETS.length).fill(0), sum: 0, count: 0 }));
      const seconds = entry.duration / 1000;
      GC_BUCKETS.forEach((bound, i) => {
        if (seconds <= bound) series.counts[i]!++;
      });
      series.sum += seconds;
      series.count++;
    }
  });

  start(): void {
    this.loop.enable();
    this.observer.observe({ entryTypes: ["gc"] });
  }

  stop(): void {
    this.loop.disable();
    this.observer.disconnect();
  }

  /** The metrics in Prometheus' text format; `lagSeconds` is the event-loop lag measured for this scrape. */
  render(lagSeconds: number): string[] {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const lines = [
      ...renderFamily("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", "counter", [sample(cpu.user / 1e6)]),
      ...renderFamily("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", "counter", [sample(cpu.system / 1e6)]),
      ...renderFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter", [sample((cpu.user + cpu.system) / 1e6)]),
      ...renderFamily("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge", [sample(Math.round(Date.now() / 1000 - process.uptime()))]),
      ...renderFamily("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", [sample(memory.rss)]),
    ];
    const status = procText("/proc/self/status");
    const kb = (name: string) => procNumber(status, new RegExp(`^${name}:\\s+(\\d+) kB`, "m"));
    const [virtual, data] = [kb("VmSize"), kb("VmData")];
    if (virtual !== undefined) lines.push(...renderFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", [sample(virtual * 1024)]));
    if (data !== undefined) lines.push(...renderFamily("process_heap_bytes", "Process heap size in bytes.", "gauge", [sample(data * 1024)]));
    const fds = (() => {
      try {
        return readdirSync("/proc/self/fd").length - 1; // minus the one readdir itself opened
      } catch {
        return undefined;
      }
    })();
    if (fds !== undefined) lines.push(...renderFamily("process_open_fds", "Number of open file descriptors.", "gauge", [sample(fds)]));
    const maxFds = procNumber(procText("/proc/self/limits"), /^Max open files\s+(\d+)/m);
    if (maxFds !== undefined) lines.push(...renderFamily("process_max_fds", "Maximum number of open file descriptors.", "gauge", [sample(maxFds)]));

    const loop = this.loop;
    const s = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
    lines.push(
      ...renderFamily("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds.", "gauge", [sample(lagSeconds)]),
      ...renderFamily("nodejs_eventloop_lag_min_seconds", "The minimum recorded event loop delay.", "gauge", [sample(s(loop.min))]),
      ...renderFamily("nodejs_eventloop_lag_max_seconds", "The maximum recorded event loop delay.", "gauge", [sample(s(loop.max))]),
      ...renderFamily("nodejs_eventloop_lag_mean_seconds", "The mean of the recorded event loop delays.", "gauge", [sample(s(loop.mean))]),
      ...renderFamily("nodejs_eventloop_lag_stddev_seconds", "The standard deviation of the recorded event loop delays.", "gauge", [sample(s(loop.stddev))]),
      ...renderFamily("nodejs_eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays.", "gauge", [sample(s(loop.percentile(50)))]),
      ...renderFamily("nodejs_eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays.", "gauge", [sample(s(loop.percentile(90)))]),
      ...renderFamily("nodejs_eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays.", "gauge", [sample(s(loop.percentile(99)))]),
    );
    loop.reset();

    const resources = new Map<string, number>();
    for (const type of process.getActiveResourcesInfo()) resources.set(type, (resources.get(type) ?? 0) + 1);
    lines.push(
      ...renderFamily("nodejs_active_resources", "Number of active resources that are currently keeping the event loop alive, grouped by async resource type.", "gauge", [...resources].map(([type, n]) => sample(n, { type }))),
      ...renderFamily("nodejs_active_resources_total", "Total number of active resources.", "gauge", [sample(process.getActiveResourcesInfo().length)]),
      ...renderFamily("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", "gauge", [sample(memory.heapTotal)]),
      ...renderFamily("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.", "gauge", [sample(memory.heapUsed)]),
      ...renderFamily("nodejs_external_memory_bytes", "Node.js external memory size in bytes.", "gauge", [sample(memory.external)]),
    );
    const spaces = getHeapSpaceStatistics().map((sp) => ({ space: sp.space_name.replace(/_space$/, ""), sp }));
    lines.push(
      ...renderFamily("nodejs_heap_space_size_total_bytes", "Process heap space size total from Node.js in bytes.", "gauge", spaces.map(({ space, sp }) => sample(sp.space_size, { space }))),
      ...renderFamily("nodejs_heap_space_size_used_bytes", "Process heap space size used from Node.js in bytes.", "gauge", spaces.map(({ space, sp }) => sample(sp.space_used_size, { space }))),
      ...renderFamily("nodejs_heap_space_size_available_bytes", "Process heap space size available from Node.js in bytes.", "gauge", spaces.map(({ space, sp }) => sample(sp.space_available_size, { space }))),
    );
    const [major, minor, patch] = process.versions.node.split(".");
    lines.push(...renderFamily("nodejs_version_info", "Node.js version info.", "gauge", [sample(1, { version: process.version, major: major!, minor: minor!, patch: patch! })]));

    lines.push("# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.", "# TYPE nodejs_gc_duration_seconds histogram");
    for (const [kind, series] of this.gc) {
      GC_BUCKETS.forEach((bound, i) => lines.push(`nodejs_gc_duration_seconds_bucket{le="${bound}",kind="${kind}"} ${series.counts[i]}`));
      lines.push(`nodejs_gc_duration_seconds_bucket{le="+Inf",kind="${kind}"} ${series.count}`, `nodejs_gc_duration_seconds_sum{kind="${kind}"} ${series.sum}`, `nodejs_gc_duration_seconds_count{kind="${kind}"} ${series.count}`);
    }
    return lines;
  }
}

/** The event loop's lag now: how long a setImmediate callback waits (prom-client's nodejs_eventloop_lag_seconds). */
export function measureLag(): Promise<number> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => setImmediate(() => resolve(Number(process.hrtime.bigint() - start) / 1e9)));
}
