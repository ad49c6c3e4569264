/**
 * Errors no mlf code wrote for the caller (a SQLite or onnxruntime failure, a bug): their text
 * may name files and internals, so an HTTP server answers with a message that names only the
 * request, and logs the details under the request id. `mlf serve` and `mlf server` both do.
 */

/** Where a server sends its log records (one JSON object each). */
export type LogSink = (record: Record<string, unknown>) => void;

/** What the request fields the log record needs look like (fastify's request has them). */
export interface RequestRef {
  id: string;
  method: string;
  routeOptions: { url?: string | undefined };
}

/** The message answered for an internal error. */
export function internalErrorMessage(requestId: string): string {
  return `Internal error; see the server log for request ${requestId}.`;
}

/** Logs an internal error in full (message and stack) under its request id. */
export function logInternalError(log: LogSink, error: unknown, request: RequestRef): void {
  const e = error instanceof Error ? error : new Error(String(error));
  log({ level: "error", msg: "internal error", request_id: request.id, method: request.method, route: request.routeOptions.url ?? "unmatched", error: e.message, stack: e.stack });
}
