import { MlflowApiError } from "./errors.js";

/**
 * Reading MLflow request messages. MLflow's handlers take a GET's fields from the query
 * string (a repeated field as repeated keys) and every other method's from a JSON body, sent
 * with any content type; mlf merges both, so a DELETE with query parameters also works.
 * Numbers may arrive as JSON numbers or as strings (query strings, protobuf's int64 JSON).
 */
export type Message = Record<string, unknown>;

export function parseMessage(query: unknown, body: unknown): Message {
  let parsed: unknown = {};
  if (Buffer.isBuffer(body) && body.length > 0) {
    try {
      parsed = JSON.parse(body.toString("utf8"));
      // Older MLflow clients double-encode the body as a JSON string.
      if (typeof parsed === "string") parsed = JSON.parse(parsed);
    } catch {
      throw new MlflowApiError("BAD_REQUEST", "The request body is not valid JSON; send a JSON object.");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new MlflowApiError("BAD_REQUEST", "The request body must be a JSON object.");
  }
  return { ...(query as Message), ...(parsed as Message) };
}

const missing = (field: string) => new MlflowApiError("INVALID_PARAMETER_VALUE", `Missing value for required parameter '${field}'. See the API docs for more information about request parameters.`);
const invalid = (field: string, value: unknown, what: string) =>
  new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid value ${JSON.stringify(value)?.slice(0, 80)} for parameter '${field}' supplied: it must be ${what}.`);

const one = (m: Message, field: string): unknown => (Array.isArray(m[field]) ? (m[field] as unknown[]).at(-1) : m[field]);

export function optString(m: Message, field: string): string | undefined {
  const v = one(m, field);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalid(field, v, "a string");
  return v;
}

export function reqString(m: Message, field: string): string {
  const v = optString(m, field);
  if (v === undefined || v === "") throw missing(field);
  return v;
}

/** The run id of MLflow's run messages: `run_id`, or the deprecated `run_uuid`. */
export function runIdOf(m: Message): string {
  const id = optString(m, "run_id") || optString(m, "run_uuid");
  if (!id) throw missing("run_id");
  return id;
}

export function optInt(m: Message, field: string): number | undefined {
  const v = one(m, field);
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw invalid(field, v, "an integer");
  return n;
}

/** protobuf JSON's double: a number, or "NaN", "Infinity", "-Infinity" (also as numeric strings). */
export function reqDouble(m: Message, field: string, value = m[field]): number {
  if (value === undefined || value === null) throw missing(field);
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const special: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, "-Infinity": Number.NEGATIVE_INFINITY };
    if (value in special) return special[value]!;
    if (value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  }
  throw invalid(field, value, "a number");
}

export function optStrings(m: Message, field: string): string[] {
  const v = m[field];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  if (!list.every((x) => typeof x === "string")) throw invalid(field, v, "a list of strings");
  return list as string[];
}

export function optBool(m: Message, field: string): boolean | undefined {
  const v = one(m, field);
  if (v === undefined || v === null) return undefined;
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  throw invalid(field, v, "true or false");
}

/** `[{"key","value"}]` (RunTag, Param, ModelVersionTag...) as a record; keys and values must be strings. */
export function keyValues(m: Message, field: string): Record<string, string> {
  const v = m[field];
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v)) throw invalid(field, v, 'a list of {"key", "value"} objects');
  const out: Record<string, string> = {};
  for (const item of v as Message[]) {
    if (item === null || typeof item !== "object" || typeof item.key !== "string") throw invalid(field, item, 'a list of {"key", "value"} objects');
    if (typeof item.value !== "string") throw invalid(`${field}.value`, item.value, "a string");
    out[item.key] = item.value;
  }
  return out;
}

/**
 * MLflow's paging: `max_results` (default and largest allowed per endpoint) and an opaque
 * `page_token` (base64 of `{"offset": N}`, as MLflow's file store writes it).
 */
export function page<T>(m: Message, items: T[], limits: { default: number; max: number }): { items: T[]; next_page_token?: string } {
  const max = optInt(m, "max_results") ?? limits.default;
  if (max < 1 || max > limits.max) {
    throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid value for request parameter max_results. It must be at most ${limits.max} and at least 1, but got value ${max}`);
  }
  const token = optString(m, "page_token");
  let offset = 0;
  if (token) {
    try {
      offset = (JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset: number }).offset;
    } catch {
      offset = Number.NaN;
    }
    if (!Number.isSafeInteger(offset) || offset < 0) throw new MlflowApiError("INVALID_PARAMETER_VALUE", `Invalid page token, could not base64-decode; pass the next_page_token of a previous answer.`);
  }
  const slice = items.slice(offset, offset + max);
  const next = offset + max < items.length ? Buffer.from(JSON.stringify({ offset: offset + max })).toString("base64") : undefined;
  return { items: slice, ...(next && { next_page_token: next }) };
}
