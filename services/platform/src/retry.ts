// The one way the platform retries: exponential backoff with full jitter
// (cockatiel), bounded by attempts, a deadline or an abort signal, and every
// retry reported. Full jitter spreads replicas that failed together (a broker
// or database restart) instead of having them retry in lockstep.
import { ExponentialBackoff, fullJitterGenerator, handleAll, handleWhen, retry, TaskCancelledError } from "cockatiel";

export interface RetryOptions {
  /** First delay's upper bound (default 200 ms); each next one doubles, up to maxDelayMs. */
  readonly initialDelayMs?: number;
  /** Largest delay (default 5 s). */
  readonly maxDelayMs?: number;
  /** Attempts in all, the first included (default: unbounded). */
  readonly maxAttempts?: number;
  /** Stop retrying once this much time has passed (the last error is thrown). */
  readonly deadlineMs?: number;
  /** Stop retrying when aborted (the last error, or the abort reason, is thrown). */
  readonly signal?: AbortSignal;
  /** Which errors are worth another attempt (default: all). */
  readonly retryIf?: (err: Error) => boolean;
  /** Called before each wait: log it, count it. */
  readonly onRetry?: (err: Error, delayMs: number, attempt: number) => void;
}

/** Runs `work` until it resolves, retrying as `options` say; rejects with the last error when it gives up. */
export async function retrying<T>(work: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retryIf = options.retryIf;
  const policy = retry(retryIf ? handleWhen((err) => retryIf(asError(err))) : handleAll, {
    maxAttempts: options.maxAttempts === undefined ? Infinity : Math.max(0, options.maxAttempts - 1),
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 200, maxDelay: options.maxDelayMs ?? 5_000, generator: fullJitterGenerator }),
  });
  let lastError: Error | undefined;
  policy.onRetry((event) => {
    if ("error" in event) {
      lastError = asError(event.error);
      options.onRetry?.(lastError, event.delay, event.attempt);
    }
  });
  const signals = [options.signal, options.deadlineMs === undefined ? undefined : AbortSignal.timeout(options.deadlineMs)].filter((s): s is AbortSignal => s !== undefined);
  const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
  try {
    return await policy.execute(({ attempt }) => work(attempt + 1), signal);
  } catch (err) {
    // Cancelled while waiting: the error that made us wait is the one worth reporting.
    if (err instanceof TaskCancelledError && lastError) throw lastError;
    throw err;
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
