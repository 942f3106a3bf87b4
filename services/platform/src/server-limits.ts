// The limits of the one-port server (server.ts): how long a connection may
// take to say what it wants, how much it may ask for at once, and how many
// connections and requests a process holds. Each is an env setting of every
// service; docs/limits.md says why each default is what it is.
import { ConfigError, int, loadConfig, type ConfigOf, type Env } from "./config.ts";

export const serverLimitsConfig = {
  /** A new connection must send its first bytes (request line or HTTP/2 preface) within this. */
  HTTP_SNIFF_TIMEOUT_MS: int({ default: 5_000, min: 1, max: 600_000 }),
  /** HTTP/1.1: the request headers must be complete this long after the request started. */
  HTTP_HEADERS_TIMEOUT_MS: int({ default: 10_000, min: 1, max: 600_000 }),
  /** The whole request (headers and body, HTTP/1.1 request or HTTP/2 stream) must arrive within this. */
  HTTP_REQUEST_TIMEOUT_MS: int({ default: 30_000, min: 1, max: 3_600_000 }),
  /** HTTP/1.1: an idle keep-alive connection is closed after this. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int({ default: 65_000, min: 1, max: 3_600_000 }),
  /** HTTP/1.1: requests served on one connection before it is closed (0: no limit). */
  HTTP_MAX_REQUESTS_PER_CONNECTION: int({ default: 1_000, min: 0, max: 1_000_000_000 }),
  /** Largest request header block, in bytes (HTTP/1.1 request line and headers; HTTP/2 header list). */
  HTTP_MAX_HEADER_BYTES: int({ default: 16_384, min: 1_024, max: 1_048_576 }),
  /** Largest request message (Connect, gRPC, gRPC-Web), in bytes. */
  HTTP_MAX_REQUEST_BYTES: int({ default: 262_144, min: 1_024, max: 67_108_864 }),
  /** HTTP/2: a connection with no open stream and no frame for this long gets GOAWAY. */
  HTTP2_IDLE_TIMEOUT_MS: int({ default: 65_000, min: 1, max: 3_600_000 }),
  /** HTTP/2: the client must acknowledge the server's SETTINGS within this. */
  HTTP2_SETTINGS_TIMEOUT_MS: int({ default: 10_000, min: 1, max: 600_000 }),
  /** HTTP/2: streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). */
  HTTP2_MAX_CONCURRENT_STREAMS: int({ default: 100, min: 1, max: 10_000 }),
  /** Connections a process holds for RPCs and routes; past it, see PROBE_CONNECTIONS. */
  MAX_CONNECTIONS: int({ default: 1_000, min: 1, max: 1_000_000 }),
  /** Connections beyond MAX_CONNECTIONS that may only ask for /healthz, /readyz and /metrics. */
  PROBE_CONNECTIONS: int({ default: 16, min: 1, max: 10_000 }),
  /** Requests (HTTP/1.1 requests plus HTTP/2 streams) a process serves at once, probes not counted. */
  MAX_CONCURRENT_REQUESTS: int({ default: 256, min: 1, max: 1_000_000 }),
};

/** The limits, named by their settings so that code, logs and docs say the same. */
export type ServerLimits = ConfigOf<typeof serverLimitsConfig>;

/** Reads the limits from `env` (defaults for what is unset); throws ConfigError when they contradict each other. */
export function loadServerLimits(env: Env = {}): ServerLimits {
  return checkServerLimits(loadConfig(serverLimitsConfig, env));
}

export function checkServerLimits(limits: ServerLimits): ServerLimits {
  if (limits.HTTP_HEADERS_TIMEOUT_MS > limits.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError(
      "HTTP_HEADERS_TIMEOUT_MS",
      `must not be longer than HTTP_REQUEST_TIMEOUT_MS (${limits.HTTP_REQUEST_TIMEOUT_MS}) (got "${limits.HTTP_HEADERS_TIMEOUT_MS}")`,
    );
  }
  return limits;
}
