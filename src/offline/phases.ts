/** Seconds one phase of a retrieval took (see HistoricalFeaturesResult.phases). */
export interface Phase {
  /**
   * `entity rows`; then per view `VIEW: intervals` (a source with a quarter of the entity
   * rows or fewer: the intervals are joined during `write`) or `VIEW: join` (a single pass).
   * Intervals too dense are dropped (`VIEW: intervals, too many per key`) for the single pass;
   * a large Parquet source is first glanced at (`VIEW: glance`), and when the glance finds
   * long histories, or the single pass stops (`VIEW: single pass, stopped`), `VIEW: plan` and
   * `VIEW: join` follow. Then `write`. A CSV source, or a query that derives its rows, is read
   * into a table (`VIEW: copy source`) before its plan; a streaming query after it, when the
   * plan reads it more than once (see buildViewResult).
   */
  phase: string;
  seconds: number;
}

/** Times the phases of one retrieval, in the order they ran. */
export class Phases {
  readonly list: Phase[] = [];

  async time<T>(phase: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      this.add(phase, started);
    }
  }

  /** Records a phase that began at `started` (performance.now()) and ends now. */
  add(phase: string, started: number): void {
    this.list.push({ phase, seconds: (performance.now() - started) / 1000 });
  }
}
