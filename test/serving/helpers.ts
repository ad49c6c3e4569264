import { readFileSync } from "node:fs";
import { startServer, type ServeOptions, type Server } from "../../src/serving/server.js";
import { REFERENCE_EXPECTED, REFERENCE_MODEL } from "../helpers.js";

export const MODEL = REFERENCE_MODEL;

export interface Expected {
  feature_names: string[];
  rows: number[][];
  proba_1: number[];
  label: number[];
}
export const expected = JSON.parse(readFileSync(REFERENCE_EXPECTED, "utf8")) as Expected;

/** A real server on a free loopback port, closed when the test ends; `logs` collects its log records. */
export async function serve(t: { after(fn: () => Promise<void>): void }, options: ServeOptions = {}): Promise<Server & { logs: Record<string, unknown>[] }> {
  const logs: Record<string, unknown>[] = [];
  const server = await startServer({ port: 0, pollSeconds: 0, log: (r) => logs.push(r), ...options });
  t.after(() => server.close());
  return Object.assign(server, { logs });
}

export interface Answer<T = any> {
  status: number;
  body: T;
  text: string;
  type: string | null;
}

/** POSTs `body` (JSON unless a string with its own content type) and reads the answer. */
export async function post<T = any>(server: Server, path: string, body: unknown, contentType = "application/json"): Promise<Answer<T>> {
  const res = await fetch(server.url + path, { method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body) });
  return answer<T>(res);
}

export async function get<T = any>(server: Server, path: string): Promise<Answer<T>> {
  return answer<T>(await fetch(server.url + path));
}

async function answer<T>(res: Response): Promise<Answer<T>> {
  const text = await res.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = undefined as T;
  }
  return { status: res.status, body, text, type: res.headers.get("content-type") };
}

export function assertClose(actual: number[], wanted: number[], tolerance = 1e-5): void {
  if (actual.length !== wanted.length) throw new Error(`expected ${wanted.length} predictions, got ${actual.length}`);
  actual.forEach((a, i) => {
    if (!(Math.abs(a - wanted[i]!) <= tolerance)) throw new Error(`prediction ${i}: ${a} differs from ${wanted[i]} by more than ${tolerance}`);
  });
}
