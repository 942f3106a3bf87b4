// The gateway's settings beyond the platform's (PORT, LOG_LEVEL, ...). The
// token command (issue-token.ts) reads the same JWT ones, so a token it
// issues is one the gateway accepts.
import { int, optionalSecret, setting, str } from "@meshmart/platform";
import { parseJwks, type PublicKeySet } from "./jwt.ts";

/** HS256 wants a key at least as long as its 256-bit hash. */
export const minSecretLength = 32;

/**
 * A secret for local runs only (`make dev`, `make token`). Anyone can read it
 * here, so it is never a default: it must be passed explicitly.
 */
export const devJwtSecret = "meshmart-dev-only-secret-not-for-production-use";

export const jwtConfig = {
  /**
   * HS256 signing key shared by the gateway and whoever issues tokens; at
   * least 32 characters. For local runs; set JWT_JWKS instead in a cluster.
   */
  JWT_SECRET: optionalSecret(minSecretLength),
  /**
   * The token issuer's public keys (a JSON Web Key Set): tokens signed with
   * the matching private keys (ES256, RS256 or EdDSA) are accepted, and the
   * gateway holds nothing that could sign one. Exactly one of JWT_SECRET and
   * JWT_JWKS must be set.
   */
  JWT_JWKS: setting<PublicKeySet | undefined>(parseJwks, () => undefined),
  /** Expected `iss` claim. */
  JWT_ISSUER: str("meshmart"),
  /** Expected `aud` claim. */
  JWT_AUDIENCE: str("meshmart-api"),
};

export const gatewayConfig = {
  ...jwtConfig,
  /** Sustained requests per second per client (JWT subject, else IP); 0 turns rate limiting off. */
  RATE_LIMIT_RPS: int({ default: 20, min: 0, max: 1_000_000 }),
  /** Requests a client may make at once before being held to RATE_LIMIT_RPS. */
  RATE_LIMIT_BURST: int({ default: 40, min: 1, max: 1_000_000 }),
  /** Deadline of each backend call when the client gave none. */
  BACKEND_TIMEOUT_MS: int({ default: 5_000, min: 1, max: 300_000 }),
};
