import type { Prediction } from "../runtime/onnx.js";

/** One row of a routed prediction, as feedback needs it. */
export interface AnsweredRow {
  requestId: string;
  /** The row's position in its request, from 0. */
  row: number;
  /** How many rows its request had. */
  rows: number;
  /** When it was answered, epoch ms. */
  at: number;
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

/**
 * The rows a route answered recently, by request id and by entity key, so feedback can be
 * attributed to the variant and version that answered. Bounded twice: a ring of the last
 * `max` rows (a new row overwrites the oldest, a request's rows are consecutive), and a row
 * older than `maxAgeMs` is never returned. It lives in memory: remembering a row costs one
 * small object and two map writes; a database row per prediction would cost more than
 * routing itself. No per-request eviction work: the ring overwrites.
 */
export class FeedbackWindow {
  private readonly ring: AnsweredRow[] = [];
  private next = 0;
  /** Request id -> ring slot of its row 0. */
  private readonly byId = new Map<string, number>();
  /** Entity key -> ring slot of its latest row. */
  private readonly byKey = new Map<string, number>();

  constructor(
    readonly maxAgeMs: number,
    readonly max: number,
  ) {}

  /** Rows remembered now. */
  get size(): number {
    return this.ring.length;
  }

  /** Remembers a request's rows (in order). */
  add(rows: AnsweredRow[]): void {
    for (const row of rows) {
      const slot = this.next;
      const old = this.ring[slot];
      if (old) {
        if (old.row === 0 && this.byId.get(old.requestId) === slot) this.byId.delete(old.requestId);
        if (old.key !== undefined && this.byKey.get(old.key) === slot) this.byKey.delete(old.key);
      }
      this.ring[slot] = row;
      if (row.row === 0) this.byId.set(row.requestId, slot);
      if (row.key !== undefined) this.byKey.set(row.key, slot);
      this.next = (slot + 1) % this.max;
    }
  }

  /** Row 0 of a request answered within the window, else undefined. */
  first(requestId: string, now: number): AnsweredRow | undefined {
    const slot = this.byId.get(requestId);
    const found = slot === undefined ? undefined : this.ring[slot];
    return found && found.at >= now - this.maxAgeMs ? found : undefined;
  }

  /** Row `row` (below `first.rows`) of the request `first` begins; undefined once a newer request overwrote it. */
  row(first: AnsweredRow, row: number): AnsweredRow | undefined {
    const found = this.ring[(this.byId.get(first.requestId)! + row) % this.max];
    return found?.requestId === first.requestId ? found : undefined;
  }

  /** The latest row answered for an entity key within the window, else undefined. */
  latest(key: string, now: number): AnsweredRow | undefined {
    const slot = this.byKey.get(key);
    const found = slot === undefined ? undefined : this.ring[slot];
    return found && found.at >= now - this.maxAgeMs ? found : undefined;
  }
}
