// Jaeger v2's configuration (an OpenTelemetry Collector configuration with
// Jaeger's extensions), the same for the local Jaeger of `make dev` and the
// tests (on 127.0.0.1) and the cluster's (on 0.0.0.0): OTLP in over gRPC and
// HTTP, an in-memory store, the query API and UI, a health endpoint. Jaeger's
// self-tracing is off (it would send its own query spans to
// 127.0.0.1:4317, i.e. into itself), and so is the collector's own metrics
// server (0.0.0.0:8888 by default).
import { stringify } from "yaml";

export interface JaegerPorts {
  /** Query API and UI (/api/traces, /search). */
  query: number;
  /** Query API over gRPC. */
  queryGrpc: number;
  otlpGrpc: number;
  otlpHttp: number;
  health: number;
}

/** The ports upstream documents (and every OpenTelemetry SDK defaults to). */
export const standardJaegerPorts: JaegerPorts = { query: 16686, queryGrpc: 16685, otlpGrpc: 4317, otlpHttp: 4318, health: 13133 };

export function jaegerConfig(ports: JaegerPorts, host = "127.0.0.1", maxTraces = 50_000): string {
  const at = (port: number) => `${host}:${port}`;
  return stringify({
    service: {
      extensions: ["jaeger_storage", "jaeger_query", "healthcheckv2"],
      pipelines: { traces: { receivers: ["otlp"], processors: ["batch"], exporters: ["jaeger_storage_exporter"] } },
      telemetry: { resource: { "service.name": "jaeger" }, metrics: { level: "none" }, logs: { level: "info" } },
    },
    extensions: {
      healthcheckv2: { use_v2: true, http: { endpoint: at(ports.health) } },
      jaeger_query: {
        storage: { traces: "memstore" },
        enable_tracing: false,
        http: { endpoint: at(ports.query) },
        grpc: { endpoint: at(ports.queryGrpc) },
      },
      jaeger_storage: { backends: { memstore: { memory: { max_traces: maxTraces } } } },
    },
    receivers: { otlp: { protocols: { grpc: { endpoint: at(ports.otlpGrpc) }, http: { endpoint: at(ports.otlpHttp) } } } },
    processors: { batch: {} },
    exporters: { jaeger_storage_exporter: { trace_storage: "memstore" } },
  });
}

