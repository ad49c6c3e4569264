import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type Database from "better-sqlite3";
import { ident } from "../../util/sql.js";
import type { SqliteOnlineStoreConfig } from "../../repo/types.js";
import type { OnlineRow, OnlineStore, OnlineStoreOptions, OnlineTableSpec, OnlineWriteResult, ReadRequest, StoredRow } from "../store.js";
import { CATALOG, NO_KEY } from "./layout.js";
import { SqliteReader } from "./read.js";
import { writeRows } from "./write.js";

/**
 * better-sqlite3 is loaded with require() and told where its addon is: an ESM import of this
 * CommonJS package makes Node lex its sources for named exports, and without a path its
 * `bindings` helper probes a dozen candidate files. Together that was about a tenth of a
 * `mlf get-online` run. A build elsewhere (a debug build) falls back to the probing.
 */
const require = createRequire(import.meta.url);
const SQLite = require("better-sqlite3") as typeof Database;
const ADDON = join(dirname(require.resolve("better-sqlite3")), "..", "build", "Release", "better_sqlite3.node");
const sqliteOptions: Database.Options = existsSync(ADDON) ? { nativeBinding: ADDON } : {};

/** SQLite column affinity for key and feature types. */
const sqliteTypes: Record<string, string> = {
  int32: "INTEGER", int64: "INTEGER", bool: "INTEGER", unix_timestamp: "INTEGER",
  float32: "REAL", float64: "REAL", string: "TEXT", bytes: "BLOB",
};

/** Rows from which a write checkpoints the WAL at once (see write). */
const CHECKPOINT_AFTER_ROWS = 10_000;

/**
 * The SQLite online store: one WAL database file, one WITHOUT ROWID table per view whose
 * primary key is the view's join key, so reading one entity's features is one index lookup.
 * `__mlf_tables` records each table's layout so a changed schema is detected and migrated.
 */
export class SqliteOnlineStore implements OnlineStore {
  readonly db: Database.Database;
  private readonly reader: SqliteReader;

  constructor(
    readonly project: string,
    config: SqliteOnlineStoreConfig,
    options: OnlineStoreOptions = {},
  ) {
    mkdirSync(dirname(config.path), { recursive: true });
    this.db = new SQLite(config.path, sqliteOptions);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 10000");
    // Bounds the WAL file left after a checkpoint that readers kept from truncating.
    this.db.pragma("journal_size_limit = 67108864");
    this.db.exec(`CREATE TABLE IF NOT EXISTS ${CATALOG} (view TEXT PRIMARY KEY, table_name TEXT NOT NULL, layout TEXT NOT NULL, newest_event_ts INTEGER)`);
    this.addNewestColumn();
    this.reader = new SqliteReader(this.db, (view) => this.tableName(view), options.shareTurnSnapshots === true);
  }

  /**
   * Stores written before the catalogue kept the newest event time get the column, filled
   * once from the rows (the only scan; later writes keep it). One transaction, so concurrent
   * openers cannot both add it.
   */
  private addNewestColumn(): void {
    const has = () => (this.db.pragma(`table_info(${CATALOG})`) as { name: string }[]).some((c) => c.name === "newest_event_ts");
    if (has()) return;
    this.db.transaction(() => {
      if (has()) return;
      this.db.exec(`ALTER TABLE ${CATALOG} ADD COLUMN newest_event_ts INTEGER`);
      const tables = this.db.prepare<[], { view: string; table_name: string }>(`SELECT view, table_name FROM ${CATALOG}`).all();
      const set = this.db.prepare(`UPDATE ${CATALOG} SET newest_event_ts = ? WHERE view = ?`);
      for (const t of tables) {
        const row = this.db.prepare<[], { newest: number | null }>(`SELECT MAX(__event_ts) AS newest FROM ${ident(t.table_name)}`).get();
        set.run(row?.newest ?? null, t.view);
      }
    }).immediate();
  }

  tableName(view: string): string {
    return `${this.project}__${view}`;
  }

  async ensureTables(specs: OnlineTableSpec[]): Promise<{ created: string[]; recreated: string[] }> {
    this.reader.settle();
    const created: string[] = [];
    const recreated: string[] = [];
    const layoutOf = this.db.prepare<[string], { layout: string }>(`SELECT layout FROM ${CATALOG} WHERE view = ?`);
    // Replacing the catalogue row also resets its newest event time: the new table is empty.
    const record = this.db.prepare(`INSERT OR REPLACE INTO ${CATALOG} (view, table_name, layout) VALUES (?, ?, ?)`);
    this.db.transaction(() => {
      for (const spec of specs) {
        const layout = JSON.stringify({ keys: spec.keys, features: spec.features });
        const current = layoutOf.get(spec.view)?.layout;
        if (current === layout) continue;
        const table = ident(this.tableName(spec.view));
        if (current !== undefined) recreated.push(spec.view);
        else created.push(spec.view);
        this.db.exec(`DROP TABLE IF EXISTS ${table}`);
        const keys = spec.keys.length > 0 ? spec.keys : [{ name: NO_KEY, type: "int64" as const }];
        const columns = [
          ...keys.map((k) => `${ident(k.name)} ${sqliteTypes[k.type]} NOT NULL`),
          ...spec.features.map((f) => `${ident(f.name)} ${sqliteTypes[f.dtype]}`),
          "__event_ts INTEGER NOT NULL",
          "__created_ts INTEGER",
        ];
        this.db.exec(`CREATE TABLE ${table} (${columns.join(", ")}, PRIMARY KEY (${keys.map((k) => ident(k.name)).join(", ")})) WITHOUT ROWID`);
        record.run(spec.view, this.tableName(spec.view), layout);
      }
      // IMMEDIATE: a deferred transaction that read the catalogue while a materialization was
      // writing could not upgrade once that one committed (SQLITE_BUSY_SNAPSHOT, no retry).
    }).immediate();
    this.reader.forget();
    return { created, recreated };
  }

  async dropTables(views: string[]): Promise<void> {
    this.reader.settle();
    const forget = this.db.prepare(`DELETE FROM ${CATALOG} WHERE view = ?`);
    this.db.transaction(() => {
      for (const view of views) {
        this.db.exec(`DROP TABLE IF EXISTS ${ident(this.tableName(view))}`);
        forget.run(view);
      }
    }).immediate();
    this.reader.forget();
  }

  async teardown(): Promise<void> {
    const views = this.db.prepare<[], { view: string }>(`SELECT view FROM ${CATALOG}`).all().map((r) => r.view);
    await this.dropTables(views);
  }

  async write(spec: OnlineTableSpec, batches: Iterable<OnlineRow[]> | AsyncIterable<OnlineRow[]>): Promise<OnlineWriteResult> {
    // Never inside the reads' shared snapshot: it may be stale, and it commits a turn later.
    this.reader.settle();
    const result = await writeRows(this.db, this.tableName(spec.view), spec, batches);
    // A large write (a materialization) checkpoints and truncates the WAL it grew, so the file
    // cannot grow without bound while a long-lived server keeps reading; small writes (pushes)
    // leave it to SQLite's automatic checkpoint rather than paying a sync per request.
    if (result.rows >= CHECKPOINT_AFTER_ROWS) this.db.pragma("wal_checkpoint(TRUNCATE)");
    return result;
  }

  async read(requests: ReadRequest[]): Promise<(StoredRow | undefined)[][]> {
    return this.reader.read(requests);
  }

  async newestEventTimes(views: string[]): Promise<(number | undefined)[]> {
    const newest = this.db.prepare<[string], { ts: number | null }>(`SELECT newest_event_ts AS ts FROM ${CATALOG} WHERE view = ?`);
    return views.map((view) => newest.get(view)?.ts ?? undefined);
  }

  async close(): Promise<void> {
    this.reader.settle();
    this.db.close();
  }
}
