import type { ExperimentJson, MetricJson, ModelVersionJson, RegisteredModelJson, RunJson } from "../../mlflow/json.js";

/**
 * The page's only contact with the server: MLflow's REST API under /ajax-api/2.0/mlflow (as
 * MLflow's own UI calls it) and mlf's /ui-api. Errors carry the server's sentence, which the
 * page shows as it is; a 401 asks for the token (see SignIn).
 */

export type { ExperimentJson, MetricJson, ModelVersionJson, RegisteredModelJson, RunJson };

/** Listeners told when the server asks for a token. */
const unauthorized = new Set<() => void>();
export const onUnauthorized = (fn: () => void) => {
  unauthorized.add(fn);
  return () => void unauthorized.delete(fn);
};

async function call<T>(url: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(url, { credentials: "same-origin", ...init, headers: { "content-type": "application/json", ...init.headers } });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    throw new Error(`The server answered ${response.status} with something that is not JSON.`);
  }
  if (!response.ok) {
    if (response.status === 401) for (const fn of unauthorized) fn();
    throw new Error(String(body.message ?? `HTTP ${response.status}`));
  }
  return body as T;
}

const query = (params: Record<string, string | number | string[] | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
  }
  return q.toString();
};

/** GET an MLflow endpoint (`/runs/get`) with query parameters. */
export const mlflowGet = <T>(path: string, params: Record<string, string | number | string[] | undefined> = {}) =>
  call<T>(`ajax-api/2.0/mlflow${path}?${query(params)}`);

/** POST (or another method) to an MLflow endpoint with a JSON body. */
export const mlflowSend = <T>(method: "POST" | "DELETE", path: string, body: unknown) =>
  call<T>(`ajax-api/2.0/mlflow${path}`, { method, body: JSON.stringify(body) });

/** GET mlf's own UI API (`/ui-api/features`). */
export const uiGet = <T>(path: string, params: Record<string, string | number | string[] | undefined> = {}) =>
  call<T>(`ui-api${path}${Object.keys(params).length > 0 ? `?${query(params)}` : ""}`);

export const signIn = (token: string) => call<object>("ui-api/session", { method: "POST", body: JSON.stringify({ token }) });

/** The download link of a run's artifact (MLflow's UI route). */
export const artifactUrl = (runId: string, path: string) => `get-artifact?${query({ run_uuid: runId, path })}`;

export interface RunsPage {
  runs?: RunJson[];
  next_page_token?: string;
}

/** Every point of a metric's history (MLflow answers the whole history when max_results is not given). */
export async function metricHistory(runId: string, key: string): Promise<MetricJson[]> {
  const body = await mlflowGet<{ metrics?: MetricJson[] }>("/metrics/get-history", { run_id: runId, metric_key: key });
  return body.metrics ?? [];
}

/** `[{key, value}]` as a record. */
export const record = (list: { key: string; value: string }[] | undefined): Record<string, string> => Object.fromEntries((list ?? []).map((x) => [x.key, x.value]));

/** A metric's number from protobuf JSON ("NaN" and infinities are strings). */
export const metricValue = (v: MetricJson["value"]): number => (typeof v === "number" ? v : Number(v));
