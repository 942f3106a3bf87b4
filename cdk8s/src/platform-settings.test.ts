import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { serviceNames } from "@meshmart/topology";
import { testPlatformSettings, testSigningKey } from "../test/test-settings.ts";
import { defaultPlatformSettings, parseJwks, settingsFromEnv } from "./platform-settings.ts";
import { serviceDeploymentSettings, terminationGracePeriodSeconds } from "./service-settings.ts";

const jwks = testSigningKey.jwks;

describe("settingsFromEnv", () => {
  it("uses the defaults when nothing else is set", () => {
    assert.deepEqual(settingsFromEnv({ MESHMART_JWKS: jwks }), testPlatformSettings);
  });

  it("reads namespace, images, pull policy, Kafka replicas and external PostgreSQL and Kafka", () => {
    const s = settingsFromEnv({
      MESHMART_JWKS: jwks,
      MESHMART_NAMESPACE: "shop",
      IMAGE_REPOSITORY: "r",
      IMAGE_TAG: "t",
      IMAGE_PULL_POLICY: "Never",
      KAFKA_REPLICAS: "3",
      EXTERNAL_POSTGRES: "db.example:6432",
      EXTERNAL_KAFKA: "k1:9092,k2",
      MESHMART_JAEGER_IMAGE: "localhost/meshmart/jaeger:2.13.0",
    });
    assert.deepEqual([s.namespace, s.imageRepository, s.imageTag, s.imagePullPolicy, s.kafka.replicas], ["shop", "r", "t", "Never", 3]);
    assert.deepEqual([s.observability.jaeger, s.observability.jaegerImage], [true, "localhost/meshmart/jaeger:2.13.0"]);
    assert.deepEqual(s.postgres.external, { host: "db.example", port: 6432 });
    assert.deepEqual(s.kafka.external, { brokers: ["k1:9092", "k2:9092"] });
    assert.equal(s.kafka.partitions, defaultPlatformSettings.kafka.partitions);
  });

  it("without MESHMART_JWKS makes the installation's key pair once, private key 0600, and reuses it", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "meshmart-keys-")), "k");
    const first = settingsFromEnv({ MESHMART_KEY_DIR: dir });
    const again = settingsFromEnv({ MESHMART_KEY_DIR: dir });
    assert.equal(first.jwt.jwks, again.jwt.jwks);
    assert.equal(statSync(join(dir, "private.jwk")).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, "jwks.json"), "utf8").trim(), first.jwt.jwks);
    assert.ok(!first.jwt.jwks.includes('"d"'));
  });

  it("names the variable when a value is wrong", () => {
    assert.throws(() => settingsFromEnv({ MESHMART_JWKS: jwks, KAFKA_REPLICAS: "zero" }), /KAFKA_REPLICAS/);
    assert.throws(() => settingsFromEnv({ MESHMART_JWKS: jwks, KAFKA_REPLICAS: "0" }), /KAFKA_REPLICAS/);
    assert.throws(() => settingsFromEnv({ MESHMART_JWKS: jwks, EXTERNAL_POSTGRES: "db:notaport" }), /EXTERNAL_POSTGRES/);
    assert.throws(() => settingsFromEnv({ MESHMART_JWKS: jwks, IMAGE_PULL_POLICY: "Sometimes" }), /IMAGE_PULL_POLICY/);
  });

  it("refuses a key set with a private or symmetric key, which would let readers of the manifests sign tokens", () => {
    assert.throws(() => parseJwks(JSON.stringify({ keys: [testSigningKey.privateJwk] })), /public keys only/);
    assert.throws(() => parseJwks(JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0" }] })), /public keys only/);
    assert.throws(() => parseJwks("not json"), /not JSON/);
    assert.throws(() => parseJwks('{"keys":[]}'), /at least one key/);
  });
});

describe("service deployment settings", () => {
  it("exist for every service, with a grace period covering preStop and the shutdown budget", () => {
    for (const name of serviceNames) {
      const s = serviceDeploymentSettings(name);
      assert.ok(s.minReplicas >= 2 && s.maxReplicas >= s.minReplicas);
      assert.ok(s.cpuRequestMillis <= s.cpuLimitMillis && s.memoryRequestMebibytes <= s.memoryLimitMebibytes);
      assert.ok(s.ephemeralStorageRequestMebibytes <= s.ephemeralStorageLimitMebibytes);
      assert.ok(terminationGracePeriodSeconds(s) * 1000 > s.preStopSeconds * 1000 + s.shutdownTimeoutMs);
    }
    assert.equal(terminationGracePeriodSeconds({ preStopSeconds: 5, shutdownTimeoutMs: 10_000 }), 20);
  });
});
