import { MlfError } from "../../errors.js";
import { asCategorical, distinctInBoth, type Sample } from "../sample.js";
import { chiSquareTest, zTest } from "./categorical.js";
import { binnedShares, jensenShannonDistance, normedWasserstein, populationStabilityIndex } from "./distances.js";
import { ksTest } from "./ks.js";

/**
 * The drift tests by name, as Evidently registers them (`legacy/calculations/stattests/`):
 * what they accept, their default threshold, and which side of it is drift. p-value tests
 * drift below the threshold, distances at or above it.
 */
export interface StatTest {
  /** Evidently's display name. */
  title: string;
  /** Feature kinds a user may apply it to. */
  kinds: readonly Sample["kind"][];
  threshold: number;
  /** Whether `score` means drift at `threshold`. */
  drifted(score: number, threshold: number): boolean;
  /** The score of the current sample against the reference. */
  score(reference: Sample, current: Sample): number;
}

const numerical = (s: Sample) => {
  if (s.kind !== "numerical") throw new Error("a numerical test got a categorical sample");
  return s;
};

export const statTests = {
  ks: {
    title: "K-S p_value",
    kinds: ["numerical"],
    threshold: 0.05,
    drifted: (p, t) => p <= t,
    score: (r, c) => ksTest(numerical(r), numerical(c)).pValue,
  },
  wasserstein: {
    title: "Wasserstein distance (normed)",
    kinds: ["numerical"],
    threshold: 0.1,
    drifted: (d, t) => d >= t,
    score: (r, c) => normedWasserstein(numerical(r), numerical(c)),
  },
  chisquare: {
    title: "chi-square p_value",
    kinds: ["categorical"],
    threshold: 0.05,
    drifted: (p, t) => p < t,
    score: (r, c) => chiSquareTest(r, c).pValue,
  },
  z: {
    title: "Z-test p_value",
    kinds: ["categorical"],
    threshold: 0.05,
    drifted: (p, t) => p < t,
    score: (r, c) => zTest(r, c).pValue,
  },
  jensenshannon: {
    title: "Jensen-Shannon distance",
    kinds: ["numerical", "categorical"],
    threshold: 0.1,
    drifted: (d, t) => d >= t,
    score: (r, c) => {
      const shares = binnedShares(r, c);
      return jensenShannonDistance(shares.reference, shares.current);
    },
  },
  psi: {
    title: "PSI",
    kinds: ["numerical", "categorical"],
    threshold: 0.1,
    drifted: (d, t) => d >= t,
    score: (r, c) => {
      const shares = binnedShares(r, c);
      return populationStabilityIndex(shares.reference, shares.current);
    },
  },
} satisfies Record<string, StatTest>;

export type StatTestName = keyof typeof statTests;

export function isStatTestName(name: string): name is StatTestName {
  return Object.hasOwn(statTests, name);
}

/**
 * Evidently's default test (`_get_default_stattest`), from the reference size n and the number
 * u of distinct values in both samples: up to 1000 reference rows, KS for numbers with u > 5,
 * else chi-square (u > 2) or Z (u <= 2); above 1000, Wasserstein for numbers with u > 5, else
 * Jensen-Shannon.
 */
function defaultTest(reference: Sample, current: Sample): StatTestName {
  const u = distinctInBoth(reference, current);
  const numeric = reference.kind === "numerical" && u > 5;
  if (reference.n <= 1000) return numeric ? "ks" : u > 2 ? "chisquare" : "z";
  return numeric ? "wasserstein" : "jensenshannon";
}

/** The outcome of one test on one feature. */
export interface TestOutcome {
  test: StatTestName;
  title: string;
  score: number;
  threshold: number;
  drifted: boolean;
}

/**
 * Runs `name` (default: Evidently's choice) on the two samples. A test named for a kind it
 * does not accept is a usage error; the tests Evidently picks for numbers with few values
 * (chi-square, Z) see those numbers as categories.
 */
export function runTest(reference: Sample, current: Sample, options: { test?: StatTestName; threshold?: number; feature?: string } = {}): TestOutcome {
  const name = options.test ?? defaultTest(reference, current);
  const test: StatTest = statTests[name];
  if (options.test !== undefined && !test.kinds.includes(reference.kind)) {
    throw new MlfError("usage", `The ${name} test does not apply to ${reference.kind} feature "${options.feature ?? "?"}"; use one of ${testsFor(reference.kind).join(", ")}.`);
  }
  const categorical = name === "chisquare" || name === "z";
  const score = categorical ? test.score(asCategorical(reference), asCategorical(current)) : test.score(reference, current);
  const threshold = options.threshold ?? test.threshold;
  return { test: name, title: test.title, score, threshold, drifted: test.drifted(score, threshold) };
}

/** The tests a feature of this kind accepts. */
function testsFor(kind: Sample["kind"]): StatTestName[] {
  return (Object.keys(statTests) as StatTestName[]).filter((n) => (statTests[n].kinds as readonly string[]).includes(kind));
}
