import type Database from "better-sqlite3";
import { ident } from "../../offline/sql.js";
import type { ReadRequest, StoredRow } from "../store.js";
import { keyColumns, keyParams } from "./layout.js";

type RawRow = unknown[];

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Point reads with prepared statements cached per (view, features): the first read of a
 * shape prepares `SELECT features, __event_ts, __created_ts FROM t WHERE key = ?`, every
 * later read only binds and steps it, which is one primary-key lookup in the WITHOUT ROWID
 * table. Several lookups run in one deferred read transaction, i.e. one WAL snapshot.
 *
 * With `shareTurnSnapshots` (see OnlineStoreOptions) every read of one event-loop turn joins
 * one read transaction, ended by a setImmediate. In WAL mode, starting and ending a read
 * transaction costs three system calls (two shm lock fcntls and an fstat), more than the
 * lookup itself; a loaded server answers many requests per turn and pays that once. The store
 * calls `settle` before its own writes, DDL and close, so those never run inside it.
 */
export class SqliteReader {
  private readonly statements = new Map<string, Database.Statement<unknown[], RawRow> | null>();
  /**
   * The statement last used with each features array: a caller's plan passes the same arrays
   * on every read, and comparing them is cheaper than joining them into the cache key.
   */
  private recent = new WeakMap<readonly string[], { view: string; features: string[]; statement: Database.Statement<unknown[], RawRow> }>();
  private readonly inSnapshot: (requests: ReadRequest[]) => (StoredRow | undefined)[][];
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  /** True while this reader holds the turn's shared read transaction. */
  private holding = false;

  constructor(
    private readonly db: Database.Database,
    private readonly tableName: (view: string) => string,
    private readonly shareTurnSnapshots = false,
  ) {
    this.inSnapshot = db.transaction((requests: ReadRequest[]) => requests.map((r) => this.lookup(r)));
    this.begin = db.prepare("BEGIN DEFERRED");
    this.commit = db.prepare("COMMIT");
  }

  /** Drops cached statements (after tables were created, recreated or dropped). */
  forget(): void {
    this.statements.clear();
    this.recent = new WeakMap();
  }

  read(requests: ReadRequest[]): (StoredRow | undefined)[][] {
    // Inside a transaction already (the turn's, or an asynchronous write's), reads join it.
    if (this.db.inTransaction) return requests.map((r) => this.lookup(r));
    if (this.shareTurnSnapshots) {
      this.begin.run();
      this.holding = true;
      setImmediate(this.settle);
      return requests.map((r) => this.lookup(r));
    }
    // One statement is already atomic; BEGIN/COMMIT would only add two round trips.
    const single = requests.length === 1 && requests[0]!.keys.length <= 1;
    return single ? requests.map((r) => this.lookup(r)) : this.inSnapshot(requests);
  }

  /** Ends the turn's shared read transaction if this reader holds one; a no-op otherwise. */
  readonly settle = (): void => {
    if (!this.holding) return;
    this.holding = false;
    if (this.db.open && this.db.inTransaction) this.commit.run();
  };

  private lookup(request: ReadRequest): (StoredRow | undefined)[] {
    const statement = this.statement(request);
    const n = request.features.length;
    const keys = request.keys;
    const rows = new Array<StoredRow | undefined>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const raw = statement?.get(keyParams(request.spec, keys[i]!));
      if (raw === undefined) {
        rows[i] = undefined;
        continue;
      }
      const eventTs = raw[n] as number;
      const createdTs = raw[n + 1] as number | null;
      // The row array is ours: dropping its two timestamps in place saves a copy per lookup.
      raw.length = n;
      rows[i] = { values: raw, eventTs, createdTs };
    }
    return rows;
  }

  /** The cached statement of a shape, or null when the view has no table (nothing written). */
  private statement(request: ReadRequest): Database.Statement<unknown[], RawRow> | null {
    const seen = this.recent.get(request.features);
    if (seen !== undefined && seen.view === request.spec.view && sameList(seen.features, request.features)) return seen.statement;
    const cacheKey = `${request.spec.view}\u0000${request.features.join("\u0000")}`;
    let statement = this.statements.get(cacheKey);
    if (statement === undefined) {
      const columns = [...request.features.map(ident), "__event_ts", "__created_ts"];
      const where = keyColumns(request.spec).map((k) => `${k} = ?`).join(" AND ");
      try {
        statement = this.db.prepare<unknown[], RawRow>(`SELECT ${columns.join(", ")} FROM ${ident(this.tableName(request.spec.view))} WHERE ${where}`).raw(true);
      } catch (error) {
        if (!/no such table/i.test((error as Error).message)) throw error;
        statement = null;
      }
      if (statement !== null) this.statements.set(cacheKey, statement);
    }
    // A copy of the list: the caller's array may change after the call.
    if (statement !== null) this.recent.set(request.features, { view: request.spec.view, features: request.features.slice(), statement });
    return statement;
  }
}
