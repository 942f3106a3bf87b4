// Toxiproxy as the scenarios run it: the real server (ensure-tool.sh), a proxy
// in front of a TCP echo server, and the toxics the scenarios use acting on
// real connections: latency, a disabled proxy refusing, reset_peer cutting.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import { startToxiproxy, type ToxiproxyHandle } from "./toxiproxy.ts";

let toxiproxy: ToxiproxyHandle;
let echo: net.Server;
let echoPort: number;
const base = Number(process.env.MESHMART_TOXIPROXY_PORT ?? 18400);
const proxyPort = base + 59;

before(async () => {
  echo = net.createServer((socket) => {
    socket.on("error", () => {}); // reset_peer cuts the upstream side too
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoPort = (echo.address() as net.AddressInfo).port;
  toxiproxy = await startToxiproxy({ profile: "test", port: base });
  await toxiproxy.ensureProxies([{ name: "echo", listenPort: proxyPort, upstream: `127.0.0.1:${echoPort}` }]);
});

after(async () => {
  await toxiproxy?.reset().catch(() => {});
  await toxiproxy?.stop();
  echo?.close();
});

/** Sends "ping" through the proxy; resolves with the answer and how long it took, or the error code. */
function roundTrip(): Promise<{ answer?: string; ms: number; error?: string }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(proxyPort, "127.0.0.1");
    socket.setTimeout(3_000, () => {
      socket.destroy();
      resolve({ ms: Date.now() - started, error: "timeout" });
    });
    socket.once("connect", () => socket.write("ping"));
    socket.once("data", (data) => {
      socket.end();
      resolve({ answer: data.toString(), ms: Date.now() - started });
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve({ ms: Date.now() - started, error: err.code ?? err.message }));
    socket.once("close", () => resolve({ ms: Date.now() - started, error: "closed" }));
  });
}

test("a proxy forwards, and the same proxies can be ensured again", async () => {
  assert.equal((await roundTrip()).answer, "ping");
  const again = await toxiproxy.ensureProxies([{ name: "echo", listenPort: proxyPort, upstream: `127.0.0.1:${echoPort}` }]);
  assert.equal(again.echo!.upstream, `127.0.0.1:${echoPort}`);
  assert.equal((await roundTrip()).answer, "ping");
});

test("latency with jitter delays every answer; removing it heals", async () => {
  const toxic = await toxiproxy.addToxic("echo", { name: "slow", type: "latency", attributes: { latency: 400, jitter: 50 } });
  assert.equal(toxic.type, "latency");
  assert.equal(toxic.attributes.latency, 400);
  const slow = await roundTrip();
  assert.equal(slow.answer, "ping");
  assert.ok(slow.ms >= 300, `answered in ${slow.ms} ms through a 400±50 ms latency`);
  await toxiproxy.removeToxic("echo", "slow");
  const fast = await roundTrip();
  assert.ok(fast.ms < 300, `answered in ${fast.ms} ms after the heal`);
});

test("a disabled proxy refuses connections; reset enables it again", async () => {
  await toxiproxy.setEnabled("echo", false);
  assert.equal((await roundTrip()).error, "ECONNREFUSED");
  await toxiproxy.reset();
  assert.equal((await roundTrip()).answer, "ping");
});

test("reset_peer resets the connection instead of answering", async () => {
  await toxiproxy.addToxic("echo", { name: "rst", type: "reset_peer", stream: "upstream", attributes: { timeout: 0 } });
  const cut = await roundTrip();
  assert.equal(cut.answer, undefined);
  assert.match(cut.error ?? "", /ECONNRESET|closed/);
  await toxiproxy.reset();
  assert.equal((await roundTrip()).answer, "ping");
});
