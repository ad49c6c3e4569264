import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ident } from "../../offline/sql.js";
import type { SqliteOnlineStoreConfig } from "../../repo/types.js";
import type { OnlineRow, OnlineStore, OnlineStoreOptions, OnlineTableSpec, OnlineWriteResult, ReadRequest, StoredRow } from "../store.js";
import { NO_KEY } from "./layout.js";
import { SqliteReader } from "./read.js";
import { writeRows } from "./write.js";

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
    this.db = new Database(config.path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 10000");
    // Bounds the WAL file left after a checkpoint that readers kept from truncating.
    this.db.pragma("journal_size_limit = 67108864");
    this.db.exec("CREATE TABLE IF NOT EXISTS __mlf_tables (view TEXT PRIMARY KEY, table_name TEXT NOT NULL, layout TEXT NOT NULL)");
    this.reader = new SqliteReader(this.db, (view) => this.tableName(view), options.shareTurnSnapshots === true);
  }

  tableName(view: string): string {
    return `${this.project}__${view}`;
  }

  async ensureTables(specs: OnlineTableSpec[]): Promise<{ created: string[]; recreated: string[] }> {
    this.reader.settle();
    const created: string[] = [];
    const recreated: string[] = [];
    const layoutOf = this.db.prepare<[string], { layout: string }>("SELECT layout FROM __mlf_tables WHERE view = ?");
    const record = this.db.prepare("INSERT OR REPLACE INTO __mlf_tables (view, table_name, layout) VALUES (?, ?, ?)");
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
    })();
    this.reader.forget();
    return { created, recreated };
  }

  async dropTables(views: string[]): Promise<void> {
    this.reader.settle();
    const forget = this.db.prepare("DELETE FROM __mlf_tables WHERE view = ?");
    this.db.transaction(() => {
      for (const view of views) {
        this.db.exec(`DROP TABLE IF EXISTS ${ident(this.tableName(view))}`);
        forget.run(view);
      }
    })();
    this.reader.forget();
  }

  async teardown(): Promise<void> {
    const views = this.db.prepare<[], { view: string }>("SELECT view FROM __mlf_tables").all().map((r) => r.view);
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

  async close(): Promise<void> {
    this.reader.settle();
    this.db.close();
  }
}
