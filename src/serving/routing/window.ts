import type { Prediction } from "../runtime/onnx.js";

/** One row of a routed prediction, as feedback needs it. */
export interface AnsweredRow {
  /** The variant that answered and its version. */
  variant: string;
  version: string;
  prediction: Prediction;
  /** The sticky key the row was routed by (undefined when the request named no entity). */
  key: string | undefined;
  /** The shadow's prediction for this row, once it has scored it. */
  shadow?: { variant: string; version: string; prediction: Prediction };
  /** Set by the first feedback: a row is rewarded once. */
  rewarded?: boolean;
}

export interface Answered {
  requestId: string;
  /** When it was answered, epoch ms. */
  at: number;
  rows: AnsweredRow[];
}

/**
 * The predictions a route answered recently, by request id and by entity key, so feedback can
 * be attributed to the variant and version that answered. Bounded twice: an entry older than
 * `maxAgeMs` is never returned and is dropped at the next add, and at most `max` entries are
 * kept (the oldest go first). It lives in memory: recording a prediction costs two map writes,
 * where a database row per prediction would cost more than routing itself.
 */
export class FeedbackWindow {
  private readonly byId = new Map<string, Answered>();
  private readonly byKey = new Map<string, { entry: Answered; row: number }>();
  /** Entries in arrival order; `head` is the oldest still kept. */
  private queue: Answered[] = [];
  private head = 0;

  constructor(
    readonly maxAgeMs: number,
    readonly max: number,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  add(entry: Answered): void {
    this.byId.set(entry.requestId, entry);
    for (let r = 0; r < entry.rows.length; r++) {
      const key = entry.rows[r]!.key;
      if (key !== undefined) this.byKey.set(key, { entry, row: r });
    }
    this.queue.push(entry);
    const expired = entry.at - this.maxAgeMs;
    while (this.head < this.queue.length && (this.queue.length - this.head > this.max || this.queue[this.head]!.at < expired)) this.evict(this.queue[this.head++]!);
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private evict(entry: Answered): void {
    this.byId.delete(entry.requestId);
    for (const row of entry.rows) {
      if (row.key !== undefined && this.byKey.get(row.key)?.entry === entry) this.byKey.delete(row.key);
    }
  }

  /** The entry of a request answered within the window, else undefined. */
  get(requestId: string, now: number): Answered | undefined {
    const entry = this.byId.get(requestId);
    return entry && entry.at >= now - this.maxAgeMs ? entry : undefined;
  }

  /** The latest row answered for an entity key within the window, else undefined. */
  latest(key: string, now: number): { entry: Answered; row: number } | undefined {
    const found = this.byKey.get(key);
    return found && found.entry.at >= now - this.maxAgeMs ? found : undefined;
  }
}
