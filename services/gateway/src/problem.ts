// Problem details (RFC 9457), the body of every gateway error. Handlers throw
// a Problem; the error middleware (gateway-app.ts) writes it with the request
// id and trace id, so a caller can quote one line and we find the request.
import { STATUS_CODES } from "node:http";

/** One invalid field of a request: its path, the rule it broke, and why. */
export interface FieldViolation {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

export interface ProblemInit {
  /** Explanation of this occurrence, safe to show the caller. */
  detail: string;
  /** Connect/gRPC code name behind the error, e.g. "invalid_argument"; derived from the status when omitted. */
  code?: string;
  violations?: readonly FieldViolation[];
  /** Extra response headers: Retry-After, WWW-Authenticate, Allow. */
  headers?: Readonly<Record<string, string>>;
  /** Problem type URI; "about:blank" (the status says it all) unless given. */
  type?: string;
  cause?: unknown;
}

export class Problem extends Error {
  override readonly name = "Problem";
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly violations: readonly FieldViolation[];
  readonly headers: Readonly<Record<string, string>>;
  readonly type: string;

  constructor(status: number, init: ProblemInit) {
    super(init.detail, { cause: init.cause });
    this.status = status;
    this.detail = init.detail;
    this.code = init.code ?? defaultCode(status);
    this.violations = init.violations ?? [];
    this.headers = init.headers ?? {};
    this.type = init.type ?? "about:blank";
  }

  get title(): string {
    return STATUS_CODES[this.status] ?? (this.status === 499 ? "Client Closed Request" : "Error");
  }
}

export const problemContentType = "application/problem+json";

/** The JSON body of a problem response. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: string;
  requestId: string;
  traceId: string;
  violations?: FieldViolation[];
}

export function problemBody(problem: Problem, instance: string, ids: { requestId: string; traceId: string }): ProblemBody {
  return {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance,
    code: problem.code,
    requestId: ids.requestId,
    traceId: ids.traceId,
    ...(problem.violations.length > 0 ? { violations: [...problem.violations] } : {}),
  };
}

/** A 400 naming one bad field of the request. */
export function badField(field: string, rule: string, message: string): Problem {
  return new Problem(400, { detail: `${field}: ${message}`, violations: [{ field, rule, message }] });
}

function defaultCode(status: number): string {
  switch (status) {
    case 400:
    case 415:
      return "invalid_argument";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "not_found";
    case 405:
    case 501:
      return "unimplemented";
    case 409:
      return "failed_precondition";
    case 413:
    case 429:
      return "resource_exhausted";
    case 503:
      return "unavailable";
    case 504:
      return "deadline_exceeded";
    default:
      return status >= 500 ? "internal" : "unknown";
  }
}
