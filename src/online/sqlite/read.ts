import type Database from "better-sqlite3";
import { ident } from "../../util/sql.js";
import { typedInteger } from "../codec.js";
import type { ReadRequest, StoredRow } from "../store.js";
import { keyColumns, keyParams } from "./layout.js";

type RawRow = unknown[];

/**
 * A prepared read of one (view, features) shape, with what turns its raw SQLite values into
 * typed values (see OnlineRow): bool columns are stored as 0/1, and a shape with an int64
 * column is read with safe integers (better-sqlite3 would otherwise read INTEGER as a double
 * and round values beyond 2^53).
 */
interface Prepared {
  statement: Database.Statement<unknown[], RawRow>;
  /** Positions of int64 columns: read as bigints (safe integers), given out as numbers when safe. */
  int64s: number[];
  /** Positions of bool columns. */
  bools: number[];
}

/** Dtypes stored as INTEGER whose values never pass 2^53. */
const SMALL_INTEGERS = new Set<string | undefined>(["int32", "bool", "unix_timestamp"]);

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
  private readonly statements = new Map<string, Prepared>();
  /**
   * The statement last used with each features array: a caller's plan passes the same arrays
   * on every read, and comparing them is cheaper than joining them into the cache key.
   */
  private recent = new WeakMap<readonly string[], { view: string; features: string[]; prepared: Prepared | null }>();
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
    const prepared = this.prepared(request);
    const n = request.features.length;
    const keys = request.keys;
    const rows = new Array<StoredRow | undefined>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const raw = prepared?.statement.get(keyParams(request.spec, keys[i]!));
      if (raw === undefined) {
        rows[i] = undefined;
        continue;
      }
      const eventTs = raw[n] as number;
      const createdTs = raw[n + 1] as number | null;
      if (prepared!.int64s.length > 0) for (const c of prepared!.int64s) if (raw[c] !== null) raw[c] = typedInteger(raw[c] as bigint);
      if (prepared!.bools.length > 0) for (const c of prepared!.bools) if (raw[c] !== null) raw[c] = Number(raw[c]) !== 0;
      // The row array is ours: dropping its two timestamps in place saves a copy per lookup.
      raw.length = n;
      rows[i] = { values: raw, eventTs, createdTs };
    }
    return rows;
  }

  /** The cached read of a shape, or null when the view has no table (nothing written). */
  private prepared(request: ReadRequest): Prepared | null {
    const seen = this.recent.get(request.features);
    if (seen !== undefined && seen.view === request.spec.view && sameList(seen.features, request.features)) return seen.prepared;
    // The dtypes are part of the shape: a view re-applied with a feature of another type (by
    // another process) reads the same columns but must convert them differently.
    const dtypes = request.features.map((name) => request.spec.features.find((f) => f.name === name)?.dtype);
    const cacheKey = `${request.spec.view}\u0000${request.features.join("\u0000")}\u0000${dtypes.join("\u0000")}`;
    let prepared: Prepared | null | undefined = this.statements.get(cacheKey);
    if (prepared === undefined) {
      prepared = this.prepare(request, dtypes);
      if (prepared !== null) this.statements.set(cacheKey, prepared);
    }
    // A copy of the list: the caller's array may change after the call.
    if (prepared !== null) this.recent.set(request.features, { view: request.spec.view, features: request.features.slice(), prepared });
    return prepared;
  }

  private prepare(request: ReadRequest, dtypes: (string | undefined)[]): Prepared | null {
    const safe = dtypes.includes("int64");
    // With safe integers, every INTEGER value would come back as a bigint, each one allocated
    // and then converted back; the columns that are never beyond 2^53 (int32, bool,
    // unix_timestamp ms and the two timestamps) are read as REAL instead, exact and a number.
    const small = (column: string) => (safe ? `CAST(${column} AS REAL)` : column);
    const columns = [...request.features.map((name, i) => (SMALL_INTEGERS.has(dtypes[i]) ? small(ident(name)) : ident(name))), small("__event_ts"), small("__created_ts")];
    const where = keyColumns(request.spec).map((k) => `${k} = ?`).join(" AND ");
    let statement: Database.Statement<unknown[], RawRow>;
    try {
      statement = this.db.prepare<unknown[], RawRow>(`SELECT ${columns.join(", ")} FROM ${ident(this.tableName(request.spec.view))} WHERE ${where}`).raw(true);
    } catch (error) {
      if (!/no such table/i.test((error as Error).message)) throw error;
      return null;
    }
    const at = (match: (dtype: string | undefined) => boolean) => dtypes.flatMap((d, i) => (match(d) ? [i] : []));
    if (safe) statement.safeIntegers(true);
    return { statement, int64s: at((d) => d === "int64"), bools: at((d) => d === "bool") };
  }
}
