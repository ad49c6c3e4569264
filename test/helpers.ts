import { mkdtempSync, rmSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { MlfError } from "../src/errors.js";

/** The repository root (tests run from dist/test/...). */
export const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const MLF = join(ROOT, "bin", "mlf");
/**
 * The checked-in reference data (test/fixtures/, see its README): `models/` (the reference
 * model), `mlruns-iris/` (MLflow's own store) and each area's fixtures. Tests read only files
 * inside the repository, so a fresh clone passes on its own.
 */
export const SHARED = join(ROOT, "test", "fixtures");
/** The reference model: scikit-learn's breast-cancer logistic regression in ONNX (see test/fixtures/models). */
export const REFERENCE_MODEL = join(SHARED, "models", "breast_cancer_logreg.onnx");
/** What scikit-learn predicted for 30 rows of the reference model's input (`rows`, `proba_1`, `label`). */
export const REFERENCE_EXPECTED = join(SHARED, "models", "breast_cancer_logreg.expected.json");
/** A real MLflow 2.x file store (13 runs, one registered model); copy it before writing to it. */
export const MLRUNS_IRIS = join(SHARED, "mlruns-iris");

/** An assert.throws/rejects matcher: an MlfError with this code (and message pattern). */
export const mlfErrorWith = (code: string, pattern?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof MlfError, String(error));
  assert.equal(error.code, code, error.message);
  if (pattern) assert.match(error.message, pattern);
  return true;
};

/** A fresh temp folder, removed when the test ends. */
export function tempDir(t: { after(fn: () => void): void }, prefix = "mlf-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Copies a folder into a temp dir (fixtures are never modified in place). */
export function copyToTemp(t: { after(fn: () => void): void }, from: string): string {
  const dir = tempDir(t);
  cpSync(from, dir, { recursive: true });
  return dir;
}

export interface MlfRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws if it is not). */
  json<T = unknown>(): T;
}

/** Runs bin/mlf as a user would, with TZ pinned to UTC and no colours. */
export function mlf(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): MlfRun {
  // FORCE_COLOR (set by some CI systems) would win over NO_COLOR.
  const { FORCE_COLOR: _forced, ...inherited } = process.env;
  const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [MLF, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...inherited, TZ: "UTC", NO_COLOR: "1", ...options.env },
    encoding: "utf8",
    input: options.input ?? "",
    timeout: 120_000,
  });
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    json: <T>() => JSON.parse(result.stdout) as T,
  };
}
