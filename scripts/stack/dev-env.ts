// Settings for local runs (`make dev`, `make demo`, `make token`): seed data,
// the gateway's dev-only JWT secret, and a payment decline rate so that the
// demo sees both outcomes. Override any of them from the environment.
import { devJwtSecret } from "../../services/gateway/src/gateway-config.ts";

export const devJwt = {
  JWT_SECRET: process.env.JWT_SECRET ?? devJwtSecret,
  JWT_ISSUER: process.env.JWT_ISSUER ?? "meshmart",
  JWT_AUDIENCE: process.env.JWT_AUDIENCE ?? "meshmart-api",
};

export const devEnv: Record<string, string> = {
  LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
  CATALOG_SEED: "true",
  INVENTORY_SEED: "true",
  PAYMENT_DECLINE_RATE: process.env.PAYMENT_DECLINE_RATE ?? "0.15",
  SAGA_TIMEOUT_MS: process.env.SAGA_TIMEOUT_MS ?? "30000",
  ...devJwt,
};
