import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { MlfError } from "../errors.js";
import { REQUEST_ID_HEADER, answerError, notFoundHandler, toErrorBody } from "./errors.js";
import type { RequestMetrics } from "./metrics.js";
import type { Log } from "./model-pool.js";

export interface BookkeepingOptions {
  metrics: RequestMetrics;
  log: Log;
  /** Log a line per answer; 5xx answers are logged regardless. */
  logRequests: boolean;
  /** A request not answered this many milliseconds after it arrived gets a 503. */
  timeoutMs: number;
}

/**
 * Per-answer bookkeeping (the metrics, the request log line) and the request timeout.
 *
 * Answers are recorded where mlf sends them, not in an onResponse hook: that hook costs ~2 us
 * per request (a hook run, and a 'finish' and an 'error' listener added to and removed from
 * every response), a tenth of the server's CPU for a /get-online-features answer. So:
 * - every route handler is wrapped when it is registered: the wrapper sends the handler's
 *   value itself (handlers may also send, and return the reply) and then records the answer;
 * - the error handler (every error answer, also for parse and validation failures), the
 *   not-found handler and the timeout sweep record theirs.
 * An answer is recorded once, after fastify serialized it and wrote it to the socket; its
 * latency runs from the request's arrival to that write.
 *
 * Requests are registered for the timeout as they arrive (one onRequest hook), so a request
 * stuck anywhere, body upload included, is answered 503 by the sweep. Install this before any
 * route is registered.
 */
export function installBookkeeping(app: FastifyInstance, options: BookkeepingOptions): void {
  const { metrics, log, logRequests, timeoutMs } = options;
  /**
   * Requests arrived and not yet answered, with their arrival (performance.now() ms; fastify
   * keeps no start time without an onResponse hook). Whoever answers one takes it out.
   */
  const inFlight = new Map<FastifyReply, number>();

  const record = (request: FastifyRequest, reply: FastifyReply, route: string, started: number | undefined) => {
    const status = reply.statusCode;
    const ms = started === undefined ? 0 : performance.now() - started;
    metrics.observe(route, request.method, status, ms / 1000);
    if (logRequests || status >= 500) {
      log({ level: status >= 500 ? "error" : "info", msg: "request", request_id: request.id, method: request.method, route, status, ms: Math.round(ms * 1000) / 1000 });
    }
  };
  const routeOf = (request: FastifyRequest) => request.routeOptions.url ?? "unmatched";

  app.addHook("onRequest", (_request, reply, done) => {
    inFlight.set(reply, performance.now());
    done();
  });

  app.addHook("onRoute", (route) => {
    const handler = route.handler;
    const url = route.url;
    route.handler = async function tracked(this: FastifyInstance, request, reply) {
      const value: unknown = await handler.call(this, request, reply);
      // Answered meanwhile by the timeout sweep, which recorded that answer.
      const started = inFlight.get(reply);
      if (started === undefined) return;
      // An error while serializing is answered and recorded by the error handler, inside send.
      if (!reply.sent) reply.send(value);
      if (inFlight.delete(reply)) record(request, reply, url, started);
    };
  });

  app.setErrorHandler((error, request, reply) => {
    const started = inFlight.get(reply);
    inFlight.delete(reply);
    answerError(error, request, reply, log);
    record(request, reply, routeOf(request), started);
  });

  app.setNotFoundHandler((request, reply) => {
    const started = inFlight.get(reply);
    inFlight.delete(reply);
    notFoundHandler(request, reply);
    record(request, reply, "unmatched", started);
  });

  // One sweep timer instead of a timer per request.
  const sweep = setInterval(() => {
    const overdue = performance.now() - timeoutMs;
    for (const [reply, started] of inFlight) {
      if (started > overdue) continue;
      inFlight.delete(reply);
      if (reply.sent) continue;
      const { status, body } = toErrorBody(new MlfError("unavailable", `The request took longer than ${timeoutMs} ms; retry, or send fewer rows.`), reply.request.id);
      void reply.code(status).header(REQUEST_ID_HEADER, reply.request.id).send(body);
      record(reply.request, reply, routeOf(reply.request), started);
    }
  }, Math.min(250, timeoutMs)).unref();
  app.addHook("onClose", (_app, done) => (clearInterval(sweep), done()));
}
