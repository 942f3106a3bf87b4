// Settings for local runs (`make dev`, `make demo`, `make token`, the tests'
// stacks): seed data, the gateway's token issuer (the "dev" key pair of
// @meshmart/dev-identity in .local/keys/dev/: the gateway gets its public
// keys, `devTokenFor` signs), and a payment decline rate so that the demo
// sees both outcomes. Override any of them from the environment.
import { defaultAudience, defaultIssuer, devToken } from "@meshmart/dev-identity/dev-token";
import { ensureSigningKey, keyDirectory } from "@meshmart/dev-identity/signing-key";

/** The key pair of local runs. */
export const devKeyName = "dev";

export const devJwt = {
  JWT_JWKS: process.env.JWT_JWKS ?? ensureSigningKey(keyDirectory(devKeyName)).jwks,
  JWT_ISSUER: process.env.JWT_ISSUER ?? defaultIssuer,
  JWT_AUDIENCE: process.env.JWT_AUDIENCE ?? defaultAudience,
};

/** A token the local gateway accepts, for `subject` (default lifetime one hour). */
export function devTokenFor(subject: string, ttlSeconds = 3_600): Promise<string> {
  return devToken({ subject, ttlSeconds, keyName: devKeyName, issuer: devJwt.JWT_ISSUER, audience: devJwt.JWT_AUDIENCE });
}

export const devEnv: Record<string, string> = {
  LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
  CATALOG_SEED: "true",
  INVENTORY_SEED: "true",
  PAYMENT_DECLINE_RATE: process.env.PAYMENT_DECLINE_RATE ?? "0.15",
  SHIPPING_FAILURE_RATE: process.env.SHIPPING_FAILURE_RATE ?? "0.1",
  SAGA_TIMEOUT_MS: process.env.SAGA_TIMEOUT_MS ?? "30000",
  ...devJwt,
};
