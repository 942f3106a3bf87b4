// connectrpc.conformance.v1.ConformanceService as the conformance runner
// expects a server to implement it: each request says what to answer
// (headers, trailers, data, an error, a delay), and each answer echoes what
// the server saw (request headers, the requests, the timeout), so that the
// runner can check both directions. Unimplemented is left unimplemented on
// purpose: the runner expects the code unimplemented for it.
import { create } from "@bufbuild/protobuf";
import { anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  BidiStreamRequestSchema,
  ClientStreamRequestSchema,
  ConformancePayload_RequestInfoSchema,
  ConformanceService,
  IdempotentUnaryRequestSchema,
  ServerStreamRequestSchema,
  UnaryRequestSchema,
  type ConformancePayload,
  type ConformancePayload_RequestInfo,
  type Error as ErrorDefinition,
  type Header,
  type StreamResponseDefinition,
  type UnaryResponseDefinition,
} from "../gen/connectrpc/conformance/v1/service_pb.ts";

export function conformanceRoutes(router: ConnectRouter): void {
  router.service(ConformanceService, {
    unary: (request, context) => unaryAnswer(request.responseDefinition, [anyPack(UnaryRequestSchema, request)], context),
    idempotentUnary: (request, context) => unaryAnswer(request.responseDefinition, [anyPack(IdempotentUnaryRequestSchema, request)], context),

    async clientStream(requests, context) {
      let definition: UnaryResponseDefinition | undefined;
      const received: Any[] = [];
      for await (const request of requests) {
        definition ??= request.responseDefinition;
        received.push(anyPack(ClientStreamRequestSchema, request));
      }
      return unaryAnswer(definition, received, context);
    },

    async *serverStream(request, context) {
      const definition = request.responseDefinition;
      const received = [anyPack(ServerStreamRequestSchema, request)];
      setHeadersAndTrailers(definition, context);
      for (const [i, data] of (definition?.responseData ?? []).entries()) {
        await sleep(definition?.responseDelayMs ?? 0);
        yield { payload: payload(data, i === 0 ? requestInfo(context, received) : undefined) };
      }
      if (definition?.error) throw errorOf(definition.error, definition.responseData.length === 0 ? requestInfo(context, received) : undefined);
    },

    async *bidiStream(requests, context) {
      let definition: StreamResponseDefinition | undefined;
      let fullDuplex = false;
      let sent = 0;
      let received: Any[] = [];
      for await (const request of requests) {
        if (!definition) {
          definition = request.responseDefinition;
          fullDuplex = request.fullDuplex;
          setHeadersAndTrailers(definition, context);
        }
        received.push(anyPack(BidiStreamRequestSchema, request));
        if (!fullDuplex) continue;
        // Full duplex: one answer per request, as long as answers are left.
        if (!definition || sent >= definition.responseData.length) break;
        await sleep(definition.responseDelayMs);
        yield { payload: payload(definition.responseData[sent]!, requestInfo(context, received)) };
        sent++;
        received = [];
      }
      // Half duplex (nothing sent yet), or more answers asked for than requests came: the rest now.
      const info = requestInfo(context, received);
      for (; definition && sent < definition.responseData.length; sent++) {
        await sleep(definition.responseDelayMs);
        yield { payload: payload(definition.responseData[sent]!, sent === 0 ? info : undefined) };
      }
      if (definition?.error) throw errorOf(definition.error, definition.responseData.length === 0 ? info : undefined);
    },
  });
}

async function unaryAnswer(definition: UnaryResponseDefinition | undefined, received: Any[], context: HandlerContext): Promise<{ payload: ConformancePayload }> {
  setHeadersAndTrailers(definition, context);
  const info = requestInfo(context, received);
  if (definition?.response.case === "error") throw errorOf(definition.response.value, info);
  await sleep(definition?.responseDelayMs ?? 0);
  return { payload: payload(definition?.response.case === "responseData" ? definition.response.value : new Uint8Array(0), info) };
}

function payload(data: Uint8Array, requestInfo: ConformancePayload_RequestInfo | undefined): ConformancePayload {
  return { $typeName: "connectrpc.conformance.v1.ConformancePayload", data, requestInfo };
}

/** What the server saw: the request headers, the requests, the timeout it was given. */
function requestInfo(context: HandlerContext, requests: Any[]): ConformancePayload_RequestInfo {
  const timeoutMs = context.timeoutMs();
  return create(ConformancePayload_RequestInfoSchema, {
    requestHeaders: [...groupHeaders(context.requestHeader)],
    requests,
    timeoutMs: timeoutMs === undefined ? undefined : BigInt(timeoutMs),
  });
}

function* groupHeaders(headers: Headers): Iterable<Header> {
  const byName = new Map<string, string[]>();
  headers.forEach((value, name) => byName.set(name, [...(byName.get(name) ?? []), value]));
  for (const [name, value] of byName) yield { $typeName: "connectrpc.conformance.v1.Header", name, value };
}

function setHeadersAndTrailers(definition: { responseHeaders: Header[]; responseTrailers: Header[] } | undefined, context: HandlerContext): void {
  for (const header of definition?.responseHeaders ?? []) for (const value of header.value) context.responseHeader.append(header.name, value);
  for (const trailer of definition?.responseTrailers ?? []) for (const value of trailer.value) context.responseTrailer.append(trailer.name, value);
}

/** The error the request asked for, its details as given, plus (when asked) what the server saw. */
function errorOf(definition: ErrorDefinition, info: ConformancePayload_RequestInfo | undefined): ConnectError {
  const details = [...definition.details, ...(info ? [anyPack(ConformancePayload_RequestInfoSchema, info)] : [])];
  const error = new ConnectError(definition.message ?? "", definition.code as number);
  // As they are (type and bytes): the runner compares them byte for byte.
  error.details.push(...details.map((any) => ({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1), value: any.value })));
  return error;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
