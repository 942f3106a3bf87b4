// What services use of the platform's tracing: spans of their own, attributes
// on the active span, the active trace's ids.
export { annotateSpan, inSpan, meshmartAttributes, recordError, type SpanSettings } from "./spans.ts";
export { activeTraceIds } from "./trace-context.ts";
export { tracingConfig, type TracingConfig } from "./tracing.ts";
