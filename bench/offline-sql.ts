import type { BenchView, Shape } from "./offline-shapes.js";

/**
 * The hand-written point-in-time SQL mlf is measured against, for any shape: what a DuckDB
 * user would write without mlf. Both read the sources through views named like the sources
 * (file sources over read_parquet/read_csv, query sources over those), as mlf's engine does,
 * and return the entity rows with every view's features, in no particular order; `ordered`
 * adds what mlf does and they do not: the entity rows' order (an ORDER BY on their numbers).
 */

const ident = (name: string) => `"${name}"`;

/** The ttl as a DuckDB INTERVAL; undefined for `0`, no ttl (as Feast's templates, no lower bound). */
function interval(ttl: string): string | undefined {
  if (ttl === "0") return undefined;
  const match = /^(\d+)([dhms])$/.exec(ttl);
  if (!match) throw new Error(`bench ttl ${ttl}`);
  return `INTERVAL ${match[1]} ${({ d: "DAY", h: "HOUR", m: "MINUTE", s: "SECOND" } as const)[match[2] as "d"]}`;
}

/** `CREATE VIEW` statements for the shape's sources, in dependency order. */
export function sourceViews(shape: Shape, dir: string): string[] {
  return shape.sources.map((s) => {
    const read = s.file?.endsWith(".csv") ? `read_csv('${dir}/${s.file}', header = true)` : `read_parquet('${dir}/${s.file}')`;
    return `CREATE VIEW ${ident(s.name)} AS ${s.file ? `SELECT * FROM ${read}` : s.sql}`;
  });
}

export function entityRelation(shape: Shape, dir: string): string {
  return shape.entities.endsWith(".csv") ? `read_csv('${dir}/${shape.entities}', header = true)` : `read_parquet('${dir}/${shape.entities}')`;
}

const sourceOf = (shape: Shape, view: BenchView) => shape.sources.find((s) => s.name === view.source)!;

/**
 * (a) The ASOF query: per view, `(keys, ts)` de-duplicated by the created timestamp when the
 * source has one, an ASOF LEFT JOIN per view, the ttl applied afterwards. No pruning.
 */
export function handAsof(shape: Shape, dir: string, ordered = false): string {
  const ctes = shape.views.map((view, i) => {
    const source = sourceOf(shape, view);
    const keys = view.keys.map((k) => ident(k.column));
    const columns = [...keys, `${ident(source.timestamp)} AS __ts`, ...view.features.map((f) => ident(f.name))].join(", ");
    const dedup = source.created ? `\n    QUALIFY row_number() OVER (PARTITION BY ${[...keys, ident(source.timestamp)].join(", ")} ORDER BY ${ident(source.created)} DESC) = 1` : "";
    return `v${i} AS (SELECT ${columns} FROM ${ident(source.name)}${dedup})`;
  });
  const features = shape.views.flatMap((view, i) => {
    const ttl = interval(view.ttl);
    return view.features.map((f) => (ttl === undefined ? `v${i}.${ident(f.name)}` : `CASE WHEN v${i}.__ts >= e.event_timestamp - ${ttl} THEN v${i}.${ident(f.name)} END AS ${ident(f.name)}`));
  });
  const joins = shape.views.map((view, i) => `ASOF LEFT JOIN v${i} ON ${[...view.keys.map((k) => `e.${ident(k.column)} = v${i}.${ident(k.column)}`), `e.event_timestamp >= v${i}.__ts`].join(" AND ")}`);
  if (!ordered) {
    return `WITH ${ctes.join(",\n  ")}
SELECT e.*, ${features.join(", ")}
FROM ${entityRelation(shape, dir)} AS e
${joins.join("\n")}`;
  }
  return `WITH ${ctes.join(",\n  ")}
SELECT e.* EXCLUDE (__row), ${features.join(", ")}
FROM (SELECT *, row_number() OVER () AS __row FROM ${entityRelation(shape, dir)}) AS e
${joins.join("\n")}
ORDER BY e.__row`;
}

/**
 * (b) Feast's ROW_NUMBER point-in-time template (its offline stores' shape): per view, the
 * source inside `[min(T) - ttl, max(T)]` range-joined to the entity rows, the newest candidate
 * per entity row by ROW_NUMBER, joined back; the views are then joined to the entity rows by a
 * row id.
 */
export function feastTemplate(shape: Shape, dir: string, ordered = false): string {
  const ctes = shape.views.flatMap((view, i) => {
    const source = sourceOf(shape, view);
    const ttl = interval(view.ttl);
    const keys = view.keys.map((k) => ident(k.column));
    const created = source.created ? [`${ident(source.created)} AS created_timestamp`] : [];
    const order = ["event_timestamp DESC", ...(source.created ? ["created_timestamp DESC"] : [])];
    const using = ["entity_row_unique_id", "event_timestamp", ...(source.created ? ["created_timestamp"] : [])];
    return [
      `v${i}__base AS (
  SELECT s.*, ed.entity_row_unique_id
  FROM (SELECT ${[`${ident(source.timestamp)} AS event_timestamp`, ...created, ...keys, ...view.features.map((f) => ident(f.name))].join(", ")} FROM ${ident(source.name)}
        WHERE ${ident(source.timestamp)} <= (SELECT max(entity_timestamp) FROM entity_dataframe)${
          ttl === undefined ? "" : `\n          AND ${ident(source.timestamp)} >= (SELECT min(entity_timestamp) FROM entity_dataframe) - ${ttl}`
        }) AS s
  INNER JOIN entity_dataframe AS ed ON s.event_timestamp <= ed.entity_timestamp${ttl === undefined ? "" : ` AND s.event_timestamp >= ed.entity_timestamp - ${ttl}`}${keys.map((k) => ` AND s.${k} = ed.${k}`).join("")})`,
      `v${i}__latest AS (
  SELECT ${using.join(", ")} FROM (
    SELECT ${using.join(", ")}, ROW_NUMBER() OVER (PARTITION BY entity_row_unique_id ORDER BY ${order.join(", ")}) AS rn
    FROM v${i}__base) WHERE rn = 1)`,
      `v${i}__feats AS (
  SELECT base.entity_row_unique_id, ${view.features.map((f) => `base.${ident(f.name)}`).join(", ")} FROM v${i}__base AS base
  JOIN v${i}__latest USING (${using.join(", ")}))`,
    ];
  });
  const features = shape.views.flatMap((view, i) => view.features.map((f) => `v${i}.${ident(f.name)}`));
  const joins = shape.views.map((_, i) => `LEFT JOIN v${i}__feats AS v${i} ON v${i}.entity_row_unique_id = ed.entity_row_unique_id`);
  return `WITH entity_dataframe AS (
  SELECT *, event_timestamp AS entity_timestamp, row_number() OVER () AS entity_row_unique_id FROM ${entityRelation(shape, dir)}
), ${ctes.join(",\n")}
SELECT ed.* EXCLUDE (entity_timestamp, entity_row_unique_id), ${features.join(", ")}
FROM entity_dataframe AS ed
${joins.join("\n")}${ordered ? "\nORDER BY ed.entity_row_unique_id" : ""}`;
}
