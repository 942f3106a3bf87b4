// A CLIENT span for every RPC a service makes (Connect interceptor), whose
// context goes to the callee in traceparent/tracestate.
import { SpanKind, context, trace } from "@opentelemetry/api";
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { ATTR_RPC_METHOD, ATTR_RPC_STATUS_CODE, ATTR_RPC_SYSTEM_NAME, ATTR_SERVER_ADDRESS } from "@opentelemetry/semantic-conventions";
import { recordError } from "./spans.ts";
import { codeName } from "../metrics.ts";
import { injectInto } from "./trace-context.ts";
import { platformTracer } from "./tracing.ts";

export function rpcClientSpans(target: string): Interceptor {
  return (next) => async (req) => {
    const name = `${req.service.typeName}/${req.method.name}`;
    const span = platformTracer().startSpan(name, {
      kind: SpanKind.CLIENT,
      attributes: { [ATTR_RPC_SYSTEM_NAME]: "connectrpc", [ATTR_RPC_METHOD]: name, [ATTR_SERVER_ADDRESS]: target },
    });
    const active = trace.setSpan(context.active(), span);
    injectInto(req.header, active);
    try {
      const res = await context.with(active, () => next(req));
      span.setAttribute(ATTR_RPC_STATUS_CODE, "ok");
      return res;
    } catch (err) {
      const code = codeName(ConnectError.from(err).code);
      span.setAttribute(ATTR_RPC_STATUS_CODE, code);
      recordError(span, err, code);
      throw err;
    } finally {
      span.end();
    }
  };
}
