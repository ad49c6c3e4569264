import { basename, extname } from "node:path";
import { MlfError, type Problem } from "../../errors.js";
import { parseModelUri } from "../../models/uri.js";
import type { RouteYaml } from "../../repo/schema.js";
import { parseDurationSeconds } from "../../util/time.js";

const routeModes = ["canary", "shadow", "bandit"] as const;
export type RouteMode = (typeof routeModes)[number];

/** When a challenger is rolled back to 0% (every test compares it with the champion). */
export interface RollbackRules {
  /** Its error rate exceeds the champion's by more than this (absolute: 0.02 = 2 points). */
  errorRate: number;
  /** Its latency p99 exceeds the champion's by more than this fraction (0.5 = 50%) ... */
  latencyP99: number;
  /** ... and by more than this many milliseconds (sub-millisecond noise is not a regression). */
  latencyFloorMs: number;
  /** Significance level of the sequential reward test (mSPRT); null: rewards never roll back. */
  rewardAlpha: number | null;
  /** Requests each side needs in its recent window before error rates and p99s are compared. */
  minRequests: number;
}

export interface Challenger {
  /** The variant's name in answers, metrics and /routes: the alias, `v<N>`, stage or file name. */
  variant: string;
  /** The model reference, re-resolved on every poll like `--model`. */
  uri: string;
}

/**
 * A route of one served model: how its requests are shared between the served model (the
 * champion, variant "champion") and its challengers.
 */
export interface RouteSpec {
  /** The served model's name (the `model` of /predict requests). */
  model: string;
  mode: RouteMode;
  challengers: Challenger[];
  /** canary: the share of entities the challenger answers; shadow: the share of requests it also scores. */
  share: number;
  /** bandit: the least share each variant keeps while it is not rolled back (exploration). */
  minShare: number;
  /** How long a prediction can receive feedback, in seconds... */
  feedbackWindowSeconds: number;
  /** ... and how many of the route's latest predictions are remembered for it. */
  feedbackMax: number;
  rollback: RollbackRules;
  /** Where the route was declared, for messages: `--route churn:...` or `feature_store.yaml:12`. */
  origin: string;
}

const defaults = {
  shadowShare: 1,
  minShare: 0.05,
  feedbackWindowSeconds: 3600,
  feedbackMax: 100_000,
  rollback: { errorRate: 0.02, latencyP99: 0.5, latencyFloorMs: 1, rewardAlpha: 0.05, minRequests: 100 } satisfies RollbackRules,
};

/** `"5%"` -> 0.05; numbers are already fractions. */
function percent(value: string | number): number {
  return typeof value === "number" ? value : Number(value.slice(0, -1)) / 100;
}

/** Variant names from the references: `churn@challenger` -> challenger, `churn/3` -> v3, a file -> its name; repeats get -2, -3. */
function variantsOf(uris: string[], cwd: string): Challenger[] {
  const taken = new Set(["champion"]);
  return uris.map((uri) => {
    const parsed = parseModelUri(uri, { cwd });
    let base: string;
    if (parsed.kind === "file") base = basename(parsed.path, extname(parsed.path));
    else {
      const s = parsed.selector;
      base = s.type === "alias" ? s.alias : s.type === "version" ? `v${s.version}` : s.type === "stage" ? s.stage.toLowerCase() : "latest";
    }
    let variant = base;
    for (let n = 2; taken.has(variant); n++) variant = `${base}-${n}`;
    taken.add(variant);
    // A file is named absolutely: a route from feature_store.yaml reads it relative to the repository.
    return { variant, uri: parsed.kind === "file" ? parsed.path : uri };
  });
}

/** Mode-specific checks shared by both ways of declaring a route; each problem as `[key, message, hint]`. */
function modeProblems(mode: RouteMode, challengers: number, keys: { share?: unknown; min_share?: unknown }, share: number, minShare: number): [string, string, string][] {
  const problems: [string, string, string][] = [];
  if (mode !== "bandit" && challengers !== 1) problems.push(["challenger", `a ${mode} route has one challenger, not ${challengers}`, "list one model reference, or use mode bandit"]);
  if (mode === "canary" && keys.share === undefined) problems.push(["share", "a canary route needs the challenger's share", 'give it one: "share: 5%" in feature_store.yaml, ":5%" after the reference in --route']);
  if (mode === "bandit" && keys.share !== undefined) problems.push(["share", "a bandit learns its shares", "remove share; set min_share for the exploration floor"]);
  if (mode !== "bandit" && keys.min_share !== undefined) problems.push(["min_share", `min_share is for bandit routes, not ${mode}`, "remove it"]);
  if (share > 1) problems.push(["share", `share ${share * 100}% is over 100%`, "use a share from 0% to 100%"]);
  if (mode === "bandit" && minShare * (challengers + 1) > 1) problems.push(["min_share", `min_share ${minShare * 100}% for ${challengers + 1} variants adds up to more than 100%`, `use at most ${Math.floor(10000 / (challengers + 1)) / 100}%`]);
  return problems;
}

/**
 * `mlf serve --route MODEL:MODE=REF[,REF...][:SHARE]`: `churn:canary=churn@challenger:5%`,
 * `churn:shadow=churn@challenger`, `churn:bandit=churn@a,churn@b:10%`. SHARE is the canary's
 * share, the share of requests a shadow scores (default 100%) or a bandit's min_share
 * (default 5%). The rollback rules take their defaults; feature_store.yaml can set them.
 */
export function parseRouteFlag(text: string, cwd = process.cwd()): RouteSpec {
  const fix = 'write MODEL:MODE=REF[:SHARE], e.g. --route churn:canary=churn@challenger:5%';
  const m = /^([^:=]+):([a-z]+)=(.+?)(?::(\d+(?:\.\d+)?)%)?$/.exec(text);
  if (!m) throw new MlfError("usage", `--route "${text}" is not a route; ${fix}.`);
  const [, model, mode, refs, share] = m;
  if (!(routeModes as readonly string[]).includes(mode!)) throw new MlfError("usage", `--route "${text}": "${mode}" is not a mode; use canary, shadow or bandit.`);
  const challengers = variantsOf(refs!.split(",").map((r) => r.trim()), cwd);
  const given = share === undefined ? undefined : Number(share) / 100;
  const spec: RouteSpec = {
    model: model!,
    mode: mode as RouteMode,
    challengers,
    share: mode === "shadow" ? (given ?? defaults.shadowShare) : mode === "canary" ? (given ?? 0) : 0,
    minShare: mode === "bandit" ? (given ?? defaults.minShare) : 0,
    feedbackWindowSeconds: defaults.feedbackWindowSeconds,
    feedbackMax: defaults.feedbackMax,
    rollback: { ...defaults.rollback },
    origin: `--route ${text}`,
  };
  const keys = mode === "bandit" ? { ...(given !== undefined && { min_share: given }) } : { ...(given !== undefined && { share: given }) };
  const problem = modeProblems(spec.mode, challengers.length, keys, spec.share, spec.minShare)[0];
  if (problem) throw new MlfError("usage", `--route "${text}": ${problem[1]}; ${problem[2]}.`);
  return spec;
}

/** Where a key of the routes block is written (YamlSource.lineOf), for problems. */
export type LineOf = (path: (string | number)[]) => number | undefined;

/**
 * feature_store.yaml's `routes:` block (its shape already checked by the repository schema)
 * as route specs, or every problem with its line. Model references are checked for syntax
 * here; whether they resolve is the model pool's business, as for `--model`.
 */
export function routesFromYaml(block: Record<string, RouteYaml>, file: string, lineOf: LineOf, cwd: string): { routes: RouteSpec[]; problems: Problem[] } {
  const routes: RouteSpec[] = [];
  const problems: Problem[] = [];
  for (const [model, y] of Object.entries(block)) {
    const at = (key?: string) => ({ file, line: lineOf(key ? ["routes", model, key] : ["routes", model]) });
    const before = problems.length;
    const uris = typeof y.challenger === "string" ? [y.challenger] : y.challenger;
    let challengers: Challenger[] = [];
    try {
      challengers = variantsOf(uris, cwd);
    } catch (error) {
      problems.push({ ...at("challenger"), message: `route "${model}": ${(error as Error).message.replace(/\.$/, "")}`, hint: "fix the reference" });
    }
    const share = y.share === undefined ? (y.mode === "shadow" ? defaults.shadowShare : 0) : percent(y.share);
    const minShare = y.mode === "bandit" ? (y.min_share === undefined ? defaults.minShare : percent(y.min_share)) : 0;
    for (const [key, message, hint] of modeProblems(y.mode, uris.length, y, share, minShare)) problems.push({ ...at(key), message: `route "${model}": ${message}`, hint });
    const window = y.feedback_window === undefined ? defaults.feedbackWindowSeconds : parseDurationSeconds(y.feedback_window);
    if (window === undefined || window === 0) problems.push({ ...at("feedback_window"), message: `route "${model}": feedback_window ${JSON.stringify(y.feedback_window)} is not a positive duration`, hint: "write e.g. 1h, 30m or 1d" });
    const r = y.rollback ?? {};
    const errorRate = r.error_rate === undefined ? defaults.rollback.errorRate : percent(r.error_rate);
    if (errorRate > 1) problems.push({ ...at("rollback"), message: `route "${model}": rollback.error_rate ${errorRate * 100}% is over 100%`, hint: "use a margin from 0% to 100%" });
    if (problems.length > before) continue;
    routes.push({
      model,
      mode: y.mode,
      challengers,
      share,
      minShare,
      feedbackWindowSeconds: window!,
      feedbackMax: y.feedback_max ?? defaults.feedbackMax,
      rollback: {
        errorRate,
        latencyP99: r.latency_p99 === undefined ? defaults.rollback.latencyP99 : percent(r.latency_p99),
        latencyFloorMs: r.latency_floor_ms ?? defaults.rollback.latencyFloorMs,
        rewardAlpha: r.reward_alpha === false ? null : (r.reward_alpha ?? defaults.rollback.rewardAlpha),
        minRequests: r.min_requests ?? defaults.rollback.minRequests,
      },
      origin: `${file}:${at().line ?? "?"}`,
    });
  }
  return { routes, problems };
}
