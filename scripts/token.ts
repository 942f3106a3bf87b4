// `make token`: prints a JWT the gateway accepts. Without --context, an HS256
// token for `make dev` (its dev secret, unless JWT_SECRET and friends are
// set); with --context <name>, an ES256 token signed with the key pair that
// `make deploy ARGS="--context <name>"` made for that cluster (its public key
// is in the cluster's manifests). ARGS="--sub <customer> --ttl 1h".
import { parseArgs } from "node:util";
import { devToken } from "../cdk8s/src/dev-token.ts";
import { issueToken, parseTtl } from "../services/gateway/src/jwt.ts";
import { devJwt } from "./stack/dev-env.ts";

try {
  const { values } = parseArgs({ options: { sub: { type: "string", default: "customer-1" }, ttl: { type: "string", default: "1h" }, context: { type: "string" } } });
  const ttlSeconds = parseTtl(values.ttl!);
  const token = values.context
    ? await devToken({ subject: values.sub!, ttlSeconds, keyName: values.context })
    : await issueToken({ secret: devJwt.JWT_SECRET, issuer: devJwt.JWT_ISSUER, audience: devJwt.JWT_AUDIENCE }, { subject: values.sub!, ttl: ttlSeconds });
  console.log(token);
} catch (err) {
  console.error(`token: ${(err as Error).message}`);
  process.exit(2);
}
