// The public surface of @meshmart/platform: what a service builds on.
export * from "./config.ts";
export { clientPolicy, type ClientPolicy, type ServiceMesh } from "./client-policy.ts";
export * from "./clients.ts";
export * from "./database.ts";
export * from "./errors.ts";
export * from "./events/index.ts";
export * from "./fault-switch.ts";
export * from "./health.ts";
export * from "./log-limiter.ts";
export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./migrations.ts";
export * from "./page-token.ts";
export * from "./request-context.ts";
export * from "./retry.ts";
export * from "./server-limits.ts";
export * from "./service.ts";
export * from "./telemetry/index.ts";
