import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testKafkaBrokers } from "@meshmart/platform/test-support";
import { issueToken } from "../../gateway/src/jwt.ts";
import { devJwt } from "../../../scripts/stack/dev-env.ts";
import { ensureSchemathesis, runSchemathesis } from "./schemathesis.ts";
import { startTestStack, type TestStack } from "./test-stack.ts";

const settings = { secret: devJwt.JWT_SECRET, issuer: devJwt.JWT_ISSUER, audience: devJwt.JWT_AUDIENCE };

describe("hostile clients", () => {
  let stack: TestStack;
  before(async () => {
    stack = await startTestStack({ brokers: testKafkaBrokers() });
  });
  after(() => stack?.stop());

  it("schemathesis", async () => {
    const command = ensureSchemathesis();
    const token = await issueToken(settings, { subject: "fuzzer", ttl: "1h" });
    const run = await runSchemathesis({ command, schemaUrl: `${stack.processes.urls.gateway}/api/v1/openapi.json`, headers: { Authorization: `Bearer ${token}` }, maxExamples: 20, timeoutMs: 300_000, seed: 1 });
    console.log(run.output);
    assert.equal(run.exitCode, 0);
  });
});
