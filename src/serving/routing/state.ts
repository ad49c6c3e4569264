import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { RewardStats } from "./guard.js";

/** What is remembered of one version of one variant of a route. */
export interface ArmRecord {
  rewards: RewardStats;
  /** The share last applied, or null when none was. */
  share: number | null;
  rolledBack: { at: string; reason: string } | null;
}

/** One change of a variant's share, as logged and kept in the history. */
export interface ShareChange {
  /** ISO-8601 UTC. */
  at: string;
  model: string;
  variant: string;
  version: string;
  previous: number | null;
  share: number;
  reason: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS arms (
  model TEXT NOT NULL, variant TEXT NOT NULL, version TEXT NOT NULL,
  rewards INTEGER NOT NULL DEFAULT 0, reward_sum REAL NOT NULL DEFAULT 0, reward_sumsq REAL NOT NULL DEFAULT 0,
  share REAL, rolled_back_at TEXT, rolled_back_reason TEXT,
  PRIMARY KEY (model, variant, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS share_changes (
  id INTEGER PRIMARY KEY, at TEXT NOT NULL, model TEXT NOT NULL, variant TEXT NOT NULL, version TEXT NOT NULL,
  previous REAL, share REAL NOT NULL, reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS share_changes_model ON share_changes (model, id);
`;

/**
 * The routing state that survives a restart, in one SQLite file (WAL) beside the online store:
 * per (route, variant, version) the reward statistics, the share last applied and a rollback;
 * and the history of share changes. Rewards are added with `x = x + ?` in SQL, never read,
 * changed and written back, so two servers sharing the file lose no reward. Every write is
 * one transaction.
 */
export class RoutingState {
  private readonly db: BetterSqlite3.Database;
  private readonly statements: ReturnType<RoutingState["prepare"]>;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    const SQLite = createRequire(import.meta.url)("better-sqlite3") as typeof BetterSqlite3;
    this.db = new SQLite(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 10000");
    this.db.exec(SCHEMA);
    this.statements = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      arm: db.prepare<[string, string, string], { rewards: number; reward_sum: number; reward_sumsq: number; share: number | null; rolled_back_at: string | null; rolled_back_reason: string | null }>(
        "SELECT rewards, reward_sum, reward_sumsq, share, rolled_back_at, rolled_back_reason FROM arms WHERE model = ? AND variant = ? AND version = ?",
      ),
      reward: db.prepare<[string, string, string, number, number]>(
        `INSERT INTO arms (model, variant, version, rewards, reward_sum, reward_sumsq) VALUES (?, ?, ?, 1, ?, ?)
         ON CONFLICT (model, variant, version) DO UPDATE SET rewards = rewards + 1, reward_sum = reward_sum + excluded.reward_sum, reward_sumsq = reward_sumsq + excluded.reward_sumsq`,
      ),
      share: db.prepare<[string, string, string, number, string | null, string | null]>(
        `INSERT INTO arms (model, variant, version, share, rolled_back_at, rolled_back_reason) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (model, variant, version) DO UPDATE SET share = excluded.share,
           rolled_back_at = coalesce(excluded.rolled_back_at, rolled_back_at), rolled_back_reason = coalesce(excluded.rolled_back_reason, rolled_back_reason)`,
      ),
      change: db.prepare<[string, string, string, string, number | null, number, string]>(
        "INSERT INTO share_changes (at, model, variant, version, previous, share, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
      ),
      history: db.prepare<[string, number], ShareChange>(
        "SELECT at, model, variant, version, previous, share, reason FROM (SELECT * FROM share_changes WHERE model = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
      ),
    };
  }

  /** What is stored for this version of the variant; a version never seen has no rewards, share or rollback. */
  arm(model: string, variant: string, version: string): ArmRecord {
    const row = this.statements.arm.get(model, variant, version);
    return {
      rewards: { n: row?.rewards ?? 0, sum: row?.reward_sum ?? 0, sumsq: row?.reward_sumsq ?? 0 },
      share: row?.share ?? null,
      rolledBack: row?.rolled_back_at ? { at: row.rolled_back_at, reason: row.rolled_back_reason ?? "" } : null,
    };
  }

  addReward(model: string, variant: string, version: string, reward: number): void {
    this.statements.reward.run(model, variant, version, reward, reward * reward);
  }

  /** Applies share changes (and a rollback, which stays recorded for that version) in one transaction. */
  recordShares(changes: ShareChange[], rollback?: { variant: string; version: string; at: string; reason: string }): void {
    this.db.transaction(() => {
      for (const c of changes) {
        const rolled = rollback && rollback.variant === c.variant && rollback.version === c.version ? rollback : undefined;
        this.statements.share.run(c.model, c.variant, c.version, c.share, rolled?.at ?? null, rolled?.reason ?? null);
        this.statements.change.run(c.at, c.model, c.variant, c.version, c.previous, c.share, c.reason);
      }
    })();
  }

  /** The route's last `limit` share changes, oldest first. */
  history(model: string, limit = 100): ShareChange[] {
    return this.statements.history.all(model, limit);
  }

  close(): void {
    this.db.close();
  }
}
