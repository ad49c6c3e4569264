import { statSync } from "node:fs";
import { readRegistry, type RegistryFile } from "./registry.js";

/**
 * Follows the feature registry file that `mlf apply` and `mlf materialize` rewrite (by atomic
 * rename, from any process): `poll` re-reads it only when its mtime, size or inode changed,
 * which a rename always changes (a new inode), so a long-lived reader (FeatureStore, the
 * server) pays one stat per poll. Used by both, so both pick up changes the same way.
 */
export class FeatureRegistryWatcher {
  private key: string | undefined;
  private last: RegistryFile | undefined;

  constructor(readonly path: string) {}

  /**
   * The registry as of now (undefined when there is no file yet), and whether it was re-read
   * by this call. A file that cannot be parsed throws, and is tried again on the next poll.
   */
  poll(): { registry: RegistryFile | undefined; changed: boolean } {
    const s = statSync(this.path, { throwIfNoEntry: false });
    const key = s ? `${s.mtimeMs}:${s.size}:${s.ino}` : "none";
    if (key === this.key) return { registry: this.last, changed: false };
    this.last = s ? readRegistry(this.path) : undefined;
    this.key = key;
    return { registry: this.last, changed: true };
  }
}
