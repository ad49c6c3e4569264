import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { MlfError } from "../../../src/errors.js";
import { parseConfig } from "../../../src/repo/config-parse.js";
import { repoRoutes } from "../../../src/serving/routing/repo-routes.js";
import { parseRouteFlag } from "../../../src/serving/routing/spec.js";
import { mlfErrorWith, tempDir } from "../../helpers.js";

test("--route: MODEL:MODE=REF[,REF...][:SHARE] for each mode, with defaults", () => {
  const canary = parseRouteFlag("churn:canary=churn@challenger:5%");
  assert.deepEqual([canary.model, canary.mode, canary.challengers, canary.share], ["churn", "canary", [{ variant: "challenger", uri: "churn@challenger" }], 0.05]);
  assert.deepEqual(canary.rollback, { errorRate: 0.02, latencyP99: 0.5, latencyFloorMs: 1, rewardAlpha: 0.05, minRequests: 100 });
  const shadow = parseRouteFlag("churn:shadow=models:/churn/3");
  assert.deepEqual([shadow.share, shadow.challengers[0]], [1, { variant: "v3", uri: "models:/churn/3" }]);
  const bandit = parseRouteFlag("churn:bandit=churn@a,churn/Staging,churn@a:10%");
  assert.deepEqual(bandit.challengers.map((c) => c.variant), ["a", "staging", "a-2"]);
  assert.equal(bandit.minShare, 0.1);
  assert.equal(parseRouteFlag("churn:bandit=churn@champion").challengers[0]!.variant, "champion-2", "the champion's own name is taken");
});

test("--route mistakes are usage errors naming the fix", () => {
  assert.throws(() => parseRouteFlag("churn=churn@b"), mlfErrorWith("usage", /is not a route; write MODEL:MODE=REF\[:SHARE\]/));
  assert.throws(() => parseRouteFlag("churn:blue=churn@b"), mlfErrorWith("usage", /"blue" is not a mode; use canary, shadow or bandit/));
  assert.throws(() => parseRouteFlag("churn:canary=churn@b"), mlfErrorWith("usage", /a canary route needs the challenger's share/));
  assert.throws(() => parseRouteFlag("churn:canary=churn@b,churn@c:5%"), mlfErrorWith("usage", /a canary route has one challenger, not 2/));
  assert.throws(() => parseRouteFlag("churn:canary=churn@b:150%"), mlfErrorWith("usage", /share 150% is over 100%/));
  assert.throws(() => parseRouteFlag("churn:bandit=churn@b,churn@c:40%"), mlfErrorWith("usage", /min_share 40% for 3 variants adds up to more than 100%; use at most 33\.33%/));
});

const CONFIG = "project: p\nregistry: data/registry.json\n";

function repoWith(t: { after(fn: () => void): void }, routes: string): string {
  const dir = tempDir(t);
  writeFileSync(join(dir, "feature_store.yaml"), CONFIG + routes);
  return dir;
}

test("routes: in feature_store.yaml, keyed by served model, with rollback settings", (t) => {
  const dir = repoWith(t, `routes:
  churn:
    mode: canary
    challenger: churn@challenger
    share: 10%
    feedback_window: 2h
    rollback: {error_rate: 1%, latency_p99: 200%, latency_floor_ms: 5, reward_alpha: false, min_requests: 50}
  delay:
    mode: bandit
    challenger: [delay@a, delay@b]
    min_share: 0.1
    feedback_max: 500
`);
  const [churn, delay] = repoRoutes(dir);
  assert.deepEqual([churn!.model, churn!.share, churn!.feedbackWindowSeconds, churn!.origin], ["churn", 0.1, 7200, "feature_store.yaml:4"]);
  assert.deepEqual(churn!.rollback, { errorRate: 0.01, latencyP99: 2, latencyFloorMs: 5, rewardAlpha: null, minRequests: 50 });
  assert.deepEqual([delay!.mode, delay!.minShare, delay!.feedbackMax, delay!.challengers.map((c) => c.variant)], ["bandit", 0.1, 500, ["a", "b"]]);
  assert.deepEqual(repoRoutes(repoWith(t, "")), []);
});

test("invalid routes are reported together, each at its line, and unknown keys are refused", (t) => {
  const dir = repoWith(t, `routes:
  churn:
    mode: bandit
    challenger: churn@b
    share: 5%
  delay:
    mode: shadow
    challenger: [delay@a, delay@b]
    min_share: 5%
  other:
    mode: canary
    challenger: "models:/bad name"
    share: 5%
`);
  assert.throws(() => repoRoutes(dir), (error: unknown) => {
    assert.ok(error instanceof MlfError && error.code === "invalid_definition", String(error));
    assert.deepEqual(error.problems.map((p) => `${p.file}:${p.line}: ${p.message}`), [
      "feature_store.yaml:7: route \"churn\": a bandit learns its shares",
      "feature_store.yaml:10: route \"delay\": a shadow route has one challenger, not 2",
      "feature_store.yaml:11: route \"delay\": min_share is for bandit routes, not shadow",
      "feature_store.yaml:14: route \"other\": \"models:/bad name\" is not a model URI; write models:/NAME/VERSION, models:/NAME/Production or models:/NAME@ALIAS",
    ]);
    return true;
  });
  // The repository schema itself (what plan and apply check) refuses unknown keys and wrong values.
  assert.throws(() => parseConfig(dir, `${CONFIG}routes:\n  churn:\n    mode: canary\n    challenger: churn@b\n    shares: 5%\n    rollback: {error_rate: lots}\n`), (error: unknown) => {
    assert.ok(error instanceof MlfError);
    const lines = error.problems.map((p) => `${p.line}: ${p.message}`);
    assert.ok(lines.includes("7: unknown key routes.churn.shares"), lines.join("\n"));
    assert.ok(lines.some((l) => l.startsWith("8: routes.churn.rollback.error_rate is \"lots\", expected a share")), lines.join("\n"));
    return true;
  });
});
