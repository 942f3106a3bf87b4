// `make token`: prints a JWT the gateway accepts: an ES256 token from the
// project's one token issuer (@meshmart/dev-identity), signed with the key
// pair of `make dev` ("dev"), or with --context <name> with the key pair that
// `make deploy ARGS="--context <name>"` made for that cluster (its public key
// is in the cluster's manifests). ARGS="--sub <customer> --ttl 1h".
import { parseArgs } from "node:util";
import { devToken, parseTtl } from "@meshmart/dev-identity/dev-token";
import { devKeyName } from "@meshmart/infra/stack/dev-env";

try {
  const { values } = parseArgs({ options: { sub: { type: "string", default: "customer-1" }, ttl: { type: "string", default: "1h" }, context: { type: "string" } } });
  console.log(await devToken({ subject: values.sub, ttlSeconds: parseTtl(values.ttl), keyName: values.context ?? devKeyName }));
} catch (err) {
  console.error(`token: ${(err as Error).message}`);
  process.exit(2);
}
