// The gateway's settings beyond the platform's (PORT, LOG_LEVEL, ...).
import { ConfigError, int, list, productCacheConfig, str, type Setting } from "@meshmart/platform";
import { parseJwks, type PublicKeySet } from "./jwt.ts";

/** Required; a bad value is named without being echoed (it may hold a private key by mistake). */
const jwks: Setting<PublicKeySet> = {
  read(env, name) {
    const raw = env[name];
    if (!raw) throw new ConfigError(name, "is required but not set");
    try {
      return parseJwks(raw);
    } catch (err) {
      throw new ConfigError(name, (err as Error).message);
    }
  },
};

export const gatewayConfig = {
  /**
   * The token issuer's public keys (a JSON Web Key Set): tokens signed with
   * the matching private keys (ES256, RS256 or EdDSA) are accepted, and the
   * gateway holds nothing that could sign one. `make dev` and the tests give
   * it the public keys of @meshmart/dev-identity; a cluster, its
   * installation's key set or an identity provider's.
   */
  JWT_JWKS: jwks,
  /** Expected `iss` claim. */
  JWT_ISSUER: str("meshmart"),
  /** Expected `aud` claim. */
  JWT_AUDIENCE: str("meshmart-api"),
  /** Sustained requests per second per client (JWT subject, else IP); 0 turns rate limiting off. */
  RATE_LIMIT_RPS: int({ default: 20, min: 0, max: 1_000_000 }),
  /** Requests a client may make at once: its allowance per window of RATE_LIMIT_BURST / RATE_LIMIT_RPS seconds. */
  RATE_LIMIT_BURST: int({ default: 40, min: 1, max: 1_000_000 }),
  /** Deadline of each backend call when the client gave none. */
  BACKEND_TIMEOUT_MS: int({ default: 5_000, min: 1, max: 300_000 }),
  /** Admission control (order-admission.ts): saga time new orders should keep; 0 turns the saga check off. */
  ADMISSION_SAGA_TARGET_MS: int({ default: 1_000, min: 0, max: 600_000 }),
  /** Pending sagas always admitted, whatever the rate of decisions. */
  ADMISSION_MIN_PENDING: int({ default: 50, min: 1, max: 1_000_000 }),
  /** PlaceOrder calls the gateway has in flight at most; past it new orders get 503. */
  ADMISSION_MAX_IN_FLIGHT: int({ default: 256, min: 1, max: 1_000_000 }),
  /** How often (at most) admission control reads orders' saga load. */
  ADMISSION_POLL_MS: int({ default: 200, min: 10, max: 60_000 }),
  /** PRODUCT_CACHE_TTL_MS (0: off), PRODUCT_CACHE_MAX_ENTRIES: GET /products and /products/{id}, kept fresh by catalog's events (needs KAFKA_BROKERS). */
  ...productCacheConfig,
  /** The broker of the product cache's invalidation feed; unset, the cache stays off. */
  KAFKA_BROKERS: list([]),
  KAFKA_TOPIC_PREFIX: str(""),
};
