// What a failed request logs, and at which level: real server faults at
// ERROR with their stack, client mistakes and clients that went away at most
// at INFO, all rate-limited (log-limiter.ts) so that no client can flood the
// log.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type Koa from "koa";
import type { LogLimiter } from "./log-limiter.ts";

/** Error codes of a socket or stream whose client went away or broke the protocol. */
const clientGoneCodes = new Set([
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ERR_STREAM_PREMATURE_CLOSE",
  "ERR_HTTP2_ERROR", // nghttp2 refused what the peer sent (a protocol error)
  "ERR_HTTP2_STREAM_ERROR", // the peer reset the stream
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_INVALID_STREAM",
  "ERR_HTTP2_SETTINGS_TIMEOUT", // server.ts ends a session whose client never acknowledged SETTINGS
]);

/** Koa's "error" events: a client that hung up, or an HTTP error a route threw on purpose, is not our fault. */
export function logHttpErrors(app: Koa, log: LogLimiter): void {
  app.on("error", (err: Error & { status?: number; code?: string }) => {
    const clientSide = (err.status !== undefined && err.status < 500) || clientGoneCodes.has(err.code ?? "");
    if (clientSide) log.log("info", "http-client-error", { status: err.status, code: err.code, err: err.message }, "HTTP request failed on the client's side");
    else log.log("error", "http-error", { err }, "unhandled HTTP error");
  });
}

/**
 * Internal errors are logged with their stack (rate-limited per RPC: a client
 * that found a bug must not flood the log with it); expected codes only at debug.
 */
export function rpcErrorLogging(log: LogLimiter): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      const error = ConnectError.from(err);
      const rpc = `${req.service.typeName}/${req.method.name}`;
      const fields = { rpc, code: Code[error.code] };
      if (error.code === Code.Internal || error.code === Code.Unknown) log.log("error", `rpc-failed ${rpc}`, { ...fields, err }, "rpc failed");
      else log.log("debug", `rpc-error ${rpc} ${error.code}`, { ...fields, msg: error.rawMessage }, "rpc returned an error");
      throw err;
    }
  };
}
