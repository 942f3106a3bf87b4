import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultPlatformSettings, settingsFromEnv } from "./platform-settings.ts";
import { serviceDeploymentSettings, terminationGracePeriodSeconds } from "./service-settings.ts";
import { serviceNames } from "@meshmart/platform/topology";

describe("settingsFromEnv", () => {
  it("uses the defaults when nothing is set", () => {
    assert.deepEqual(settingsFromEnv({}), defaultPlatformSettings);
  });

  it("reads namespace, images, seed and Kafka replicas", () => {
    const s = settingsFromEnv({
      MESHMART_NAMESPACE: "shop",
      IMAGE_REPOSITORY: "r",
      IMAGE_TAG: "t",
      MESHMART_SECRET_SEED: "seed",
      KAFKA_REPLICAS: "3",
    });
    assert.deepEqual([s.namespace, s.imageRepository, s.imageTag, s.secretSeed, s.kafka.replicas], ["shop", "r", "t", "seed", 3]);
    assert.equal(s.kafka.partitions, defaultPlatformSettings.kafka.partitions);
  });

  it("names the variable when a value is wrong", () => {
    assert.throws(() => settingsFromEnv({ KAFKA_REPLICAS: "zero" }), /KAFKA_REPLICAS/);
    assert.throws(() => settingsFromEnv({ KAFKA_REPLICAS: "0" }), /KAFKA_REPLICAS/);
  });
});

describe("service deployment settings", () => {
  it("exist for every service, with a grace period covering preStop and the shutdown budget", () => {
    for (const name of serviceNames) {
      const s = serviceDeploymentSettings(name);
      assert.ok(s.minReplicas >= 2 && s.maxReplicas >= s.minReplicas);
      assert.ok(s.cpuRequestMillis <= s.cpuLimitMillis && s.memoryRequestMebibytes <= s.memoryLimitMebibytes);
      assert.ok(terminationGracePeriodSeconds(s) * 1000 > s.preStopSeconds * 1000 + s.shutdownTimeoutMs);
    }
    assert.equal(terminationGracePeriodSeconds({ preStopSeconds: 5, shutdownTimeoutMs: 10_000 }), 20);
  });
});
