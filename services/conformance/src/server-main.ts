// The server under test for `connectconformance --mode server`: it reads a
// ServerCompatRequest from stdin (4-byte big-endian length, then the
// message), starts the conformance service on the platform's own server
// (startService: the Koa mount, h2c sniffing, limits, interceptors and
// middleware every meshmart service gets) and answers a ServerCompatResponse
// on stdout the same way. Logs go to stderr; SIGTERM stops it gracefully.
//
// One port serves HTTP/1.1 and h2c whatever HTTP version the runner asks
// for; TLS is not the platform's (the mesh does it), so it is refused.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { startService } from "@meshmart/platform/service";
import { ServerCompatRequestSchema, ServerCompatResponseSchema } from "../gen/connectrpc/conformance/v1/server_compat_pb.ts";
import { conformanceRoutes } from "./conformance-service.ts";

const request = fromBinary(ServerCompatRequestSchema, await readDelimited(process.stdin));
if (request.useTls) {
  process.stderr.write("conformance server: TLS is not served by the platform (supportsTls: false in conformance-server.yaml)\n");
  process.exit(1);
}

const service = await startService(
  {
    // Any name of the topology with no database and no events (the platform names its logs and metrics by it).
    name: "gateway",
    rpc: (router) => conformanceRoutes(router),
  },
  {
    env: {
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "fatal",
      SHUTDOWN_TIMEOUT_MS: "2000",
      ...(request.messageReceiveLimit > 0 ? { HTTP_MAX_REQUEST_BYTES: String(request.messageReceiveLimit) } : {}),
    },
    handleSignals: true,
    logDestination: process.stderr,
  },
);

process.stdout.write(delimited(toBinary(ServerCompatResponseSchema, create(ServerCompatResponseSchema, { host: "127.0.0.1", port: service.port }))));

async function readDelimited(stream: AsyncIterable<Buffer>): Promise<Uint8Array> {
  let buffered = Buffer.alloc(0);
  for await (const chunk of stream) {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) break;
  }
  if (buffered.length < 4 || buffered.length < 4 + buffered.readUInt32BE(0)) throw new Error("stdin ended before a whole ServerCompatRequest arrived");
  return buffered.subarray(4, 4 + buffered.readUInt32BE(0));
}

function delimited(message: Uint8Array): Uint8Array {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(message.length, 0);
  return Buffer.concat([prefix, message]);
}
