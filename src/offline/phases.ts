/** Seconds one phase of a retrieval took (see HistoricalFeaturesResult.phases). */
export interface Phase {
  /**
   * `entity rows`, then per view `VIEW: join`, then `write`. A view is first joined in a
   * single pass (`VIEW: join`); if it stops (`VIEW: single pass, stopped`), the view is planned
   * (`VIEW: plan`) and joined. A CSV source, or a query that derives its rows, is read into a
   * table (`VIEW: copy source`) before its plan; a streaming query after it, when the plan
   * reads it more than once (see buildViewResult).
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
