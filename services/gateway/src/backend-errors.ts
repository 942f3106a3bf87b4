// A backend's Connect error as the HTTP problem the REST caller gets. Client
// mistakes (4xx) keep the backend's message and field violations, which were
// written for callers; server-side failures (5xx) say which backend failed and
// nothing of its internals.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeName } from "@meshmart/platform";
import { Problem } from "./problem.ts";
import { fromConnectError, type FieldAliases } from "./violations.ts";

const statusOf: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 409,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** The HTTP status a Connect code becomes at the gateway. */
export function httpStatusFor(code: Code): number {
  return statusOf[code] ?? 500;
}

// Which backend an error came from, recorded by the clients' interceptor.
const origins = new WeakMap<ConnectError, string>();

/** Client interceptor that remembers which backend answered an error. */
export function rememberBackend(backend: string): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      const error = ConnectError.from(err);
      origins.set(error, backend);
      throw error;
    }
  };
}

export function problemFromBackend(err: unknown, aliases: FieldAliases = {}): Problem {
  const error = ConnectError.from(err);
  const backend = origins.get(error) ?? "a backend service";
  const status = httpStatusFor(error.code);
  const code = codeName(error.code);
  const headers: Record<string, string> = {};
  if (status === 503 || status === 429) headers["Retry-After"] = "1";
  if (status === 401) headers["WWW-Authenticate"] = 'Bearer realm="meshmart"';
  if (status < 500 || status === 501) {
    return new Problem(status, {
      code,
      detail: error.rawMessage,
      violations: fromConnectError(error, aliases),
      headers,
      cause: error,
    });
  }
  const detail =
    error.code === Code.Unavailable
      ? `${backend} is unavailable; retry later`
      : error.code === Code.DeadlineExceeded
        ? `${backend} did not answer in time`
        : `${backend} failed to answer the request`;
  return new Problem(status, { code, detail, headers, cause: error });
}

/** Runs a backend call; its error becomes the caller's problem. */
export async function callBackend<T>(call: () => Promise<T>, aliases: FieldAliases = {}): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw problemFromBackend(err, aliases);
  }
}
