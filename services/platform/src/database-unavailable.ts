// A handler that failed because its database could not be reached (refused,
// reset, restarting, pool connect timeout: database.ts isConnectionError)
// answers `unavailable`, which callers retry and the gateway turns into 503
// with Retry-After, not `internal` (a 500 the client cannot act on). Found by
// the postgres-restart scenario: PlaceOrder answered 500 while PostgreSQL
// restarted.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { isConnectionError } from "./database.ts";

export const databaseErrorsAsUnavailable: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    if (!(err instanceof ConnectError) && isConnectionError(err)) {
      throw new ConnectError(`the database is unavailable (${(err as Error).message}); retry later`, Code.Unavailable, undefined, undefined, err);
    }
    throw err;
  }
};
