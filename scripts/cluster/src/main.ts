// `make cluster-up` / `make cluster-down` / `make cluster-status`: a
// single-node Kubernetes of real processes on this machine (context
// meshmart-local), or with --profile apiserver-test the control plane with
// kwok's fake nodes that `make test` uses.
import { parseArgs } from "node:util";
import { display } from "@meshmart/infra/paths";
import { clusterProfiles, nodeAddress, type ClusterProfileName } from "./cluster-profiles.ts";
import { startClusterExternals } from "./cluster-externals.ts";
import { clusterPaths } from "./cluster-profiles.ts";
import { AlreadyRunning, clusterDown, clusterState, clusterUp } from "./cluster.ts";

const usage = `usage: tsx scripts/cluster/src/main.ts <command> [--profile local|apiserver-test]

  up          start the cluster (refused, changing nothing, while it runs)
  down        stop every process it started and remove what it made (also after a crash)
  status      what runs
  externals   start PostgreSQL and Kafka for the local cluster on its node address (reused
              when running) and print EXTERNAL_POSTGRES, EXTERNAL_POSTGRES_ADMIN_URL and
              EXTERNAL_KAFKA as shell assignments (make deploy uses them)
  containerd  print the address of the local node's containerd (for image imports)

The local profile needs root and Debian's containerd, runc, CNI plugins,
iptables, conntrack and socat (installed when missing); the Kubernetes
binaries, etcd and CoreDNS are built once from the Go module proxy.`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { profile: { type: "string", default: "local" }, help: { type: "boolean", short: "h" } },
});
const command = positionals[0];
if (values.help || command === undefined) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}
if (!(values.profile in clusterProfiles)) {
  console.error(`unknown profile ${values.profile} (local, apiserver-test)`);
  process.exit(2);
}
const profile = clusterProfiles[values.profile as ClusterProfileName];

try {
  switch (command) {
    case "up": {
      const handle = await clusterUp(profile);
      console.log(`
${profile.context} is running.
  kubectl --context ${profile.context} get nodes
  make deploy ARGS="--context ${profile.context}"
  make cluster-down            # stop it and remove everything it made
State and logs: ${display(profile.stateDir)} (logs/), admin kubeconfig ${display(handle.plane.paths.adminKubeconfig)}${
        profile.realNode ? `\nPods live on bridge ${profile.bridge} (${profile.podCidr}, node ${nodeAddress(profile)}); Services on ${profile.serviceCidr}.` : ""
      }`);
      break;
    }
    case "down":
      await clusterDown(profile);
      break;
    case "externals": {
      if ((await clusterState(profile)).state !== "running") throw new Error(`the ${profile.context} cluster is not running (make cluster-up)`);
      const externals = await startClusterExternals(profile, (line) => console.error(`[externals] ${line}`));
      console.log(`EXTERNAL_POSTGRES=${externals.postgres}`);
      console.log(`EXTERNAL_POSTGRES_ADMIN_URL=${externals.postgresAdminUrl}`);
      console.log(`EXTERNAL_KAFKA=${externals.kafka}`);
      break;
    }
    case "containerd":
      console.log(clusterPaths(profile).containerdSocket);
      break;
    case "status": {
      const state = await clusterState(profile);
      if (state.state === "stopped") console.log(`${profile.context}: not running`);
      else if (state.state === "running") console.log(`${profile.context}: running\n${state.processes.map((p) => `  ${p.name.padEnd(24)} pid ${p.pid}`).join("\n")}`);
      else console.log(`${profile.context}: partly running (stopped: ${state.dead.map((p) => p.name).join(", ")}); run 'make cluster-down'`);
      break;
    }
    default:
      console.error(usage);
      process.exit(2);
  }
} catch (err) {
  if (err instanceof AlreadyRunning) {
    console.log(err.message);
    process.exit(0);
  }
  console.error(`cluster ${command}: ${(err as Error).message}`);
  process.exit(1);
}
