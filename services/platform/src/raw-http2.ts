// Test support: HTTP/2 written by hand on a plain TCP socket, for clients that
// misbehave in ways node:http2 never would (a preface and then silence, more
// streams than the server allows, streams that never end). Headers are HPACK
// literals without indexing or Huffman coding (RFC 7541 §6.2.2), which every
// decoder must accept.
import http2 from "node:http2";
import net from "node:net";

export const frameType = { data: 0x0, headers: 0x1, rstStream: 0x3, settings: 0x4, ping: 0x6, goaway: 0x7 } as const;
export const flags = { endStream: 0x1, ack: 0x1, endHeaders: 0x4 } as const;
export const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

export function frame(type: number, frameFlags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = frameFlags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** A header block of literal fields (never indexed, no Huffman). */
export function headerBlock(headers: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    parts.push(Buffer.from([0x00]), hpackString(name), hpackString(value));
  }
  return Buffer.concat(parts);
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, "latin1");
  return Buffer.concat([hpackInteger(bytes.length, 7), bytes]);
}

function hpackInteger(value: number, prefixBits: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([value]);
  const out = [max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** Splits received bytes into whole frames (a trailing partial frame is left out). */
export function parseFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  for (let at = 0; at + 9 <= bytes.length; ) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    frames.push({ type: bytes[at + 3]!, flags: bytes[at + 4]!, streamId: bytes.readUInt32BE(at + 5) & 0x7fffffff, payload: bytes.subarray(at + 9, at + 9 + length) });
    at += 9 + length;
  }
  return frames;
}

/** The error code of a GOAWAY or RST_STREAM frame. */
export function errorCode(f: Frame): number {
  return f.type === frameType.goaway ? f.payload.readUInt32BE(4) : f.payload.readUInt32BE(0);
}

/** A TCP connection that records every byte it receives and when it closed. */
export interface RawConnection {
  readonly socket: net.Socket;
  received(): Buffer;
  frames(): Frame[];
  /** Resolves with the milliseconds from connecting to the close. */
  readonly closed: Promise<number>;
}

export async function connectRaw(port: number, host = "127.0.0.1"): Promise<RawConnection> {
  const socket = net.connect(port, host);
  socket.on("error", () => {}); // a reset is a close here
  const started = performance.now();
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<number>((resolve) => socket.once("close", () => resolve(performance.now() - started)));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const received = () => Buffer.concat(chunks);
  return { socket, received, frames: () => parseFrames(received().subarray(0)), closed };
}

/** Resolves true if `promise` settles within `ms`. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const result = await Promise.race([promise.then(() => true as const), late]);
  clearTimeout(timer);
  return result;
}

/** A raw HTTP/2 connection past the handshake: preface and SETTINGS sent, the server's SETTINGS acknowledged unseen. */
export async function openRawHttp2(port: number, host = "127.0.0.1"): Promise<RawConnection> {
  const conn = await connectRaw(port, host);
  conn.socket.write(Buffer.concat([preface, frame(frameType.settings, 0, 0), frame(frameType.settings, flags.ack, 0)]));
  return conn;
}

/** Sends one gRPC frame with `frameFlags` and `payload` to `path`; resolves with the grpc-status the server gave. */
export async function grpcStatusOf(url: string, path: string, frameFlags: number, payload: Uint8Array): Promise<string | undefined> {
  const session = http2.connect(url);
  // A session error after the answer (the server's short SETTINGS timeout on a
  // loaded machine) is not this call's result; one before it fails the stream.
  session.on("error", () => {});
  try {
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    const message = Buffer.alloc(5 + payload.length);
    message[0] = frameFlags;
    message.writeUInt32BE(payload.length, 1);
    Buffer.from(payload).copy(message, 5);
    stream.end(message);
    stream.resume();
    return await new Promise((resolve, reject) => {
      let status: string | undefined;
      stream.once("response", (headers: http2.IncomingHttpHeaders) => (status = headers["grpc-status"] as string | undefined));
      stream.once("trailers", (trailers: http2.IncomingHttpHeaders) => (status = trailers["grpc-status"] as string | undefined));
      stream.once("close", () => resolve(status));
      stream.once("error", reject);
    });
  } finally {
    session.close();
  }
}
