import { startMlflowServer, type MlflowServerOptions } from "../../src/mlflow/server.js";
import { tempDir } from "../helpers.js";

type T = { after(fn: () => void | Promise<void>): void };

export interface TestServer {
  url: string;
  root: string;
  /** One raw HTTP call: a JSON body for POST/PATCH/DELETE, query parameters for GET. */
  call<R = Record<string, unknown>>(method: string, path: string, message?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: R }>;
}

/** `mlf server` on a free loopback port over a fresh tracking folder, closed when the test ends. */
export async function startTestServer(t: T, options: Partial<MlflowServerOptions> = {}): Promise<TestServer> {
  const root = options.root ?? tempDir(t, "mlf-server-");
  const server = await startMlflowServer({ port: 0, cacheDir: tempDir(t, "mlf-cache-"), ...options, root });
  t.after(() => server.close());
  return {
    url: server.url,
    root,
    async call(method, path, message = {}, headers = {}) {
      const get = method === "GET";
      const query = get ? `?${new URLSearchParams(Object.entries(message).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, String(x)] as [string, string]) : [[k, String(v)] as [string, string]])))}` : "";
      const response = await fetch(`${server.url}/api/2.0/mlflow${path}${query}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        ...(!get && { body: JSON.stringify(message) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text === "" ? {} : JSON.parse(text)) as never };
    },
  };
}

/** The shape of a JSON value: object keys (sorted) with their shapes, arrays by their first element, else the JSON type. */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]));
  }
  return value === null ? "null" : typeof value;
}
