import { logFolder } from "../../repo/feature-logs.js";
import type { Definitions } from "../../repo/types.js";
import { renderFamily, type GaugeSample } from "../metrics.js";
import type { Log } from "../model-pool.js";
import { fmix32 } from "../routing/hash.js";
import { LogBatch, logTypes, recordRefs } from "./batch.js";
import { hourOf, LogFileWriter } from "./files.js";
import type { FeatureLog, FeatureLogRecord } from "./record.js";

export interface FeatureLoggerOptions {
  /** The log folder (feature_store.yaml's `logging.path`). */
  dir: string;
  /**
   * Share of requests logged for every served model and for every feature service without
   * a `logging:` of its own; undefined: only the services that have one are logged.
   */
  sampleRate?: number;
  /** Seconds between flushes of the queue to new files. */
  flushSeconds: number;
  /** Rows the queue holds; a request whose rows do not fit is dropped and counted. */
  queueSize: number;
  /** The applied feature registry now: value types, and the services' own sample rates. */
  definitions: () => Definitions | undefined;
  log: Log;
}

/**
 * A request id's place in [0, 1): FNV-1a over its UTF-16 code units, then murmur3's 32-bit
 * finalizer so that sequential ids ("req-1", "req-2", ...) spread evenly. A request is logged
 * when this is below the sample rate: the same id gets the same answer in every record (a
 * shadow prediction is logged with its primary or not at all) and in every process.
 */
export function sampleKey(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return fmix32(h) / 2 ** 32;
}

type DropReason = "queue_full" | "write_failed" | "unknown_features" | "invalid" | "closed";

/** One log (a model's or a feature service's): its folder, sample rate and counters. */
class Stream {
  /** The registry the rate was read from; a new applied registry re-reads it. */
  definitions: Definitions | undefined | null = null;
  rate = 0;
  sampledOut = 0;
  rows = 0;
  files = 0;
  bytes = 0;
  readonly dropped = new Map<DropReason, number>();
  /** Rows queued since the last flush, per UTC hour (epoch ms of its start). */
  batches = new Map<number, LogBatch>();
  /** The rows of the last batch flushed: the next batch's first capacity. */
  lastRows = 0;

  constructor(
    readonly kind: "models" | "services",
    readonly name: string,
    readonly folder: string,
  ) {}

  drop(reason: DropReason, requests = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + requests);
  }
}

/**
 * The feature logger of `mlf serve` (see FeatureLog): answers are sampled and copied into
 * typed columns per log and UTC hour (LogBatch) as they are logged, at most `queueSize` rows
 * between flushes; every `flushSeconds` (and at close) each batch becomes a new Parquet file
 * of the feature log format, written one column chunk at a time with the event loop free
 * between the writes. Logging never fails a request: a record that does not fit is dropped,
 * and so are the rows of a failed write; both are counted for /metrics.
 */
export class FeatureLogger implements FeatureLog {
  private queuedRows = 0;
  private readonly streams = { models: new Map<string, Stream>(), services: new Map<string, Stream>() };
  private readonly writer = new LogFileWriter();
  private flushing: Promise<void> = Promise.resolve();
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastError: string | undefined;
  private lastFlush: { at: number; seconds: number } | undefined;

  constructor(private readonly options: FeatureLoggerOptions) {}

  log(record: FeatureLogRecord): boolean {
    const stream = this.stream(record.kind, record.name);
    const rate = this.rateOf(stream);
    if (rate <= 0 || (rate < 1 && sampleKey(record.requestId) >= rate)) {
      stream.sampledOut++;
      return false;
    }
    const full = this.queuedRows + record.rows > this.options.queueSize;
    if (this.closed || full) {
      stream.drop(this.closed ? "closed" : "queue_full");
      return false;
    }
    const types = logTypes(this.options.definitions());
    const refs = recordRefs(record, types);
    if (!refs) {
      stream.drop("unknown_features");
      return false;
    }
    const hour = hourOf(record.at);
    let batch = stream.batches.get(hour);
    if (!batch) stream.batches.set(hour, (batch = new LogBatch(record.kind, types, Math.min(stream.lastRows, this.options.queueSize))));
    try {
      batch.append(record, refs);
    } catch {
      stream.drop("invalid");
      return false;
    }
    this.queuedRows += record.rows;
    return true;
  }

  /** Flushes every `flushSeconds`; a tick that finds a flush still running is skipped. */
  start(): void {
    this.timer = setInterval(() => {
      if (!this.running) void this.flush();
    }, this.options.flushSeconds * 1000).unref();
  }

  /** Writes what is queued now; resolves when it is on disk (after a flush already running). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushQueue());
    return this.flushing;
  }

  /** Stops the timer and flushes what is queued; later records are dropped (counted as "closed"). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.closed = true;
    await this.flush();
  }

  private stream(kind: "models" | "services", name: string): Stream {
    let stream = this.streams[kind].get(name);
    if (!stream) this.streams[kind].set(name, (stream = new Stream(kind, name, logFolder(this.options.dir, kind, name))));
    return stream;
  }

  private rateOf(stream: Stream): number {
    if (stream.kind === "models") return this.options.sampleRate ?? 0;
    const definitions = this.options.definitions();
    if (stream.definitions !== definitions) {
      stream.definitions = definitions;
      const own = definitions?.featureServices.find((s) => s.name === stream.name)?.logging;
      stream.rate = own?.sampleRate ?? this.options.sampleRate ?? 0;
    }
    return stream.rate;
  }

  private async flushQueue(): Promise<void> {
    if (this.queuedRows === 0) return;
    this.running = true;
    const started = performance.now();
    // Take every batch now: rows logged from here on go to new batches and the next flush.
    const taken = [...this.streams.models.values(), ...this.streams.services.values()].filter((s) => s.batches.size > 0).map((stream) => {
      const batches = stream.batches;
      stream.batches = new Map();
      return { stream, batches };
    });
    this.queuedRows = 0;
    try {
      for (const { stream, batches } of taken) {
        for (const [hour, batch] of batches) {
          if (batch.rows === 0) continue;
          stream.lastRows = batch.rows;
          try {
            const { bytes } = await this.writer.write(stream.folder, hour, batch.columns(), batch.rows);
            stream.rows += batch.rows;
            stream.files++;
            stream.bytes += bytes;
          } catch (error) {
            stream.drop("write_failed", batch.requests);
            const message = (error as Error).message;
            // A full disk fails every flush the same way: say it once, not every few seconds.
            if (message !== this.lastError) this.options.log({ level: "error", msg: "feature log write failed", log: `${stream.kind}/${stream.name}`, rows: batch.rows, error: message });
            this.lastError = message;
          }
        }
      }
    } finally {
      this.running = false;
      this.lastFlush = { at: Date.now(), seconds: (performance.now() - started) / 1000 };
    }
  }

  /** The logger's metrics in Prometheus' text format. */
  render(): string[] {
    const streams = [...this.streams.models.values(), ...this.streams.services.values()];
    const per = (value: (s: Stream) => number): GaugeSample[] => streams.map((s) => ({ labels: { kind: s.kind, name: s.name }, value: value(s) }));
    const dropped = streams.flatMap((s) => [...s.dropped].map(([reason, n]) => ({ labels: { kind: s.kind, name: s.name, reason }, value: n })));
    return [
      ...renderFamily("mlf_feature_log_rows_total", "Rows written to feature log files, per log.", "counter", per((s) => s.rows)),
      ...renderFamily("mlf_feature_log_files_total", "Feature log files written, per log.", "counter", per((s) => s.files)),
      ...renderFamily("mlf_feature_log_bytes_total", "Bytes of feature log files written, per log.", "counter", per((s) => s.bytes)),
      ...renderFamily("mlf_feature_log_sampled_out_total", "Requests not logged because of the sample rate, per log.", "counter", per((s) => s.sampledOut)),
      ...renderFamily("mlf_feature_log_dropped_total", "Requests whose rows were not logged: queue_full (the queue held queue_size rows), write_failed, unknown_features, invalid, closed.", "counter", dropped),
      ...renderFamily("mlf_feature_log_queue_rows", "Rows waiting in the feature log queue.", "gauge", [{ labels: {}, value: this.queuedRows }]),
      ...renderFamily("mlf_feature_log_queue_capacity_rows", "Rows the feature log queue holds (logging.queue_size).", "gauge", [{ labels: {}, value: this.options.queueSize }]),
      ...(this.lastFlush ? renderFamily("mlf_feature_log_last_flush_seconds", "How long the last flush took (building and writing its files).", "gauge", [{ labels: {}, value: this.lastFlush.seconds }]) : []),
      ...(this.lastFlush ? renderFamily("mlf_feature_log_last_flush_timestamp_seconds", "When the last flush ended (Unix seconds).", "gauge", [{ labels: {}, value: this.lastFlush.at / 1000 }]) : []),
    ];
  }
}
