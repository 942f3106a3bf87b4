// Issues a bearer token the gateway accepts, for local runs:
//
//   JWT_SECRET=... npx tsx services/gateway/src/issue-token.ts --sub customer-1 [--ttl 1h]
//
// It reads JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE like the gateway does and
// prints the token alone on stdout (TOKEN=$(...)); the customer id the
// gateway will derive from the subject goes to stderr.
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "@meshmart/platform";
import { customerIdFor } from "./customer-id.ts";
import { jwtConfig } from "./gateway-config.ts";
import { issueToken, parseTtl } from "./jwt.ts";

const usage = "usage: issue-token --sub <subject> [--ttl 1h]   (needs JWT_SECRET; JWT_ISSUER, JWT_AUDIENCE as the gateway)";

function fail(message: string): never {
  process.stderr.write(`issue-token: ${message}\n`);
  process.exit(2);
}

let args: { sub?: string; ttl: string; help?: boolean };
try {
  ({ values: args } = parseArgs({
    options: {
      sub: { type: "string" },
      ttl: { type: "string", default: "1h" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }));
} catch (err) {
  fail(`${(err as Error).message}\n${usage}`);
}
if (args.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (!args.sub) fail(`--sub is required\n${usage}`);

let ttl: number;
try {
  ttl = parseTtl(args.ttl);
} catch (err) {
  fail((err as Error).message);
}

let config;
try {
  config = loadConfig(jwtConfig);
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}

if (!config.JWT_SECRET) fail(`config: JWT_SECRET is required but not set (this command signs HS256 tokens for local runs; for a cluster: make token ARGS="--context <name>")`);
const token = await issueToken(
  { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
  { subject: args.sub, ttl },
);
process.stderr.write(`issue-token: subject ${args.sub} is customer ${customerIdFor(args.sub)}; valid for ${ttl} s\n`);
process.stdout.write(`${token}\n`);
