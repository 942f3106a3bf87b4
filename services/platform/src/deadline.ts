// Reads the caller's deadline from the protocol headers: Connect sends
// connect-timeout-ms, gRPC and gRPC-Web send grpc-timeout ("250m", "2S", ...).
const grpcUnits: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };

/** Absolute deadline (epoch ms) from the request headers, or undefined. */
export function deadlineFromHeaders(get: (name: string) => string | undefined, now = Date.now()): number | undefined {
  const connect = get("connect-timeout-ms");
  if (connect && /^\d{1,10}$/.test(connect)) return now + Number(connect);
  const grpc = get("grpc-timeout");
  const match = grpc ? /^(\d{1,8})([HMSmun])$/.exec(grpc) : null;
  if (match) return now + Number(match[1]) * grpcUnits[match[2]!]!;
  return undefined;
}
