import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { MlfError, errorCodes, type ErrorCode } from "../errors.js";
import { internalErrorMessage, logInternalError } from "../util/internal-error.js";
import type { Log } from "./model-pool.js";
import { truncate } from "./runtime/onnx.js";

/** The error body of every route: `{"error_code", "message"}`. */
export interface ErrorBody {
  error_code: ErrorCode;
  message: string;
}

/** The header every error answer carries, naming the request as the server log does. */
export const REQUEST_ID_HEADER = "x-request-id";

/**
 * Fastify's own client errors (parsing, limits, schema validation) mapped onto mlf's codes;
 * undefined for anything else.
 */
function fromFastify(error: FastifyError): MlfError | undefined {
  if (error.validation) {
    // ajv's message names the path (`body/entities must be object`) and never echoes the value.
    return new MlfError("invalid_argument", `Invalid request: ${error.message}; see the route's request shape in the README.`);
  }
  switch (error.statusCode) {
    case 413:
      return new MlfError("payload_too_large", "The request body is larger than the server's limit; send fewer rows per request or raise --body-limit.");
    case 415:
      return new MlfError("unsupported_media_type", `Unsupported content type; send application/json${error.message.includes("csv") ? "" : " (or text/csv to /invocations)"}.`);
    default:
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return new MlfError("invalid_argument", `Invalid request: ${truncate(error.message, 160)}; send a well-formed JSON body.`);
      }
      return undefined;
  }
}

/**
 * The answer to an error. MlfErrors and fastify's client errors are answered as they are:
 * their messages are written for the caller. Anything else (a SQLite or onnxruntime failure,
 * a bug) is `internal`: its text may name files and internals, so the caller gets a 500 that
 * names only the request, and the text goes to the server log.
 */
export function toErrorBody(error: unknown, requestId: string): { status: number; body: ErrorBody; internal: boolean } {
  const e = error instanceof MlfError ? error : fromFastify(error as FastifyError);
  if (!e) return { status: 500, body: { error_code: "runtime", message: internalErrorMessage(requestId) }, internal: true };
  return { status: errorCodes[e.code].http, body: { error_code: e.code, message: truncate(e.message, 300) }, internal: false };
}

/** Answers an error (see toErrorBody), logging an internal one in full with its request id. */
export function answerError(error: unknown, request: FastifyRequest, reply: FastifyReply, log: Log): void {
  const { status, body, internal } = toErrorBody(error, request.id);
  if (internal) logInternalError(log, error, request);
  void reply.code(status).header(REQUEST_ID_HEADER, request.id).type("application/json").send(body);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const body: ErrorBody = { error_code: "not_found", message: `No route ${request.method} ${truncate(request.url, 80)}; see the README for the routes.` };
  void reply.code(404).header(REQUEST_ID_HEADER, request.id).send(body);
}
