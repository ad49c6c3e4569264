import { MlfError } from "../../errors.js";
import type { Log, ModelPool, ServedModel } from "../model-pool.js";
import type { Prediction } from "../runtime/onnx.js";
import type { FeedbackBody, PredictBody } from "../schemas.js";
import type { ModelSource } from "../sources.js";
import { recordFeedback } from "./feedback.js";
import { entityKey, unitHash } from "./hash.js";
import { RouteMetrics } from "./metrics.js";
import { Route, type Arm, type RoutingClock } from "./route.js";
import { logShadowPredictions } from "./shadow-log.js";
import type { RouteSpec } from "./spec.js";
import type { RoutingState } from "./state.js";
import { routeStatus } from "./status.js";
import type { AnsweredRow } from "./window.js";

/**
 * What a scoring is for: the variant it answers as ("shadow" for a shadow's scoring, which the
 * caller does not get) and, when the body holds some of the request's rows, their positions
 * in it. The route handler logs its answers with both (src/serving/logging).
 */
export interface Scoring {
  variant: string;
  positions?: readonly number[];
}

/** Runs one model version on (some rows of) a /predict body: the route handler's own scoring. */
export type Score = (model: ServedModel, body: PredictBody, count: number, scoring: Scoring) => Promise<Prediction[]>;

/** A routed answer: per row the prediction, the version and the variant that gave it. */
export interface RoutedPredictions {
  predictions: Prediction[];
  versions: string[];
  variants: string[];
}

export interface RouteSetup {
  spec: RouteSpec;
  /** Where each challenger comes from, in `spec.challengers` order. */
  sources: ModelSource[];
}

const systemClock: RoutingClock = { now: Date.now, elapsed: () => performance.now() };

/** Shadow scorings running at once; beyond this a shadow is skipped (and counted), never queued. */
const MAX_SHADOWS = 64;

/**
 * The routes of a server: which variant answers each /predict row of a routed model,
 * shadow scoring, feedback, and what /routes and /metrics report. Routes are declared at
 * start; their challengers are model pool arms, so loading, polling and hot swap are the
 * pool's, with its guarantees (a request finishes on the version it started with).
 */
export class Routing {
  private readonly routes = new Map<string, Route>();
  private readonly metrics = new RouteMetrics();
  /** Shadow scorings running now. */
  private readonly shadows = new Set<Promise<void>>();
  private shadowsSkipped = 0;

  constructor(
    setups: RouteSetup[],
    private readonly pool: ModelPool,
    private readonly state: RoutingState,
    private readonly log: Log,
    private readonly clock: RoutingClock = systemClock,
  ) {
    const served = new Set(pool.status().map((m) => m.name));
    const byKey = new Map<string, { route: Route; arm: Arm }>();
    for (const { spec, sources } of setups) {
      if (!served.has(spec.model)) throw new MlfError("usage", `The route of ${spec.origin} is for model ${spec.model}, which is not served; serve it with --model (served: ${[...served].join(", ") || "none"}).`);
      if (this.routes.has(spec.model)) throw new MlfError("usage", `Model ${spec.model} has two routes; declare one route per model.`);
      const route = new Route(spec, { state, log, clock, metrics: this.metrics });
      this.routes.set(spec.model, route);
      route.arms.forEach((arm, i) => {
        byKey.set(arm.key, { route, arm });
        if (i > 0) pool.addArm(arm.key, sources[i - 1]!);
      });
    }
    pool.onLoaded((key, model) => {
      const found = byKey.get(key);
      if (found) found.route.loaded(found.arm, model);
    });
  }

  /** Applies the first shares; call once the pool's first refresh is done. */
  start(): void {
    for (const route of this.routes.values()) route.start();
  }

  route(model: string): Route | undefined {
    return this.routes.get(model);
  }

  /**
   * Answers a /predict body on a routed model: each row goes to the variant its entity hashes
   * to (a batch may be split), a challenger that fails is answered for by the champion, the
   * rows are remembered for feedback, and a shadow scores its share off the response path.
   */
  async predict(route: Route, requestId: string, body: PredictBody, count: number, score: Score): Promise<RoutedPredictions> {
    const names = route.keyNamesOf(body.entities);
    const keys = new Array<string | undefined>(count);
    const units = new Array<number>(count);
    const arms = new Array<Arm>(count);
    let mixed = false;
    for (let r = 0; r < count; r++) {
      const key = names.length > 0 ? entityKey(body.entities, names, r) : undefined;
      keys[r] = key;
      units[r] = unitHash(key ?? `${requestId}/${r}`, route.seed);
      arms[r] = route.pick(units[r]!);
      if (arms[r] !== arms[0]) mixed = true;
    }
    const answering = mixed ? this.answerRows(route, arms, body, score) : this.answer(route, arms[0]!, body, count, score).then((got) => ({ predictions: got.predictions, versions: new Array<string>(count).fill(got.version), variants: new Array<string>(count).fill(got.arm.variant) }));
    const shadowed = route.spec.mode === "shadow" ? this.shadow(route, requestId, body, units, score) : undefined;
    let rows: AnsweredRow[] | undefined;
    try {
      const out = await answering;
      const at = this.clock.now();
      rows = new Array<AnsweredRow>(count);
      for (let r = 0; r < count; r++) rows[r] = { requestId, row: r, rows: count, at, variant: out.variants[r]!, version: out.versions[r]!, prediction: out.predictions[r]!, key: keys[r] };
      route.window.add(rows);
      return out;
    } finally {
      shadowed?.(rows);
    }
  }

  /** A batch whose rows go to several variants: each variant answers its rows, put back in order. */
  private async answerRows(route: Route, arms: Arm[], body: PredictBody, score: Score): Promise<RoutedPredictions> {
    const out: RoutedPredictions = { predictions: new Array(arms.length), versions: new Array(arms.length), variants: new Array(arms.length) };
    const groups = new Map<Arm, number[]>();
    arms.forEach((arm, r) => {
      const rows = groups.get(arm);
      if (rows) rows.push(r);
      else groups.set(arm, [r]);
    });
    await Promise.all(
      [...groups].map(async ([arm, rows]) => {
        const got = await this.answer(route, arm, rowsOf(body, rows), rows.length, score, rows);
        rows.forEach((r, i) => {
          out.predictions[r] = got.predictions[i]!;
          out.versions[r] = got.version;
          out.variants[r] = got.arm.variant;
        });
      }),
    );
    return out;
  }

  /** The arm's answer, or the champion's when a challenger fails (its failure counts against it); `positions` as in Scoring. */
  private async answer(route: Route, arm: Arm, body: PredictBody, count: number, score: Score, positions?: readonly number[]) {
    if (!arm.champion) {
      try {
        return await this.run(route, arm, body, count, score, { variant: arm.variant, ...(positions && { positions }) });
      } catch (error) {
        this.log({ level: "warn", msg: "route variant failed", model: route.spec.model, variant: arm.variant, version: arm.version, error: (error as Error).message });
      }
    }
    return this.run(route, route.champion, body, count, score, { variant: route.champion.variant, ...(positions && { positions }) });
  }

  private run(route: Route, arm: Arm, body: PredictBody, count: number, score: Score, scoring: Scoring) {
    const fn = async (model: ServedModel) => {
      const started = this.clock.elapsed();
      let failed = true;
      try {
        const predictions = await score(model, body, count, scoring);
        failed = false;
        return { predictions, version: model.version, arm };
      } finally {
        route.observe(arm, model.version, this.clock.elapsed() - started, failed);
      }
    };
    return arm.champion ? this.pool.use(route.spec.model, fn) : this.pool.useArm(arm.key, fn);
  }

  /**
   * Starts the shadow on its share of the rows beside the champion (the answer does not wait
   * for it), so both run under the same load and their latencies compare fairly; a shadow
   * started after the answer queues behind the next requests and looks slower than it is.
   * Returns the function to call with the answer's rows (undefined if the answer failed):
   * then both predictions are logged and the shadow's is kept for label feedback. Its
   * failures and latency feed its guard rails.
   */
  private shadow(route: Route, requestId: string, body: PredictBody, units: number[], score: Score): ((answered: AnsweredRow[] | undefined) => void) | undefined {
    const arm = route.arms[1]!;
    const rows = units.flatMap((u, r) => (route.shadowFor(u) ? [r] : []));
    if (rows.length === 0) return undefined;
    if (this.shadows.size >= MAX_SHADOWS) return void this.shadowsSkipped++;
    const whole = rows.length === units.length;
    const scored = this.run(route, arm, whole ? body : rowsOf(body, rows), rows.length, score, { variant: "shadow", ...(!whole && { positions: rows }) });
    let settle!: (answered: AnsweredRow[] | undefined) => void;
    const answered = new Promise<AnsweredRow[] | undefined>((resolve) => (settle = resolve));
    const done: Promise<void> = Promise.all([scored, answered])
      .then(([{ predictions, version }, all]) => {
        if (!all) return;
        rows.forEach((r, i) => (all[r]!.shadow = { variant: arm.variant, version, prediction: predictions[i]! }));
        logShadowPredictions(this.log, { model: route.spec.model, requestId, rows: rows.map((r) => all[r]!) });
      })
      .catch((error: Error) => this.log({ level: "warn", msg: "shadow failed", model: route.spec.model, variant: arm.variant, request_id: requestId, error: error.message }))
      .finally(() => this.shadows.delete(done));
    this.shadows.add(done);
    return settle;
  }

  /** Resolves when the shadow scorings running now have finished (close waits for them; so can tests). */
  async settled(): Promise<void> {
    while (this.shadows.size > 0) await Promise.all([...this.shadows]);
  }

  /** Records an outcome for a remembered prediction; see recordFeedback. */
  feedback(body: FeedbackBody) {
    return recordFeedback(this.routes, body, this.clock.now());
  }

  /** What /routes, /models and `mlf serve --json` show: per route, see routeStatus. */
  status(historyLimit = 20) {
    return [...this.routes.values()].map((route) => routeStatus(route, this.pool, this.state, historyLimit));
  }

  /** The routing series of /metrics. */
  renderMetrics(): string[] {
    const shares = [...this.routes.values()].flatMap((route) => route.arms.map((arm) => ({ labels: { model: route.spec.model, variant: arm.variant }, value: arm.share })));
    return [
      ...this.metrics.render(shares),
      `# HELP mlf_route_shadow_skipped_total Shadow scorings skipped because ${MAX_SHADOWS} were already running.`,
      "# TYPE mlf_route_shadow_skipped_total counter",
      `mlf_route_shadow_skipped_total ${this.shadowsSkipped}`,
    ];
  }

  async close(): Promise<void> {
    await this.settled();
    this.state.close();
  }
}

/** The body restricted to some rows: list values are picked, scalars (broadcast) kept. */
function rowsOf(body: PredictBody, rows: number[]): PredictBody {
  const pick = <V>(values: Record<string, V | V[]>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? rows.map((r) => v[r]!) : v]));
  return { model: body.model, entities: pick(body.entities), ...(body.features && { features: pick(body.features) }) };
}
