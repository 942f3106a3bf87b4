// How the kind target reaches the services for verify: on the ports of
// `make port-forward ARGS=--all` (local port + 1000: catalog 9081 ... orders
// 9083), forwarded in-process with client-node's PortForward. Each new
// connection goes to a Ready pod of the service, chosen when it connects, so
// the forwards survive what the scenarios do to pods (a `kubectl port-forward`
// to a Service sticks to one pod and dies with it). When a port is already
// taken by something that answers /healthz (a running `make port-forward
// ARGS=--all`), that forward is used instead.
import net from "node:net";
import { rpcServiceNames, services, type ServiceName } from "@meshmart/topology";
import type { KubeOps, PodInfo } from "./kube-ops.ts";

export interface ServiceForwards {
  urls: Record<ServiceName, string>;
  close(): Promise<void>;
}

export const forwardedServices: ServiceName[] = rpcServiceNames();

export function forwardPort(name: ServiceName, offset: number): number {
  return services[name].localPort + offset;
}

async function answersHealth(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3_000) })).ok;
  } catch {
    return false;
  }
}

function listen(server: net.Server, port: number): Promise<"listening" | "in-use"> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve("in-use") : reject(err));
    server.once("error", onError);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      resolve("listening");
    });
  });
}

export async function openServiceForwards(options: {
  ops: KubeOps;
  offset: number;
  dryRun: boolean;
  log: (line: string) => void;
  /** Default: every service but the gateway (kind reaches it through the ingress). */
  services?: readonly ServiceName[];
}): Promise<ServiceForwards> {
  const { ops, offset, log } = options;
  const forwarded = options.services ?? forwardedServices;
  const urls = Object.fromEntries(
    (Object.keys(services) as ServiceName[]).map((name) => [name, `http://127.0.0.1:${forwardPort(name, offset)}`]),
  ) as Record<ServiceName, string>;
  if (options.dryRun) {
    for (const name of forwarded) {
      log(`would listen on 127.0.0.1:${forwardPort(name, offset)} and forward each connection with PortForward.portForward(${ops.namespace}, <a Ready ${name} pod>, [8080]) (or use a running \`make port-forward ARGS=--all\`)`);
    }
    return { urls, close: async () => {} };
  }
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const closeAll = async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  };
  for (const name of forwarded) {
    const port = forwardPort(name, offset);
    let cached: { at: number; pods: PodInfo[] } | undefined;
    const readyPod = async (): Promise<string> => {
      if (!cached || Date.now() - cached.at > 2_000) cached = { at: Date.now(), pods: await ops.listPods(`app.kubernetes.io/name=${name}`) };
      const ready = cached.pods.filter((p) => p.ready && !p.terminating);
      if (ready.length === 0) {
        cached = undefined;
        throw new Error(`no Ready ${name} pod`);
      }
      return ready[Math.floor(Math.random() * ready.length)]!.name;
    };
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => socket.destroy());
      readyPod()
        .then((pod) => ops.portForward(pod, 8080, socket))
        .catch(() => {
          cached = undefined;
          socket.destroy();
        });
    });
    if ((await listen(server, port)) === "listening") {
      servers.push(server);
      log(`forwarding 127.0.0.1:${port} to the Ready pods of ${name} (port 8080, client-node PortForward, a pod per connection)`);
    } else if (await answersHealth(port)) {
      log(`127.0.0.1:${port} is taken and answers /healthz: using it for ${name} (a running \`make port-forward ARGS=--all\`?)`);
    } else {
      await closeAll();
      throw new Error(`port ${port} (for ${name}) is taken by something that does not answer /healthz; free it or pass --port-offset`);
    }
  }
  return {
    urls,
    close: closeAll,
  };
}
