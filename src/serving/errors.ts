import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { MlfError, errorCodes, type ErrorCode } from "../errors.js";
import { truncate } from "./runtime/onnx.js";

/** The error body of every route. */
export interface ErrorBody {
  error_code: ErrorCode;
  message: string;
}

/** Fastify's own errors (parsing, limits, schema validation) mapped onto mlf's codes. */
function fromFastify(error: FastifyError): MlfError {
  if (error.validation) {
    // ajv's message names the path (`body/entities must be object`) and never echoes the value.
    return new MlfError("invalid_argument", `Invalid request: ${error.message}; fix that field of the JSON body and send it again.`);
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
      return new MlfError("runtime", truncate(error.message, 200));
  }
}

export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  const e = error instanceof MlfError ? error : fromFastify(error as FastifyError);
  return { status: errorCodes[e.code].http, body: { error_code: e.code, message: truncate(e.message, 300) } };
}

export function errorHandler(error: unknown, _request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorBody(error);
  void reply.code(status).type("application/json").send(body);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const body: ErrorBody = {
    error_code: "not_found",
    message: `No route ${request.method} ${truncate(request.url, 80)}; mlf serve answers GET /health, /ready, /models and /metrics, and POST /get-online-features, /push, /predict, /invocations and /admin/reload.`,
  };
  void reply.code(404).send(body);
}
