import { MlfError } from "../../errors.js";
import { preview } from "../../util/json.js";
import type { ModelInput } from "./input.js";

export const invocationKeys = ["dataframe_split", "dataframe_records", "instances", "inputs"] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Columns in first-seen order over all records; a key missing from a record is null (pandas' NaN). */
function fromRecords(records: Record<string, unknown>[]): ModelInput {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const record of records) for (const key of Object.keys(record)) if (!seen.has(key)) (seen.add(key), columns.push(key));
  return { kind: "frame", columns, rows: records.map((r) => columns.map((c) => (c in r ? r[c] : null))) };
}

/**
 * MLflow's JSON scoring body: exactly one of the four keys (an optional `params` object beside
 * it is accepted and ignored, as ONNX models take no params). The body's shape is checked by the
 * route's schema first; this turns it into a ModelInput.
 */
export function parseInvocation(body: Record<string, unknown>): ModelInput {
  const present = invocationKeys.filter((k) => body[k] !== undefined);
  if (present.length !== 1) {
    const got = present.length === 0 ? "none" : present.join(" and ");
    throw new MlfError("invalid_argument", `Send exactly one of ${invocationKeys.join(", ")}; got ${got}.`);
  }
  const key = present[0]!;
  const value = body[key];
  if (key === "dataframe_split") {
    const split = value as { columns?: string[]; data: unknown[][] };
    const width = split.data[0]?.length ?? split.columns?.length ?? 0;
    const columns = split.columns ?? Array.from({ length: width }, (_, i) => String(i));
    return { kind: "frame", columns, rows: split.data };
  }
  if (key === "dataframe_records") return fromRecords(value as Record<string, unknown>[]);
  if (key === "instances") {
    const list = value as unknown[];
    if (list.length > 0 && list.every(isObject)) {
      // A list of objects is one instance per element, each holding every named input.
      const names = Object.keys(list[0] as object);
      return { kind: "named", tensors: Object.fromEntries(names.map((n) => [n, list.map((item) => (item as Record<string, unknown>)[n])])) };
    }
    return { kind: "tensor", value: list };
  }
  if (Array.isArray(value)) return { kind: "tensor", value };
  if (isObject(value)) return { kind: "named", tensors: value };
  throw new MlfError("invalid_argument", `"inputs" must be a list or an object of lists, not ${preview(value)}.`);
}

/** A CSV value as pandas' read_csv would type it: numbers, true/false, empty = null, else the string. */
function csvValue(text: string): unknown {
  if (text === "") return null;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  if (text === "True" || text === "true") return true;
  if (text === "False" || text === "false") return false;
  return text;
}

/** Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into rows of fields. */
function csvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"', i++);
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") (row.push(field), (field = ""));
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (quoted) throw new MlfError("invalid_argument", "The CSV body ends inside a quoted field; close the quote.");
  if (field !== "" || row.length > 0) (row.push(field), rows.push(row));
  return rows.filter((r) => !(r.length === 1 && r[0] === ""));
}

/** A `text/csv` body: a header row, then one row per instance (MLflow's CSV scoring form). */
export function parseCsv(text: string): { columns: string[]; rows: unknown[][] } {
  const [header, ...body] = csvRows(text);
  if (!header) throw new MlfError("invalid_argument", "The CSV body is empty; send a header row and at least one data row.");
  body.forEach((r, i) => {
    if (r.length !== header.length) throw new MlfError("invalid_argument", `CSV row ${i + 1} has ${r.length} fields but the header has ${header.length}; send one value per column.`);
  });
  return { columns: header, rows: body.map((r) => r.map(csvValue)) };
}
