// Prints an HS256 JWT the ingress (RequestAuthentication) and the gateway
// service accept: signed with the JWT secret derived from MESHMART_SECRET_SEED
// (the same derivation as the synth), with the synth's issuer and audience.
//   npx tsx cdk8s/src/dev-token.ts [subject] [ttl-seconds]

import { createHmac } from "node:crypto";
import { meshOptionsFor } from "./meshmart-chart.ts";
import { settingsFromEnv } from "./platform-settings.ts";

export function signHs256(claims: Record<string, unknown>, secret: string, keyId: string): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg: "HS256", typ: "JWT", kid: keyId })}.${encode(claims)}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

export function devToken(subject: string, ttlSeconds: number, now = Math.floor(Date.now() / 1000)): string {
  const { jwt } = meshOptionsFor(settingsFromEnv());
  return signHs256({ iss: jwt.issuer, aud: jwt.audience, sub: subject, iat: now, exp: now + ttlSeconds }, jwt.secret, jwt.keyId);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(devToken(process.argv[2] ?? "dev-user", Number(process.argv[3] ?? 3600)));
}
