// `make token`: prints a JWT the local gateway accepts (the dev secret of
// `make dev`, unless JWT_SECRET and friends are set). ARGS="--sub <customer> --ttl 1h".
import { parseArgs } from "node:util";
import { issueToken, parseTtl } from "../services/gateway/src/jwt.ts";
import { devJwt } from "./stack/dev-env.ts";

const { values } = parseArgs({ options: { sub: { type: "string", default: "customer-1" }, ttl: { type: "string", default: "1h" } } });
try {
  const token = await issueToken(
    { secret: devJwt.JWT_SECRET, issuer: devJwt.JWT_ISSUER, audience: devJwt.JWT_AUDIENCE },
    { subject: values.sub!, ttl: parseTtl(values.ttl!) },
  );
  console.log(token);
} catch (err) {
  console.error(`token: ${(err as Error).message}`);
  process.exit(2);
}
