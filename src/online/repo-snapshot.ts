import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { MlfError } from "../errors.js";
import type { Repo } from "../repo/repo.js";
import type { RepoConfig } from "../repo/types.js";

const CONFIG_FILE = "feature_store.yaml";
/** A cache of the parsed config, in a dot-folder the definition loader skips. */
const SNAPSHOT = join(".mlf", "config.json");

interface Snapshot {
  root: string;
  /** The full text of feature_store.yaml the config was parsed from. */
  text: string;
  config: RepoConfig;
}

/** Same search order as the repo loader's findRepoRoot: explicit dir, MLF_REPO, nearest ancestor. */
function findRoot(dir: string | undefined, env: NodeJS.ProcessEnv): string {
  const explicit = dir ?? env.MLF_REPO;
  if (explicit) return resolve(explicit);
  for (let d = resolve(process.cwd()); ; d = dirname(d)) {
    if (existsSync(join(d, CONFIG_FILE))) return d;
    if (dirname(d) === d) return resolve(process.cwd());
  }
}

/**
 * Opens a repository like `openRepo`, but for the hot read path (`mlf get-online`): parsing
 * feature_store.yaml needs the yaml and schema libraries, whose loading alone costs more than
 * a bare node start. The parsed config is kept in `.mlf/config.json` with the root and the
 * file's text it came from, so the next run only compares a few hundred bytes; any edit of the
 * file, or a moved repository, misses and parses again. Failing to write the cache (a
 * read-only repository) only costs speed. Errors are those of openRepo.
 */
export async function openRepoForReads(dir?: string, env: NodeJS.ProcessEnv = process.env): Promise<Repo> {
  const root = findRoot(dir, env);
  let text: string | undefined;
  try {
    text = readFileSync(join(root, CONFIG_FILE), "utf8");
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    try {
      const snapshot = JSON.parse(readFileSync(join(root, SNAPSHOT), "utf8")) as Snapshot;
      if (snapshot.root === root && snapshot.text === text) return { root, config: snapshot.config };
    } catch {
      // No snapshot yet, or a torn one: parse below.
    }
    const { openRepo } = await import("../repo/repo.js");
    const { writeFileAtomic } = await import("../util/fs.js");
    const repo = openRepo(root, env);
    try {
      writeFileAtomic(join(root, SNAPSHOT), JSON.stringify({ root, text, config: repo.config } satisfies Snapshot));
    } catch {
      // Best effort: see above.
    }
    return repo;
  }
  const { openRepo } = await import("../repo/repo.js");
  try {
    return openRepo(dir, env);
  } catch (error) {
    if (error instanceof MlfError) throw error;
    throw new MlfError("file_not_found", `No ${CONFIG_FILE} in ${root}; pass the folder of a feature repository.`);
  }
}
