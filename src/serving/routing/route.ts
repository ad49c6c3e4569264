import { formatTime } from "../../util/time.js";
import type { Log, ServedModel } from "../model-pool.js";
import { RecentWindow, rollbackReason, type RewardStats } from "./guard.js";
import { murmur3 } from "./hash.js";
import type { RouteMetrics, VersionSeries } from "./metrics.js";
import type { RouteSpec } from "./spec.js";
import type { RoutingState, ShareChange } from "./state.js";
import { banditShares, posterior } from "./thompson.js";
import { FeedbackWindow } from "./window.js";

/** Time as routing reads it; injectable so tests need no sleeps. */
export interface RoutingClock {
  /** Wall time, epoch ms: when predictions and share changes happened. */
  now(): number;
  /** A monotonic time in ms: latencies are differences of it. */
  elapsed(): number;
}

/** One variant of a route: the champion (the served model) or a challenger. */
export interface Arm {
  readonly variant: string;
  /** Its slot in the model pool: the served model's name for the champion. */
  readonly key: string;
  readonly champion: boolean;
  readonly uri: string;
  /** The version loaded now; null until one is. */
  version: string | null;
  /** The share applied now (see Route.pick). */
  share: number;
  /** Set when this version was rolled back; it then gets no traffic until another version loads. */
  rolledBack: { at: string; reason: string } | null;
  /** This version's recent requests and all its rewards. */
  recent: RecentWindow;
  rewards: RewardStats;
  /** The share stored for this version at the last run, used once at start. */
  restored: number | null;
  /** Requests observed since the last guard check. */
  sinceCheck: number;
  /** The metrics of the loaded version. */
  series: VersionSeries | undefined;
}

export interface RouteDeps {
  state: RoutingState;
  log: Log;
  clock: RoutingClock;
  metrics: RouteMetrics;
}

/** Guard rails run after every this many requests of a challenger... */
const CHECK_EVERY = 20;
/** ... and the bandit's shares and the reward test after every this many rewards of the route. */
const UPDATE_EVERY = 10;
/** A bandit's shares are changed only when one moved by at least this much: every change moves users. */
const HYSTERESIS = 0.01;

/**
 * The state of one route: its variants, their shares and guard rails, and the predictions
 * that can still receive feedback. Shares change in four ways, each logged, persisted with
 * the share history and counted: at start (restored from the state file), when a variant
 * loads a new version, when the bandit's rewards move them, and on rollback.
 */
export class Route {
  readonly arms: Arm[];
  readonly champion: Arm;
  /** The hash seed: each route assigns entities independently of the others. */
  readonly seed: number;
  readonly window: FeedbackWindow;
  /** The champion's recorded entity keys: what requests are hashed by, when they send them all. */
  keyNames: string[] | undefined;
  private started = false;
  private rewardsSinceUpdate = 0;

  constructor(
    readonly spec: RouteSpec,
    private readonly deps: RouteDeps,
  ) {
    const arm = (variant: string, key: string, uri: string, champion: boolean): Arm => ({
      variant, key, uri, champion, version: null, share: champion ? 1 : 0, rolledBack: null,
      recent: new RecentWindow(), rewards: { n: 0, sum: 0, sumsq: 0 }, restored: null, sinceCheck: 0, series: undefined,
    });
    this.champion = arm("champion", spec.model, spec.model, true);
    this.arms = [this.champion, ...spec.challengers.map((c) => arm(c.variant, Route.armKey(spec.model, c.variant), c.uri, false))];
    this.seed = murmur3(spec.model);
    this.window = new FeedbackWindow(spec.feedbackWindowSeconds * 1000, spec.feedbackMax);
  }

  /** The names requests are hashed by: the champion's recorded entity keys when all were sent, else every key sent, by name. */
  keyNamesOf(entities: Record<string, unknown>): readonly string[] {
    const recorded = this.keyNames;
    if (recorded) {
      let all = true;
      for (const k of recorded) all &&= k in entities;
      if (all) return recorded;
    }
    return Object.keys(entities).sort();
  }

  /** The model pool key of a challenger: not a name a request can use (model names have no '#'). */
  static armKey(model: string, variant: string): string {
    return `${model}#${variant}`;
  }

  /**
   * The variant that answers the entity hashing to `u` in [0, 1): the shares are laid out as
   * bands in variant order (champion first), so when a share grows by d exactly a d share of
   * entities changes variant and every other entity keeps its own. A challenger not loaded
   * lends its band to the champion. A shadow route is always answered by the champion.
   */
  pick(u: number): Arm {
    if (this.spec.mode === "shadow") return this.champion;
    let upper = 0;
    for (const arm of this.arms) {
      upper += arm.share;
      if (u < upper) return arm.version === null ? this.champion : arm;
    }
    return this.champion;
  }

  /** The shadow variant when the entity at `u` is also scored by it, else undefined. */
  shadowFor(u: number): Arm | undefined {
    const shadow = this.arms[1]!;
    return this.spec.mode === "shadow" && shadow.version !== null && u < shadow.share ? shadow : undefined;
  }

  /** Records one request a variant's version answered (or failed), and runs the guard rails. */
  observe(arm: Arm, version: string, ms: number, failed: boolean): void {
    if (version !== arm.version) return this.deps.metrics.of(this.spec.model, arm.variant, version).observe(ms, failed);
    arm.series!.observe(ms, failed);
    arm.recent.push(this.deps.clock.elapsed(), ms, failed);
    // Every 20 requests, or every 4% of a fuller window: a check reads both windows (about 20 µs when full).
    if (!arm.champion && arm.rolledBack === null && ++arm.sinceCheck >= Math.max(CHECK_EVERY, arm.recent.count / 25)) {
      arm.sinceCheck = 0;
      this.check(arm);
    }
  }

  /** Records a reward in [0, 1] for a variant's version; the bandit and the reward test see it. */
  reward(arm: Arm, version: string, reward: number): void {
    this.deps.state.addReward(this.spec.model, arm.variant, version, reward);
    this.deps.metrics.of(this.spec.model, arm.variant, version).reward(reward);
    if (version !== arm.version) return;
    arm.rewards.n++;
    arm.rewards.sum += reward;
    arm.rewards.sumsq += reward * reward;
    if (++this.rewardsSinceUpdate < UPDATE_EVERY) return;
    this.rewardsSinceUpdate = 0;
    for (const a of this.arms) if (!a.champion && a.rolledBack === null && a.version !== null) this.check(a);
    if (this.spec.mode === "bandit") this.rebalance("rewards", "rewards received");
  }

  private check(arm: Arm): void {
    const reason = rollbackReason(this.spec.rollback, this.champion, arm);
    if (!reason) return;
    arm.rolledBack = { at: formatTime(this.deps.clock.now()), reason };
    this.deps.log({ level: "warn", msg: "route rollback", model: this.spec.model, variant: arm.variant, version: arm.version, reason });
    this.rebalance("rollback", `${arm.variant} version ${arm.version} rolled back: ${reason}`, arm);
  }

  /** The pool loaded a version into one of this route's slots (the model pool's listener). */
  loaded(arm: Arm, model: ServedModel): void {
    const previous = arm.version;
    arm.version = model.version;
    arm.series = this.deps.metrics.of(this.spec.model, arm.variant, model.version);
    if (arm.champion) this.keyNames = model.entityKeys;
    const record = this.deps.state.arm(this.spec.model, arm.variant, model.version);
    arm.rewards = record.rewards;
    arm.rolledBack = record.rolledBack;
    arm.restored = record.share;
    arm.recent = new RecentWindow();
    arm.sinceCheck = 0;
    if (this.started) this.rebalance("loaded", `${arm.variant} version ${model.version} loaded${previous ? ` (was ${previous})` : ""}`);
  }

  /** Applies the first shares, after the first load of every slot: those stored at the last run when they fit. */
  start(): void {
    for (const arm of this.arms) arm.share = arm.restored ?? (arm.champion ? 1 : 0);
    this.rebalance("start", "server started");
    this.started = true;
  }

  /** The shares the route should have now. */
  private target(kind: string): number[] {
    const active = this.arms.map((a) => a.champion || (a.version !== null && a.rolledBack === null));
    const { mode, share, minShare } = this.spec;
    if (mode !== "bandit") {
      const challenger = active[1] ? share : 0;
      return [mode === "shadow" ? 1 : 1 - challenger, challenger];
    }
    const live = this.arms.filter((_, i) => active[i]);
    const stored = live.map((a) => a.restored);
    if (kind === "start" && stored.every((s) => s !== null) && Math.abs(stored.reduce((a, b) => a! + b!, 0)! - 1) < 1e-6) {
      return this.arms.map((a, i) => (active[i] ? a.restored! : 0));
    }
    const shares = banditShares(live.map((a) => posterior(a.rewards.n, a.rewards.sum)), live.length > 1 ? minShare : 0);
    let next = 0;
    return active.map((on) => (on ? shares[next++]! : 0));
  }

  /** Moves the shares to the target; logs, persists and counts every change. */
  private rebalance(kind: string, reason: string, rolledBack?: Arm): void {
    const target = this.target(kind);
    const moved = this.arms.map((a, i) => Math.abs(target[i]! - a.share));
    if (Math.max(...moved) <= 1e-9 && !rolledBack) return;
    if (kind === "rewards" && Math.max(...moved) < HYSTERESIS) return;
    const at = formatTime(this.deps.clock.now());
    const changes: ShareChange[] = [];
    this.arms.forEach((arm, i) => {
      if (moved[i]! <= 1e-9 && arm !== rolledBack) return;
      const change = { at, model: this.spec.model, variant: arm.variant, version: arm.version ?? "", previous: arm.share, share: target[i]!, reason };
      arm.share = target[i]!;
      changes.push(change);
      this.deps.metrics.shareChanged(this.spec.model, arm.variant, kind);
      this.deps.log({ level: kind === "rollback" ? "warn" : "info", msg: "route share changed", ...change });
    });
    this.deps.state.recordShares(
      changes.filter((c) => c.version !== ""),
      rolledBack && { variant: rolledBack.variant, version: rolledBack.version!, at: rolledBack.rolledBack!.at, reason: rolledBack.rolledBack!.reason },
    );
  }
}
