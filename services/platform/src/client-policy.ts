// Resilience without a mesh: outside Istio (`make dev`, tests, SERVICE_MESH=none)
// a Connect client applies to its calls the policy the mesh applies in the
// cluster, from the same topology table and numbers (@meshmart/topology
// `services` and `callPolicy`; mesh/src/virtual-service.ts, destination-rule.ts):
//
// - the route timeout: no call to a service outlives its `timeoutMs`;
// - retries (callPolicy.retryAttempts, full-jitter backoff 25-250 ms like
//   Envoy's) only for its `retryableMethods`, each try of a read with the
//   mesh's per-try timeout, and only on the mesh's conditions (connect-failure,
//   refused-stream, reset, 503): `unavailable` (clients.ts maps refused,
//   reset and cut connections to it; HTTP 503 is it) or a try that ran out
//   of its per-try time while the call still had time;
// - a circuit breaker in place of outlier detection: when more than half of
//   the tries in the last callPolicy.outlierIntervalMs failed 5xx-class (at
//   least callPolicy.consecutive5xxErrors of them) the circuit opens and calls
//   fail at once with `unavailable`, for 2 s (breakerOpenMs); then one trial
//   call closes it again or keeps it open. Not Envoy's 30 s ejection: that
//   takes one replica out while the others serve, whereas this breaker stands
//   for every replica of the callee at once (locally: its one process), so 30 s open after a
//   restart of a second or two would be 30 s of refusals for everyone.
//
// Why a failure rate where Envoy counts consecutive 5xx: Envoy ejects one
// replica and never more than half of them (maxEjectionPercent 50), so a
// partial fault costs some capacity; one breaker for the whole callee would
// turn a partial fault (30 % errors, five in a row by chance) into a 30 s
// outage. A rate opens it when the callee as a whole is failing.
//
// Two differences, on the safe side. The mesh matches paths and cannot see
// the request, so it retries PlaceOrder whatever its body; the client
// retries an RPC whose request has an `idempotency_key` field only when the
// key is set. And the per-try timeout (with its retry) applies to reads only
// (`idempotency_level = NO_SIDE_EFFECTS`): a write that is slow under load has
// done its work by the time a retry arrives, which then answers as a replay
// (PlaceOrder: 200, replayed) to a client that sent one request; a write gets
// the whole route timeout and is retried on `unavailable` only. In the mesh (SERVICE_MESH=istio) the client policy is off, so
// a call is never retried twice over. Streams get the route timeout only.
import type { DescMessage, DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { callPolicy, perTryTimeoutMs, services, type ServiceName } from "@meshmart/topology";
import { BrokenCircuitError, CircuitState, SamplingBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import { retrying } from "./retry.ts";

/** Who applies the call policy: `istio` (its sidecars) or `none` (the clients themselves). */
export type ServiceMesh = "none" | "istio";
export const serviceMeshes: readonly ServiceMesh[] = ["none", "istio"];

export interface ClientPolicyOptions {
  readonly retryAttempts: number;
  /** Failed tries in the window below which the circuit stays closed. */
  readonly breakerMinimumFailures: number;
  /** The window the breaker samples. */
  readonly breakerWindowMs: number;
  /** How long the circuit stays open before a trial call. */
  readonly breakerOpenMs: number;
  /** Backoff before the first retry (up to; full jitter), doubling up to maxBackoffMs. Envoy: 25 ms. */
  readonly initialBackoffMs: number;
  /** Envoy: 10 times the base interval. */
  readonly maxBackoffMs: number;
}

export interface ClientPolicy {
  readonly target: ServiceName;
  readonly options: ClientPolicyOptions;
  /** Closed, open or half-open (cockatiel's CircuitState). */
  readonly circuit: () => CircuitState;
}

interface PolicyInternals extends ClientPolicy {
  readonly breaker: CircuitBreakerPolicy;
}

/** How long an open breaker refuses before its trial call (see above). */
export const breakerOpenMs = 2_000;

/**
 * The policy for calls to `target` when nothing else applies it, or
 * undefined in the mesh. `overrides` are for tests (a breaker that reopens in
 * milliseconds); services use the topology's numbers.
 */
export function clientPolicy(target: ServiceName, serviceMesh: ServiceMesh, overrides: Partial<ClientPolicyOptions> = {}): ClientPolicy | undefined {
  if (serviceMesh !== "none") return undefined;
  const options: ClientPolicyOptions = {
    retryAttempts: callPolicy.retryAttempts,
    breakerMinimumFailures: callPolicy.consecutive5xxErrors,
    breakerWindowMs: callPolicy.outlierIntervalMs,
    breakerOpenMs: breakerOpenMs,
    initialBackoffMs: 25,
    maxBackoffMs: 250,
    ...overrides,
  };
  const breaker = circuitBreaker(handleWhen(isServerFailure), {
    halfOpenAfter: options.breakerOpenMs,
    breaker: new SamplingBreaker({
      threshold: breakerFailureRate,
      duration: options.breakerWindowMs,
      // SamplingBreaker counts tries per second: this many in the window, and more than half failed.
      minimumRps: (options.breakerMinimumFailures * 1_000) / options.breakerWindowMs,
    }),
  });
  const policy: PolicyInternals = { target, options, breaker, circuit: () => breaker.state };
  return policy;
}

/** The share of failed tries in the window that opens the circuit (more than half). */
const breakerFailureRate = 0.5;

/** Codes that count against a destination, as 5xx responses and timeouts count for Envoy's outlier detection. */
const serverFailureCodes = new Set([Code.Unavailable, Code.Internal, Code.Unknown, Code.DataLoss, Code.DeadlineExceeded]);

function isServerFailure(err: unknown): boolean {
  return !isCircuitOpen(err) && serverFailureCodes.has(ConnectError.from(err).code);
}

function isCircuitOpen(err: unknown): boolean {
  return err instanceof BrokenCircuitError || (err instanceof ConnectError && err.cause instanceof BrokenCircuitError);
}

/** True when the mesh's policy lets this call be retried: a method marked safe, and its idempotency key set if it has one. */
export function mayRetry(target: ServiceName, method: DescMethod, input: unknown): boolean {
  const service = services[target];
  if (method.parent.typeName !== service.rpcService || !service.retryableMethods.includes(method.name)) return false;
  const key = idempotencyKeyField(method.input);
  if (key === undefined) return true;
  const value = (input as Record<string, unknown> | undefined)?.[key];
  return typeof value === "string" && value !== "";
}

function idempotencyKeyField(message: DescMessage): string | undefined {
  return message.fields.find((field) => field.name === "idempotency_key")?.localName;
}

/** A deadline answered this close to a try's timeout is that timeout (the server may notice it first). */
const timerSlackMs = 20;

/** Wraps a transport so that its unary calls follow `policy` (see the top of this file). */
export function withClientPolicy(inner: Transport, policy: ClientPolicy): Transport {
  const { target, options, breaker } = policy as PolicyInternals;
  const routeTimeoutMs = services[target].timeoutMs;
  const capped = (timeoutMs: number | undefined) => Math.min(timeoutMs ?? routeTimeoutMs, routeTimeoutMs);
  // (The Transport interface types its header argument with DOM types this project's lib does not load.)
  const copy = <H>(header: H): H => new Headers(header as ConstructorParameters<typeof Headers>[0]) as H;

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const totalMs = capped(timeoutMs);
      const deadlineAt = Date.now() + totalMs;
      const retries = mayRetry(target, method, input) ? options.retryAttempts : 0;
      const read = method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS;
      const perTryMs = retries > 0 && read ? perTryTimeoutMs(routeTimeoutMs, retries) : totalMs;
      // Whether the last try ended because its own time ran out (Envoy's "reset": no answer in time).
      let tryTimedOut = false;
      const attempt = async () => {
        const leftMs = deadlineAt - Date.now();
        if (leftMs <= 0) throw new ConnectError(`deadline exceeded: the ${target} route timeout (${routeTimeoutMs} ms) or the caller's`, Code.DeadlineExceeded);
        const tryMs = Math.min(perTryMs, leftMs);
        const started = Date.now();
        try {
          return await breaker.execute(() => inner.unary(method, signal, tryMs, copy(header), input, contextValues));
        } catch (err) {
          tryTimedOut = Date.now() - started >= tryMs - timerSlackMs;
          if (err instanceof BrokenCircuitError) {
            throw new ConnectError(
              `${target} is failing: circuit open, most calls in the last ${options.breakerWindowMs} ms failed (a trial call after ${options.breakerOpenMs} ms)`,
              Code.Unavailable,
              undefined,
              undefined,
              err,
            );
          }
          throw err;
        }
      };
      return retrying(attempt, {
        maxAttempts: 1 + retries,
        initialDelayMs: options.initialBackoffMs,
        maxDelayMs: options.maxBackoffMs,
        signal,
        retryIf: (err) => isRetryCondition(err, tryTimedOut && Date.now() < deadlineAt),
      });
    },
    stream: (method, signal, timeoutMs, header, input, contextValues) => inner.stream(method, signal, capped(timeoutMs), header, input, contextValues),
  };
}

/** connect-failure, refused-stream, reset and 503 (all `unavailable` here), or a try that ran out of its own time while the call has time left. */
function isRetryCondition(err: unknown, timedOutWithTimeLeft: boolean): boolean {
  if (isCircuitOpen(err)) return false;
  const code = ConnectError.from(err).code;
  return code === Code.Unavailable || (code === Code.DeadlineExceeded && timedOutWithTimeLeft);
}
