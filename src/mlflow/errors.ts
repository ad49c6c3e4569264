import { MlfError, type ErrorCode } from "../errors.js";
import { internalErrorMessage } from "../util/internal-error.js";

/**
 * MLflow's error envelope `{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "..."}` with
 * MLflow's HTTP statuses (mlflow/exceptions.py ERROR_CODE_TO_HTTP_STATUS). mlf's library
 * throws MlfErrors; each code maps to the MLflow code its REST clients expect, and a route
 * that needs another one (a changed param is INVALID_PARAMETER_VALUE, not a conflict) says so
 * with MlflowApiError.
 */

export const mlflowHttpStatus = {
  INTERNAL_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
  /** Not one of MLflow's codes' statuses: MLflow sets no body limit; mlf answers 413 (SPEC section 9). */
  REQUEST_LIMIT_EXCEEDED: 413,
} as const;
export type MlflowErrorCode = keyof typeof mlflowHttpStatus;

const fromMlf: Record<ErrorCode, MlflowErrorCode> = {
  usage: "INVALID_PARAMETER_VALUE",
  invalid_definition: "INVALID_PARAMETER_VALUE",
  invalid_argument: "INVALID_PARAMETER_VALUE",
  invalid_data: "INVALID_PARAMETER_VALUE",
  not_found: "RESOURCE_DOES_NOT_EXIST",
  file_not_found: "RESOURCE_DOES_NOT_EXIST",
  conflict: "RESOURCE_ALREADY_EXISTS",
  payload_too_large: "REQUEST_LIMIT_EXCEEDED",
  unsupported_media_type: "BAD_REQUEST",
  unavailable: "TEMPORARILY_UNAVAILABLE",
  runtime: "INTERNAL_ERROR",
};

/** An error answered with a specific MLflow code (its mlf code still drives the CLI's exit status). */
export class MlflowApiError extends MlfError {
  constructor(readonly mlflowCode: MlflowErrorCode, message: string, code: ErrorCode = "invalid_argument") {
    super(code, message);
  }
}

export interface MlflowErrorBody {
  error_code: MlflowErrorCode;
  message: string;
}

/**
 * The status and body answering `error`. MlfErrors and fastify's client errors are answered
 * as they are (their messages are written for the caller); anything else is an INTERNAL_ERROR
 * whose answer names only the request (`internal`: the caller logs the details).
 */
export function mlflowError(error: unknown, requestId: string): { status: number; body: MlflowErrorBody; internal: boolean } {
  if (error instanceof MlflowApiError) return { status: mlflowHttpStatus[error.mlflowCode], body: { error_code: error.mlflowCode, message: error.message }, internal: false };
  if (error instanceof MlfError) {
    const code = fromMlf[error.code];
    return { status: mlflowHttpStatus[code], body: { error_code: code, message: error.message }, internal: false };
  }
  const e = error as { statusCode?: number; message?: string };
  if (e.statusCode === 413) return mlflowError(new MlfError("payload_too_large", "The request body is larger than the server's limit; send smaller batches or raise --body-limit."), requestId);
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return { status: 400, body: { error_code: "BAD_REQUEST", message: String(e.message ?? "Bad request") }, internal: false };
  return { status: 500, body: { error_code: "INTERNAL_ERROR", message: internalErrorMessage(requestId) }, internal: true };
}
