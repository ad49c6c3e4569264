import { MlfError } from "../errors.js";
import type { ModelDriftReport } from "./model-drift.js";

/** What became of a drift alert. */
export interface AlertResult {
  url: string;
  delivered: boolean;
  /** HTTP status of the last attempt, when one was answered. */
  status?: number;
  error?: string;
  attempts: number;
}

/** The alert's JSON body: the verdict and the drifted features, not the whole report. */
function alertBody(report: ModelDriftReport): Record<string, unknown> {
  const brief = (f: ModelDriftReport["features"][number]) => ({ name: f.name, test: f.test, score: f.score, threshold: f.threshold, note: f.note });
  return {
    event: "mlf.drift_detected",
    generatedAt: report.generatedAt,
    model: report.model,
    reference: report.reference,
    current: report.current,
    dataset: report.dataset,
    driftedFeatures: report.features.filter((f) => f.drifted).map(brief),
    prediction: report.prediction && { ...brief(report.prediction), drifted: report.prediction.drifted },
  };
}

/** Checks a webhook URL before any work is done, so a typo fails fast. */
export function checkWebhookUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new MlfError("usage", `--webhook "${url}" is not a URL; pass http(s)://host/path.`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new MlfError("usage", `--webhook "${url}" is not an http(s) URL.`);
  return url;
}

/**
 * POSTs the alert as JSON. A network error or a 5xx answer is retried (`retries` times, waiting
 * `backoffMs`, then twice that...); a 4xx is final. Never throws: the caller decides what a
 * failed delivery means.
 */
export async function postDriftAlert(url: string, report: ModelDriftReport, options: { retries?: number; backoffMs?: number; timeoutMs?: number } = {}): Promise<AlertResult> {
  const retries = options.retries ?? 2;
  const body = JSON.stringify(alertBody(report));
  let last: AlertResult = { url, delivered: false, attempts: 0 };
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "mlf-monitor" },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { url, delivered: true, status: response.status, attempts: attempt };
      last = { url, delivered: false, status: response.status, error: `HTTP ${response.status}`, attempts: attempt };
      if (response.status < 500) return last;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      last = { url, delivered: false, error: cause ?? (error as Error).message, attempts: attempt };
    }
    if (attempt <= retries) await new Promise((done) => setTimeout(done, (options.backoffMs ?? 500) * 2 ** (attempt - 1)));
  }
  return last;
}
