// Policy over the synth output: what issue 5 asks of every object, checked on
// the manifests `make synth` writes (not on the constructs' inputs).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callersOf, clusterPort, retentionForeverTopics, serviceNames, services } from "@meshmart/topology";
import { retryablePaths } from "@meshmart/mesh/virtual-service";
import { milliseconds } from "@meshmart/mesh/duration";
import { find, ofKind, podTemplate, spec, synthOutput, workloads, type Container, type Manifest } from "../test/manifests.ts";
import { serviceAppProtocol } from "./meshmart-service.ts";
import { serviceDeploymentSettings, terminationGracePeriodSeconds } from "./service-settings.ts";
import { topicsWithDeadLetters } from "./kafka-topics.ts";
import { jaegerName } from "./jaeger.ts";

interface HttpRoute {
  name?: string;
  match?: { uri?: { exact?: string; prefix?: string; regex?: string } }[];
  timeout?: string;
  retries?: { attempts?: number; perTryTimeout?: string; retryOn?: string };
  route?: { destination?: { host?: string; port?: { number?: number } } }[];
}

const principalsOf = (policy: Manifest): string[] =>
  (spec<{ rules?: { from?: { source?: { principals?: string[] } }[] }[] }>(policy).rules ?? [])
    .flatMap((r) => (r.from ?? []).flatMap((f) => f.source?.principals ?? []))
    .sort();

const mainContainer = (m: Manifest): Container => podTemplate(m).spec.containers[0]!;

describe("Deployments", () => {
  it("exist for every service of the topology and the Jaeger (on by default), and only those", () => {
    assert.deepEqual(ofKind("Deployment").map((d) => d.metadata.name).sort(), [...serviceNames, jaegerName].sort());
  });

  for (const name of serviceNames) {
    describe(name, () => {
      const deployment = find("Deployment", name);
      const pod = podTemplate(deployment);
      const container = mainContainer(deployment);
      const settings = serviceDeploymentSettings(name);

      it("has startup, liveness (/healthz) and readiness (/readyz) probes on the service port", () => {
        assert.equal(container.startupProbe?.httpGet?.path, "/healthz");
        assert.equal(container.livenessProbe?.httpGet?.path, "/healthz");
        assert.equal(container.readinessProbe?.httpGet?.path, "/readyz");
        for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe]) {
          assert.equal(probe?.httpGet?.port, clusterPort);
          assert.ok(probe?.periodSeconds && probe.timeoutSeconds && probe.failureThreshold, "probe timing explicit");
        }
      });

      it("has CPU and memory requests and limits", () => {
        for (const resource of ["cpu", "memory"]) {
          assert.ok(container.resources?.requests?.[resource], `${resource} request`);
          assert.ok(container.resources?.limits?.[resource], `${resource} limit`);
        }
      });

      it("runs non-root, read-only, without privilege escalation or capabilities, with a writable /tmp", () => {
        const sc = container.securityContext;
        assert.equal(sc?.runAsNonRoot, true);
        assert.equal(sc?.readOnlyRootFilesystem, true);
        assert.equal(sc?.allowPrivilegeEscalation, false);
        assert.equal(sc?.privileged, false);
        assert.deepEqual(sc?.capabilities, { drop: ["ALL"] });
        assert.equal(pod.spec.securityContext?.runAsNonRoot, true);
        assert.equal(pod.spec.securityContext?.seccompProfile?.type, "RuntimeDefault");
        const tmp = container.volumeMounts?.find((m) => m.mountPath === "/tmp");
        assert.ok(tmp, "/tmp is mounted");
        assert.ok(pod.spec.volumes?.find((v) => v.name === tmp.name)?.emptyDir, "/tmp is an emptyDir");
      });

      it("pauses in preStop and gives the graceful shutdown its full budget before SIGKILL", () => {
        const command = container.lifecycle?.preStop?.exec?.command;
        assert.deepEqual(command, ["sleep", String(settings.preStopSeconds)]);
        const grace = pod.spec.terminationGracePeriodSeconds!;
        assert.equal(grace, terminationGracePeriodSeconds(settings));
        assert.ok(grace > settings.preStopSeconds + settings.shutdownTimeoutMs / 1000);
        const config = find("ConfigMap", `${name}-config`)["data"] as Record<string, string>;
        assert.equal(config.SHUTDOWN_TIMEOUT_MS, String(settings.shutdownTimeoutMs));
      });

      it("runs as its own service account, with config from its ConfigMap and secrets by reference", () => {
        assert.equal(pod.spec.serviceAccountName, name);
        find("ServiceAccount", name);
        assert.deepEqual(container.envFrom, [{ configMapRef: { name: `${name}-config` } }]);
      });

      it("is configured from the topology: callee URLs, Kafka and database only where used", () => {
        const config = find("ConfigMap", `${name}-config`)["data"] as Record<string, string>;
        const service = services[name];
        for (const callee of service.calls) assert.equal(config[`${callee.toUpperCase()}_URL`], `http://${callee}:${clusterPort}`);
        const urls = Object.keys(config).filter((k) => k.endsWith("_URL")).sort();
        assert.deepEqual(urls, service.calls.map((c) => `${c.toUpperCase()}_URL`).sort());
        assert.equal(config.PORT, String(clusterPort));
        assert.equal("KAFKA_BROKERS" in config, service.produces.length + service.consumes.length + service.invalidatesFrom.length > 0);
        const env = container.env ?? [];
        const password = env.find((e) => e.name === "DATABASE_PASSWORD") as { valueFrom?: { secretKeyRef?: { name: string; key: string } } } | undefined;
        assert.equal(password !== undefined, service.database);
        if (service.database) {
          assert.deepEqual(password!.valueFrom?.secretKeyRef, { name: `${name}-database`, key: "password" });
          const urlIndex = env.findIndex((e) => e.name === "DATABASE_URL");
          assert.ok(urlIndex > env.indexOf(password as never), "DATABASE_URL comes after the variable it refers to");
          assert.equal(env[urlIndex]!.value, `postgres://${name}:$(DATABASE_PASSWORD)@postgres:5432/${name}`);
        }
      });

      it("requests and limits ephemeral storage, and prefers its replicas on different nodes", () => {
        assert.ok(container.resources?.requests?.["ephemeral-storage"] && container.resources.limits?.["ephemeral-storage"]);
        const affinity = (pod.spec as { affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: Array<{ podAffinityTerm: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } } }> } } }).affinity;
        const term = affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm;
        assert.equal(term?.topologyKey, "kubernetes.io/hostname");
        assert.equal(term?.labelSelector.matchLabels["app.kubernetes.io/name"], name);
      });

      it("has a PodDisruptionBudget and an HPA with explicit bounds and target", () => {
        const pdb = find("PodDisruptionBudget", name);
        assert.equal(spec<{ maxUnavailable: number }>(pdb).maxUnavailable, 1);
        const hpa = spec<{
          minReplicas: number;
          maxReplicas: number;
          scaleTargetRef: { kind: string; name: string };
          metrics: { containerResource?: { target: { averageUtilization: number } } }[];
        }>(find("HorizontalPodAutoscaler", name));
        assert.deepEqual(hpa.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name });
        assert.equal(hpa.minReplicas, settings.minReplicas);
        assert.equal(hpa.maxReplicas, settings.maxReplicas);
        assert.equal(hpa.metrics[0]?.containerResource?.target.averageUtilization, settings.targetCpuUtilizationPercent);
        assert.equal((deployment.spec as { replicas?: number }).replicas, undefined, "the HPA owns the replica count");
        assert.deepEqual((deployment.spec as { strategy: unknown }).strategy, {
          type: "RollingUpdate",
          rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        });
      });
    });
  }
});

describe("every workload (services, Postgres, Kafka, the topic Job)", () => {
  for (const w of workloads()) {
    it(`${w.kind}/${w.metadata.name}: resources, non-root, read-only root, no privilege escalation, no capabilities`, () => {
      const pod = podTemplate(w);
      for (const c of pod.spec.containers) {
        assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory && c.resources.limits?.cpu && c.resources.limits.memory);
        assert.equal(c.securityContext?.runAsNonRoot, true);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
        assert.deepEqual(c.securityContext?.capabilities, { drop: ["ALL"] });
      }
      if (w.metadata.name === jaegerName) {
        // The proxies send it their spans in plaintext: no sidecar (cdk8s/src/jaeger.ts).
        assert.equal(pod.metadata.annotations?.["sidecar.istio.io/inject"], "false");
      } else {
        assert.equal(pod.metadata.annotations?.["sidecar.istio.io/nativeSidecar"], "true");
      }
    });
  }

  for (const name of ["postgres", "kafka"]) {
    it(`StatefulSet ${name}: three probes and persistent storage`, () => {
      const sts = find("StatefulSet", name);
      const c = mainContainer(sts);
      assert.ok(c.startupProbe && c.livenessProbe && c.readinessProbe);
      const claims = spec<{ volumeClaimTemplates: { metadata: { name: string } }[] }>(sts).volumeClaimTemplates;
      assert.deepEqual(
        claims.map((t) => t.metadata.name),
        ["data"],
      );
      assert.ok(c.volumeMounts?.some((m) => m.name === "data"));
    });
  }
});

describe("Services", () => {
  for (const name of serviceNames) {
    it(`${name}: one port ${clusterPort} declared HTTP/2 for Istio (appProtocol ${serviceAppProtocol}), selecting its pods`, () => {
      const svc = spec<{ ports: { port: number; targetPort: number; appProtocol?: string }[]; selector: Record<string, string> }>(
        find("Service", name),
      );
      assert.equal(svc.ports.length, 1);
      assert.equal(svc.ports[0]!.port, clusterPort);
      assert.equal(svc.ports[0]!.appProtocol, "http2");
      const labels = podTemplate(find("Deployment", name)).metadata.labels;
      for (const [k, v] of Object.entries(svc.selector)) assert.equal(labels[k], v);
    });
  }

  it("Postgres and Kafka ports are declared TCP (no protocol sniffing)", () => {
    for (const name of ["postgres", "postgres-headless", "kafka", "kafka-headless"]) {
      for (const port of spec<{ ports: { appProtocol?: string }[] }>(find("Service", name)).ports) assert.equal(port.appProtocol, "tcp");
    }
  });
});

describe("Istio policy per service", () => {
  for (const name of serviceNames) {
    const service = services[name];
    describe(name, () => {
      it("has a VirtualService that retries only the RPCs marked safe", () => {
        const routes = spec<{ http: HttpRoute[] }>(find("VirtualService", name)).http;
        const allowed = new Set(retryablePaths(service));
        const retried: string[] = [];
        for (const route of routes) {
          if ((route.retries?.attempts ?? 0) === 0) continue;
          assert.ok(route.match && route.match.length > 0, "a retrying route must be restricted by match");
          for (const m of route.match) {
            assert.equal(m.uri?.prefix, undefined);
            assert.equal(m.uri?.regex, undefined);
            assert.ok(m.uri?.exact && allowed.has(m.uri.exact), `retry on ${m.uri?.exact}, which is not marked safe`);
            retried.push(m.uri.exact);
          }
          assert.equal(route.retries?.retryOn, "connect-failure,refused-stream,reset,503");
          assert.ok(route.retries?.perTryTimeout);
        }
        assert.deepEqual(retried.sort(), [...allowed].sort(), "every safe RPC is retried");
        const last = routes.at(-1)!;
        assert.equal(last.match, undefined);
        assert.equal(last.retries?.attempts, 0, "the catch-all route explicitly disables Istio's default retries");
      });

      it("sets the topology timeout on every route", () => {
        for (const route of spec<{ http: HttpRoute[] }>(find("VirtualService", name)).http) {
          assert.equal(milliseconds(route.timeout!), service.timeoutMs);
          assert.ok(route.retries !== undefined, "retries are explicit on every route");
        }
      });

      it("has a DestinationRule with ISTIO_MUTUAL, pool limits and outlier detection", () => {
        const dr = spec<{ host: string; trafficPolicy: Record<string, Record<string, unknown>> }>(find("DestinationRule", name));
        assert.equal(dr.host, `${name}.meshmart.svc.cluster.local`);
        assert.deepEqual(dr.trafficPolicy.tls, { mode: "ISTIO_MUTUAL" });
        const outlier = dr.trafficPolicy.outlierDetection!;
        for (const key of ["consecutive5xxErrors", "consecutiveGatewayErrors", "interval", "baseEjectionTime", "maxEjectionPercent", "minHealthPercent"]) {
          assert.notEqual(outlier[key], undefined, `outlierDetection.${key} is explicit`);
        }
        const pool = dr.trafficPolicy.connectionPool as { tcp: Record<string, unknown>; http: Record<string, unknown> };
        for (const key of ["maxConnections", "connectTimeout"]) assert.notEqual(pool.tcp[key], undefined, `tcp.${key}`);
        for (const key of ["http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries", "idleTimeout"]) {
          assert.notEqual(pool.http[key], undefined, `http.${key}`);
        }
      });

      it("has an AuthorizationPolicy allowing exactly the callers the clients are built for", () => {
        const policy = find("AuthorizationPolicy", name);
        assert.equal(spec<{ action: string }>(policy).action, "ALLOW");
        assert.deepEqual(spec<{ selector: unknown }>(policy).selector, { matchLabels: { "app.kubernetes.io/name": name } });
        const expected = callersOf(name).map((c) => `cluster.local/ns/meshmart/sa/${c}`);
        if (name === "gateway") expected.push("cluster.local/ns/istio-ingress/sa/istio-ingressgateway");
        assert.deepEqual(principalsOf(policy), expected.sort());
      });
    });
  }
});

describe("namespace-wide policy", () => {
  it("the namespace has sidecar injection", () => {
    const ns = find("Namespace", "meshmart");
    assert.equal(ns.metadata.labels?.["istio-injection"], "enabled");
  });

  it("PeerAuthentication is STRICT for the whole namespace", () => {
    const peers = ofKind("PeerAuthentication");
    assert.equal(peers.length, 1);
    assert.deepEqual(peers[0]!.spec, { mtls: { mode: "STRICT" } });
    assert.equal(peers[0]!.metadata.namespace, "meshmart");
  });

  it("an allow-nothing AuthorizationPolicy (empty spec) makes the namespace deny by default", () => {
    const deny = find("AuthorizationPolicy", "deny-by-default");
    assert.deepEqual(deny.spec, {});
    const denyActions = ofKind("AuthorizationPolicy").filter((p) => spec<{ action?: string }>(p).action === "DENY");
    assert.deepEqual(denyActions, [], "no DENY policy: it would override the per-service ALLOWs");
  });

  it("Postgres admits only the services with a database; Kafka only producers, consumers, cache readers, itself and the topic Job", () => {
    assert.deepEqual(
      principalsOf(find("AuthorizationPolicy", "postgres")),
      serviceNames.filter((n) => services[n].database).map((n) => `cluster.local/ns/meshmart/sa/${n}`).sort(),
    );
    const kafkaCallers = serviceNames.filter((n) => services[n].produces.length + services[n].consumes.length + services[n].invalidatesFrom.length > 0);
    assert.deepEqual(
      principalsOf(find("AuthorizationPolicy", "kafka")),
      [...kafkaCallers, "kafka", "kafka-topics"].map((n) => `cluster.local/ns/meshmart/sa/${n}`).sort(),
    );
  });

  it("the edge: a Gateway, a VirtualService to the gateway service, JWT validation at the ingress", () => {
    const vs = spec<{ gateways: string[]; http: HttpRoute[] }>(find("VirtualService", "gateway-ingress"));
    assert.deepEqual(vs.gateways, ["meshmart-ingress"]);
    assert.equal(vs.http[0]!.route![0]!.destination!.host, "gateway.meshmart.svc.cluster.local");
    assert.equal(milliseconds(vs.http[0]!.timeout!), services.gateway.timeoutMs);
    find("Gateway", "meshmart-ingress");
    const ra = find("RequestAuthentication", "meshmart-jwt");
    assert.equal(ra.metadata.namespace, "istio-ingress");
    const jwks = spec<{ jwtRules: { jwks: string }[] }>(ra).jwtRules[0]!.jwks;
    const gatewayConfig = find("ConfigMap", "gateway-config")["data"] as Record<string, string>;
    assert.equal(jwks, gatewayConfig.JWT_JWKS, "ingress and gateway check against the same public keys");
    const keys = (JSON.parse(jwks) as { keys: Array<Record<string, unknown>> }).keys;
    assert.ok(keys.length > 0 && keys.every((k) => k.kty === "EC" && !("d" in k)), "public EC keys only");
  });
});

describe("explicit numbers", () => {
  it("every Istio duration and percentage is set (no Istio default left implicit)", () => {
    for (const vs of ofKind("VirtualService")) {
      for (const route of spec<{ http: HttpRoute[] }>(vs).http) {
        assert.ok(route.timeout, `${vs.metadata.name}/${route.name}: timeout`);
        assert.ok(route.retries, `${vs.metadata.name}/${route.name}: retries`);
        if ((route.retries.attempts ?? 0) > 0) assert.ok(route.retries.perTryTimeout);
      }
    }
    for (const dr of ofKind("DestinationRule")) {
      const od = spec<{ trafficPolicy: { outlierDetection: { maxEjectionPercent?: number; minHealthPercent?: number } } }>(dr)
        .trafficPolicy.outlierDetection;
      assert.equal(typeof od.maxEjectionPercent, "number");
      assert.equal(typeof od.minHealthPercent, "number");
    }
  });
});

describe("Kafka and Postgres", () => {
  it("the topic Job creates every topic of the topology and its dead-letter topic", () => {
    const env = mainContainer(find("Job", "kafka-topics")).env ?? [];
    const topics = env.find((e) => e.name === "TOPICS")?.value?.split(" ") ?? [];
    const expected = new Set<string>();
    for (const s of Object.values(services)) for (const t of [...s.produces, ...s.consumes]) expected.add(t);
    assert.deepEqual(topics, [...expected].sort().flatMap((t) => [t, `${t}.dlq`]));
    assert.deepEqual(topics, topicsWithDeadLetters());
  });

  it("the topic Job keeps the events of the topics a service rebuilds from forever (retention.ms=-1), and only those", () => {
    const env = mainContainer(find("Job", "kafka-topics")).env ?? [];
    const retained = env.find((e) => e.name === "RETAINED_TOPICS")?.value?.split(" ") ?? [];
    assert.deepEqual(retained, [...services.history.consumes].sort(), "the history projection's topics");
    assert.deepEqual(retained, retentionForeverTopics());
    const script = (find("ConfigMap", "kafka-topics-script")["data"] as Record<string, string>)["create-topics.sh"]!;
    assert.match(script, /for topic in \$\{RETAINED_TOPICS:-\}; do\n.*--alter --entity-type topics --entity-name "\$topic" \\\n\s+--add-config retention\.ms=-1/);
  });

  it("Kafka runs KRaft with one replica by default, image 3.9.x", () => {
    const sts = find("StatefulSet", "kafka");
    assert.equal(spec<{ replicas: number }>(sts).replicas, 1);
    assert.match(mainContainer(sts).image, /^apache\/kafka:3\.9\.\d+$/);
  });

  it("Postgres gets a database for every service with a database, its password from that service's Secret", () => {
    const script = (find("ConfigMap", "postgres-init")["data"] as Record<string, string>)["10-meshmart-databases.sh"]!;
    const env = mainContainer(find("StatefulSet", "postgres")).env as Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
    assert.deepEqual(env.find((e) => e.name === "POSTGRES_PASSWORD")?.valueFrom?.secretKeyRef, { name: "postgres-credentials", key: "POSTGRES_PASSWORD" });
    for (const name of serviceNames.filter((n) => services[n].database)) {
      assert.match(script, new RegExp(`ensure_database ${name} "\\$${name.toUpperCase()}_DB_PASSWORD"`));
      assert.deepEqual(env.find((e) => e.name === `${name.toUpperCase()}_DB_PASSWORD`)?.valueFrom?.secretKeyRef, { name: `${name}-database`, key: "password" });
    }
    assert.ok(!script.includes("gateway"));
  });

  it("Kafka and Postgres probe liveness and readiness with different checks", () => {
    for (const name of ["kafka", "postgres"]) {
      const c = mainContainer(find("StatefulSet", name));
      assert.notDeepEqual(c.livenessProbe, c.readinessProbe, name);
    }
  });
});

describe("NetworkPolicies", () => {
  const policies = ofKind("NetworkPolicy");
  const byName = (name: string) => policies.find((p) => p.metadata.name === name)!;
  it("deny everything in the namespace by default, then allow DNS and Istio's control plane", () => {
    assert.deepEqual(byName("default-deny").spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    assert.match(JSON.stringify(byName("allow-dns").spec), /"port":53/);
    assert.match(JSON.stringify(byName("allow-istio-control-plane").spec), /"port":15012/);
  });

  it("let exactly the topology's callers in, and each service out to its callees, database and Kafka", () => {
    type Rule = { from?: Array<{ podSelector?: { matchLabels: Record<string, string> } }>; to?: Array<{ podSelector?: { matchLabels: Record<string, string> } }>; ports: Array<{ port: number }> };
    const names = (peers: Rule["from"]) => (peers ?? []).map((p) => p.podSelector?.matchLabels["app.kubernetes.io/name"]).filter(Boolean).sort();
    for (const name of serviceNames) {
      const s = spec<{ ingress?: Rule[]; egress?: Rule[] }>(byName(name));
      assert.deepEqual(names(s.ingress?.[0]?.from), [...callersOf(name)].sort(), `${name} ingress`);
      const out = (s.egress ?? []).flatMap((r) => names(r.to));
      const expected = [...services[name].calls, ...(services[name].database ? ["postgres"] : []), ...(services[name].produces.length + services[name].consumes.length + services[name].invalidatesFrom.length > 0 ? ["kafka"] : [])];
      assert.deepEqual(out.sort(), expected.sort(), `${name} egress`);
    }
    assert.match(JSON.stringify(byName("gateway").spec), /"kubernetes.io\/metadata.name":"istio-ingress"/);
  });
});

describe("synth output is what `make synth` writes", () => {
  it("has no object twice", () => {
    const keys = synthOutput().map((m) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`);
    assert.equal(new Set(keys).size, keys.length);
  });
});
