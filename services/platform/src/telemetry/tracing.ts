// The process's OpenTelemetry tracer provider. Spans always get real ids (logs
// and error bodies quote them, and traceparent travels on every call and
// event), but they leave the process only when OTEL_EXPORTER_OTLP_ENDPOINT
// names an OTLP/HTTP receiver (Jaeger, a collector): export is off otherwise.
// Sampling follows OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, the
// standard variables, read here so that a bad value names itself.
//
// One provider per process: the first service started in a process
// configures it (its name becomes service.name); services started later in
// the same process (some tests) share it.
import { trace, type Tracer } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME, ATTR_SERVICE_NAMESPACE } from "@opentelemetry/semantic-conventions";
import { fraction, oneOf, setting, type ConfigOf } from "../config.ts";
import { installTraceContext } from "./trace-context.ts";

const samplers = ["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"] as const;

export const tracingConfig = {
  /** OTLP/HTTP (protobuf) receiver, e.g. http://127.0.0.1:4318; spans go to <it>/v1/traces. Unset: no export. */
  OTEL_EXPORTER_OTLP_ENDPOINT: setting((raw) => {
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    if (url?.protocol !== "http:" && url?.protocol !== "https:") throw new Error("must be an http(s) URL such as http://127.0.0.1:4318");
    return url.toString().replace(/\/$/, "");
  }, ""),
  OTEL_TRACES_SAMPLER: oneOf(samplers, "parentbased_always_on"),
  /** The ratio of the traceidratio samplers. */
  OTEL_TRACES_SAMPLER_ARG: fraction(1),
};
export type TracingConfig = ConfigOf<typeof tracingConfig>;

/** The tracer the platform's spans come from. */
export const instrumentationName = "@meshmart/platform";

interface ProcessTracing {
  provider: NodeTracerProvider;
  service: string;
  exporting: boolean;
}

let current: ProcessTracing | undefined;

export function samplerFor(config: Pick<TracingConfig, "OTEL_TRACES_SAMPLER" | "OTEL_TRACES_SAMPLER_ARG">): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG);
  switch (config.OTEL_TRACES_SAMPLER) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio;
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio });
    case "parentbased_always_on":
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Configures the process's tracing for `service` (once: later calls in the
 * same process keep the first configuration) and returns whether spans are
 * exported.
 */
export function startTracing(service: string, config: TracingConfig): { exporting: boolean; endpoint?: string } {
  if (current && current.service !== "") return { exporting: current.exporting };
  installTraceContext();
  const spanProcessors: SpanProcessor[] = [];
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint) {
    // Batches leave at least every second: a trace is readable in the backend soon after the saga ends.
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }), { scheduledDelayMillis: 1_000, maxQueueSize: 8_192 }));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: service, [ATTR_SERVICE_NAMESPACE]: "meshmart" }),
    sampler: samplerFor(config),
    spanProcessors,
  });
  const previous = current;
  current = { provider, service, exporting: spanProcessors.length > 0 };
  trace.setGlobalTracerProvider(provider);
  void previous?.provider.shutdown().catch(() => {});
  return endpoint ? { exporting: true, endpoint } : { exporting: false };
}

/** The platform's tracer (before any service configured tracing: one that makes ids but exports nothing). */
export function platformTracer(): Tracer {
  if (!current) {
    installTraceContext();
    current = { provider: new NodeTracerProvider({ resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: "meshmart" }) }), service: "", exporting: false };
  }
  return current.provider.getTracer(instrumentationName);
}

/** Sends what is buffered (graceful shutdown, before the process exits). */
export async function flushTracing(): Promise<void> {
  await current?.provider.forceFlush().catch(() => {});
}
