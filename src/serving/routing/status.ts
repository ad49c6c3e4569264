import type { ModelPool } from "../model-pool.js";
import type { Route } from "./route.js";
import type { RoutingState } from "./state.js";

/**
 * What /routes, /models and `mlf serve --json` show of a route: its variants (each with the
 * pool's view of its model), shares, guard rails, feedback window and the last
 * `historyLimit` share changes.
 */
export function routeStatus(route: Route, pool: ModelPool, state: RoutingState, historyLimit: number) {
  const { spec } = route;
  return {
    model: spec.model,
    mode: spec.mode,
    declared: spec.origin,
    ...(spec.mode === "bandit" ? { min_share: spec.minShare } : { share: spec.share }),
    variants: route.arms.map((arm) => {
      const loaded = arm.champion ? pool.status().find((m) => m.name === spec.model)! : pool.armStatus(arm.key);
      return {
        variant: arm.variant,
        uri: arm.champion ? loaded.uri : arm.uri,
        version: arm.version,
        share: arm.share,
        rolled_back: arm.rolledBack,
        recent: { requests: arm.recent.count, error_rate: arm.recent.errorRate(), latency_p99_ms: arm.recent.p99() },
        rewards: { count: arm.rewards.n, mean: arm.rewards.n === 0 ? null : arm.rewards.sum / arm.rewards.n },
        last_error: loaded.last_error,
      };
    }),
    rollback: { error_rate: spec.rollback.errorRate, latency_p99: spec.rollback.latencyP99, latency_floor_ms: spec.rollback.latencyFloorMs, reward_alpha: spec.rollback.rewardAlpha, min_requests: spec.rollback.minRequests },
    feedback: { window_seconds: spec.feedbackWindowSeconds, max: spec.feedbackMax, remembered: route.window.size },
    history: state.history(spec.model, historyLimit),
  };
}
