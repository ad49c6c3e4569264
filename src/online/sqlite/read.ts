import type Database from "better-sqlite3";
import { ident } from "../../offline/sql.js";
import type { ReadRequest, StoredRow } from "../store.js";
import { keyColumns, keyParams } from "./layout.js";

type RawRow = unknown[];

/**
 * Point reads with prepared statements cached per (view, features): the first read of a
 * shape prepares `SELECT features, __event_ts, __created_ts FROM t WHERE key = ?`, every
 * later read only binds and steps it, which is one primary-key lookup in the WITHOUT ROWID
 * table. Several lookups run in one deferred read transaction, i.e. one WAL snapshot.
 */
export class SqliteReader {
  private readonly statements = new Map<string, Database.Statement<unknown[], RawRow> | null>();
  private readonly inSnapshot: (requests: ReadRequest[]) => (StoredRow | undefined)[][];

  constructor(
    private readonly db: Database.Database,
    private readonly tableName: (view: string) => string,
  ) {
    this.inSnapshot = db.transaction((requests: ReadRequest[]) => requests.map((r) => this.lookup(r)));
  }

  /** Drops cached statements (after tables were created, recreated or dropped). */
  forget(): void {
    this.statements.clear();
  }

  read(requests: ReadRequest[]): (StoredRow | undefined)[][] {
    const single = requests.length === 1 && requests[0]!.keys.length <= 1;
    // One statement is already atomic; BEGIN/COMMIT would only add two round trips.
    return single || this.db.inTransaction ? requests.map((r) => this.lookup(r)) : this.inSnapshot(requests);
  }

  private lookup(request: ReadRequest): (StoredRow | undefined)[] {
    const statement = this.statement(request);
    const n = request.features.length;
    return request.keys.map((key) => {
      const raw = statement?.get(keyParams(request.spec, key));
      if (raw === undefined) return undefined;
      return { values: raw.slice(0, n), eventTs: raw[n] as number, createdTs: raw[n + 1] as number | null };
    });
  }

  /** The cached statement of a shape, or null when the view has no table (nothing written). */
  private statement(request: ReadRequest): Database.Statement<unknown[], RawRow> | null {
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
    return statement;
  }
}
