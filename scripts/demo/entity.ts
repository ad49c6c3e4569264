import { join } from "node:path";

/**
 * The route with the most departures in the last day of the prepared data: its airport and
 * route have fresh values in every feature view, so the prediction uses no imputed input.
 */
export async function busiestRoute(repo: string): Promise<{ origin: string; route: string }> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const connection = await instance.connect();
  try {
    const path = join(repo, "data", "flights.parquet").replace(/'/g, "''");
    const reader = await connection.runAndReadAll(`
      select origin, route from read_parquet('${path}')
      where date > (select max(date) from read_parquet('${path}')) - interval 1 day
      group by all order by count(*) desc, route limit 1`);
    const [row] = reader.getRowObjectsJS() as { origin: string; route: string }[];
    if (!row) throw new Error(`No departures in ${path}; run the prepare step again.`);
    return row;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
