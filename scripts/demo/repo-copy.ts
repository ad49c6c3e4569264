import { cpSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/** What survives in `to` from one copy to the next: the derived data (prepare skips it while current). */
const KEPT_DATA = new Set(["flights.parquet", "labels.parquet", "prepared.json"]);
/** Never copied from `from`: its data, stores and runs. */
const NOT_DEFINITIONS = new Set(["data", "mlruns", ".mlf"]);

/**
 * Makes `to` a working copy of the feature repository `from`: its definitions as they are now,
 * with no feature registry, online store or tracking store yet, and the data derived in `to`
 * before kept. `npm run demo` runs in such a copy (.demo/feature_repo, git-ignored), so it shows
 * the same steps each time (registry version 1, model version 1) and never changes
 * `feature_repo/`, which the README's tour runs on.
 */
export function repoCopy(from: string, to: string): string {
  mkdirSync(join(to, "data"), { recursive: true });
  for (const entry of readdirSync(to)) if (entry !== "data") rmSync(join(to, entry), { recursive: true, force: true });
  for (const entry of readdirSync(join(to, "data"))) if (!KEPT_DATA.has(entry)) rmSync(join(to, "data", entry), { recursive: true, force: true });
  for (const entry of readdirSync(from)) if (!NOT_DEFINITIONS.has(entry)) cpSync(join(from, entry), join(to, entry), { recursive: true });
  return to;
}
