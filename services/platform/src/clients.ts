// Connect clients for calling other services by name. Every call carries a
// deadline: the caller's remaining time when there is one, otherwise the
// client's default. The request id and trace context (a CLIENT span's, see
// telemetry/client-spans.ts) travel along. A
// connection the other service refused, reset or cut is `unavailable`.
// Outside the mesh a client also applies the mesh's timeout, retries and
// circuit breaking itself (`policy`, client-policy.ts).
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { currentContext, remainingMs } from "./request-context.ts";
import { rpcClientSpans } from "./telemetry/client-spans.ts";
import { services, type ServiceName } from "@meshmart/topology";
import { withClientPolicy, type ClientPolicy } from "./client-policy.ts";
import { ConfigError, type Env } from "./config.ts";

export interface ClientOptions {
  /** Base URL of the service, e.g. http://catalog:8080. */
  baseUrl: string;
  /** Deadline for calls made outside of any incoming request's deadline. */
  defaultTimeoutMs?: number;
  interceptors?: Interceptor[];
  /**
   * Timeout, retries and circuit breaking for calls to this service when no
   * mesh applies them: `clientPolicy(target, runtime.config.SERVICE_MESH)`.
   * Interceptors run once per try.
   */
  policy?: ClientPolicy;
}

export function createServiceClient<S extends DescService>(service: S, options: ClientOptions): Client<S> {
  const wire = createConnectTransport({
    baseUrl: options.baseUrl,
    // Connect over HTTP/1.1: errors are plain HTTP statuses the mesh can see and retry (503).
    httpVersion: "1.1",
    interceptors: [rpcClientSpans(new URL(options.baseUrl).host), ...(options.interceptors ?? []), brokenConnectionsAsUnavailable],
  });
  const transport = options.policy ? withClientPolicy(wire, options.policy) : wire;
  return createClient(service, withPropagation(transport, options.defaultTimeoutMs ?? 5_000));
}

/** Node error codes of a connection that went away under a call. */
const brokenConnectionCodes = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ECONNABORTED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * connect-node calls a reset connection `aborted` ("socket hang up") and a
 * write to a closed one `internal` (EPIPE): both mean the service could not be
 * reached, which is `unavailable` (retryable; HTTP 503 at the gateway).
 */
const brokenConnectionsAsUnavailable: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (err) {
    const error = ConnectError.from(err);
    if (!error.isWireError && error.code !== Code.Unavailable && causeCodes(error).some((code) => brokenConnectionCodes.has(code))) {
      throw new ConnectError(`${error.rawMessage} (the connection broke)`, Code.Unavailable, undefined, undefined, error);
    }
    throw error;
  }
};

function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let cause = error, depth = 0; cause instanceof Error && depth < 10; cause = cause.cause, depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

/**
 * Where `target` answers: `<TARGET>_URL` if set (local runs), else its Kubernetes
 * DNS name in the namespace (http://catalog:8080).
 */
export function serviceUrl(target: ServiceName, env: Env = process.env): string {
  const variable = `${target.toUpperCase()}_URL`;
  const configured = env[variable];
  if (!configured) return `http://${services[target].name}:8080`;
  // new URL() also accepts "localhost:8081" (scheme "localhost:"), which would only fail at call time.
  const url = URL.canParse(configured) ? new URL(configured) : undefined;
  if (url?.protocol !== "http:" && url?.protocol !== "https:") {
    throw new ConfigError(variable, `must be an absolute http(s) URL such as http://127.0.0.1:8081 (got "${configured}")`);
  }
  return url.toString().replace(/\/$/, "");
}

function withPropagation(inner: Transport, defaultTimeoutMs: number): Transport {
  const deadline = (explicit: number | undefined): number => {
    const left = remainingMs();
    if (left !== undefined && left <= 0) {
      throw new ConnectError("deadline exceeded before the call was made", Code.DeadlineExceeded);
    }
    const candidates = [explicit ?? defaultTimeoutMs, left ?? Infinity];
    return Math.max(1, Math.floor(Math.min(...candidates)));
  };
  // (The Transport interface types its header argument with DOM types this project's lib does not load.)
  const headers = (init: unknown): Headers => {
    const result = new Headers(init as ConstructorParameters<typeof Headers>[0]);
    const context = currentContext();
    if (context) result.set("x-request-id", context.requestId);
    return result;
  };
  return {
    unary: async (method, signal, timeoutMs, header, input, contextValues) =>
      inner.unary(method, signal, deadline(timeoutMs), headers(header), input, contextValues),
    stream: async (method, signal, timeoutMs, header, input, contextValues) =>
      inner.stream(method, signal, deadline(timeoutMs), headers(header), input, contextValues),
  };
}
