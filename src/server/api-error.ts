// The one JSON error body every HTTP route answers with, and the error that carries it:
// `{ "statusCode": 400, "error": "bad_request", "message": "step: expected seconds like 300 or 5m, got \"x\"" }`.
// `error` is a stable machine-readable code; `message` is one sentence for a person. Never a stack trace.

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
