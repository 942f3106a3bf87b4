// Request bodies that Connect would answer as a server error, refused as the
// client mistakes they are before Connect reads them:
// - protobuf bytes that do not decode: connect-es reports them as `internal`
//   (HTTP 500, grpc-status 13); connect-go and this platform say
//   `invalid_argument`;
// - gRPC, gRPC-Web and Connect-streaming frames whose flags byte is not 0 or
//   1 (compressed): connect-es would decode a 0x80 frame as a message.
// Each message is checked on its own (decompressed with the encoding the
// request names) and passed on unchanged.
import { fromBinary, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import {
  compressedFlag,
  createAsyncIterable,
  envelopeDecompress,
  pipe,
  readAllBytes,
  transformJoinEnvelopes,
  transformSplitEnvelope,
  type Compression,
  type EnvelopedMessage,
} from "@connectrpc/connect/protocol";

const compressions: readonly Compression[] = [compressionGzip, compressionBrotli];

/** Frame flags a client may send: none, or compressed. */
const allowedFlags = new Set([0x00, 0x01]);

/** The request body to hand to Connect: checked as it is read, the same bytes otherwise. */
export function checkedRequestBody(
  body: AsyncIterable<Uint8Array>,
  header: Headers,
  input: DescMessage,
  readMaxBytes: number,
): AsyncIterable<Uint8Array> {
  const type = (header.get("content-type") ?? "").toLowerCase();
  const enveloped = /^application\/(grpc|grpc-web|connect)(\+|$|;)/.exec(type);
  if (enveloped) {
    const binary = !/^application\/[a-z-]+\+json/.test(type);
    const encoding = header.get(enveloped[1] === "connect" ? "connect-content-encoding" : "grpc-encoding");
    return pipe(body, transformSplitEnvelope(readMaxBytes), checkEnvelopes(input, binary, compressionNamed(encoding), readMaxBytes), transformJoinEnvelopes());
  }
  if (/^application\/proto(;|$)/.test(type)) return checkUnary(body, input, compressionNamed(header.get("content-encoding")), readMaxBytes, header.get("content-length"));
  return body; // JSON: Connect already answers invalid_argument for what does not parse
}

function compressionNamed(name: string | null): Compression | null | undefined {
  if (!name || name === "identity") return null;
  return compressions.find((c) => c.name === name); // undefined: unknown, Connect refuses it itself
}

function checkEnvelopes(input: DescMessage, binary: boolean, compression: Compression | null | undefined, readMaxBytes: number) {
  return async function* (envelopes: AsyncIterable<EnvelopedMessage>): AsyncIterable<EnvelopedMessage> {
    for await (const envelope of envelopes) {
      if (!allowedFlags.has(envelope.flags)) {
        throw new ConnectError(`invalid frame: flags 0x${envelope.flags.toString(16).padStart(2, "0")} (a request frame may only carry 0x00 or 0x01)`, Code.InvalidArgument);
      }
      if ((envelope.flags & compressedFlag) === compressedFlag && compression === null) {
        throw new ConnectError("invalid frame: compressed, but the request names no encoding", Code.InvalidArgument);
      }
      if (binary && compression !== undefined) {
        const { data } = await asClientMistake(envelopeDecompress(envelope, compression, readMaxBytes));
        decodes(input, data);
      }
      yield envelope;
    }
  };
}

async function* checkUnary(
  body: AsyncIterable<Uint8Array>,
  input: DescMessage,
  compression: Compression | null | undefined,
  readMaxBytes: number,
  lengthHint: string | null,
): AsyncIterable<Uint8Array> {
  const bytes = await readAllBytes(body, readMaxBytes, lengthHint);
  if (compression !== undefined) decodes(input, compression ? await asClientMistake(compression.decompress(bytes, readMaxBytes)) : bytes);
  yield* createAsyncIterable([bytes]);
}

/** Bytes that do not decompress (a truncated gzip stream, say) are the client's: invalid_argument, not internal. */
async function asClientMistake<T>(decompressed: Promise<T>): Promise<T> {
  try {
    return await decompressed;
  } catch (err) {
    const error = ConnectError.from(err);
    if (error.code === Code.Internal) throw new ConnectError(`invalid compressed data: ${error.rawMessage}`, Code.InvalidArgument, undefined, undefined, err);
    throw error;
  }
}

function decodes(input: DescMessage, data: Uint8Array): void {
  try {
    fromBinary(input, data);
  } catch (err) {
    throw new ConnectError(`parse binary: ${(err as Error).message}`, Code.InvalidArgument);
  }
}
