// The public surface of @meshmart/platform.
export * from "./config.ts";
export * from "./clients.ts";
export * from "./database.ts";
export * from "./health.ts";
export * from "./logger.ts";
export * from "./metrics.ts";
export * from "./request-context.ts";
export * from "./service.ts";
export * from "@meshmart/topology";
export * from "./errors.ts";
export * from "./page-token.ts";
export * from "./fault-switch.ts";
export * from "./log-limiter.ts";
export * from "./server-limits.ts";
export * from "./events/index.ts";
