// The errors every layer may throw, at the base of the import graph (nothing here imports the rest).
//   UserError: a failure the person running chainprice can act on, printed by the command line as one
//     line (plus an optional hint), never as a stack trace, with the exit code EXIT gives it.
//   ApiError: a request that cannot be answered, carrying the HTTP status and the one JSON error body
//     every route answers with, e.g.
//     `{ "statusCode": 400, "error": "bad_request", "message": "step: expected seconds like 300 or 5m, got \"x\"" }`.
//     `error` is a stable machine-readable code; `message` is one sentence for a person.

export const EXIT = {
  ok: 0,
  /** The command failed: bad input data, node unreachable, nothing to estimate. */
  failure: 1,
  /** The command line itself is wrong: unknown flag, missing argument. */
  usage: 2,
} as const;

export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;
  constructor(message: string, options: { hint?: string; exitCode?: number } = {}) {
    super(message);
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT.failure;
  }
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

export class ApiError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.code = code;
  }

  body(): ErrorBody {
    return { statusCode: this.statusCode, error: this.code, message: this.message };
  }
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'bad_request', message);
}

/** The first line of an error's message, short enough for a response body. */
export function oneLine(error: unknown, maxLength = 300): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n', 1)[0].trim();
  return line.length > maxLength ? `${line.slice(0, maxLength - 1)}…` : line;
}
