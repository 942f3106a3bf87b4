// Settings for local runs (`make dev`, `make demo`): seed data, a dev JWT
// secret, and a payment decline rate so that the demo sees both outcomes.
// Override any of them from the environment.
export const devJwt = {
  JWT_SECRET: process.env.JWT_SECRET ?? "meshmart-dev-secret-do-not-use-in-production-0123456789",
  JWT_ISSUER: process.env.JWT_ISSUER ?? "meshmart-dev",
  JWT_AUDIENCE: process.env.JWT_AUDIENCE ?? "meshmart",
};

export const devEnv: Record<string, string> = {
  LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
  CATALOG_SEED: "true",
  INVENTORY_SEED: "true",
  PAYMENT_DECLINE_RATE: process.env.PAYMENT_DECLINE_RATE ?? "0.15",
  SAGA_TIMEOUT_MS: process.env.SAGA_TIMEOUT_MS ?? "30000",
  ...devJwt,
};
