/**
 * The one error type of mlf. Every failure the library reports is an MlfError with a code;
 * the CLI turns the code into an exit status and the server into an HTTP status, both
 * through the single table below.
 */

/** What went wrong, as a stable machine-readable code (part of the `--json` contract). */
export const errorCodes = {
  /** Wrong flags or arguments on the command line. */
  usage: { exit: 2, http: 400 },
  /** A definition file or feature_store.yaml is invalid. */
  invalid_definition: { exit: 2, http: 400 },
  /** A value given by the caller is malformed (a ref, a time, a key type, a JSON body). */
  invalid_argument: { exit: 2, http: 400 },
  /** A named object (view, feature, service, entity, model, version, run) does not exist. */
  not_found: { exit: 2, http: 404 },
  /** A file the caller named does not exist or cannot be read. */
  file_not_found: { exit: 1, http: 404 },
  /** Data that was read is not usable (unparsable timestamp, mixed key types, torn file). */
  invalid_data: { exit: 1, http: 400 },
  /** The operation contradicts existing state (an immutable param, an existing name). */
  conflict: { exit: 1, http: 409 },
  /** A request body is larger than the server accepts. */
  payload_too_large: { exit: 1, http: 413 },
  /** A request body has a content type the route does not accept. */
  unsupported_media_type: { exit: 2, http: 415 },
  /** Something needed is not ready (a model still loading, a lock held too long). */
  unavailable: { exit: 1, http: 503 },
  /** A failure in the environment: disk, database, model runtime. */
  runtime: { exit: 1, http: 500 },
} as const satisfies Record<string, { exit: 0 | 1 | 2; http: number }>;

export type ErrorCode = keyof typeof errorCodes;

/** One problem found while validating definitions, located in its file. */
export interface Problem {
  file: string;
  line?: number;
  message: string;
  hint?: string;
}

export class MlfError extends Error {
  override readonly name = "MlfError";
  readonly code: ErrorCode;
  /** Individual problems when several were collected at once (definition validation). */
  readonly problems: Problem[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; problems?: Problem[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options.problems ?? [];
  }

  get exitCode(): number {
    return errorCodes[this.code].exit;
  }

  get httpStatus(): number {
    return errorCodes[this.code].http;
  }
}

/** Wraps anything thrown into an MlfError, keeping MlfErrors as they are. */
export function toMlfError(error: unknown): MlfError {
  if (error instanceof MlfError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MlfError("runtime", message, { cause: error });
}

export function formatProblem(p: Problem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return `${where}: ${p.message}${p.hint ? ` (${p.hint})` : ""}`;
}
