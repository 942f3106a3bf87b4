// Development tokens: ES256 JWTs signed with an installation's own key pair
// (signing-key.ts), which the gateway (JWT_JWKS) and the ingress
// (RequestAuthentication) accept because they hold its public key. The one
// token issuer of the project: `make token`, `make dev`, the tests, the demo
// and the scenarios all sign here.
//
//   npx tsx services/dev-identity/src/dev-token.ts [--key <name>] [--sub customer-1] [--ttl 3600]
//
// `--key` names the key pair: `make dev` uses "dev", `make deploy
// ARGS="--context X"` the context's name.

import { parseArgs } from "node:util";
import { importJWK, SignJWT, type JWTPayload } from "jose";
import { ensureSigningKey, keyDirectory, tokenAlgorithm, type SigningKey } from "./signing-key.ts";

/** The issuer and audience the gateway expects by default (JWT_ISSUER, JWT_AUDIENCE). */
export const defaultIssuer = "meshmart";
export const defaultAudience = "meshmart-api";

const ttlUnits: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** "90", "90s", "15m", "1h", "7d" to seconds; throws on anything else. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * ttlUnits[match[2] || "s"]! : 0;
  if (!(seconds > 0)) throw new Error(`ttl must be a positive duration such as 3600, 15m, 1h or 7d (got "${text}")`);
  return seconds;
}

export interface DevTokenOptions {
  readonly subject: string;
  readonly ttlSeconds: number;
  /** Key pair name under .local/keys/ (default "default"), or the key itself. */
  readonly keyName?: string;
  readonly key?: SigningKey;
  readonly issuer?: string;
  readonly audience?: string;
  /** Issued-at (epoch seconds); default now. */
  readonly now?: number;
  /** Extra claims (tests of what the gateway refuses). */
  readonly claims?: JWTPayload;
}

export async function devToken(options: DevTokenOptions): Promise<string> {
  const key = options.key ?? ensureSigningKey(keyDirectory(options.keyName ?? "default"));
  const now = options.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ ...options.claims })
    .setProtectedHeader({ alg: tokenAlgorithm, typ: "JWT", kid: key.kid })
    .setIssuer(options.issuer ?? defaultIssuer)
    .setAudience(options.audience ?? defaultAudience)
    .setSubject(options.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds)
    .sign(await importJWK(key.privateJwk, tokenAlgorithm));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { key: { type: "string" }, sub: { type: "string" }, ttl: { type: "string", default: "1h" } },
  });
  let ttlSeconds: number;
  try {
    ttlSeconds = parseTtl(values.ttl);
  } catch (err) {
    console.error(`dev-token: ${(err as Error).message}`);
    process.exit(2);
  }
  console.log(await devToken({ subject: values.sub ?? positionals[0] ?? "customer-1", ttlSeconds, keyName: values.key ?? process.env.MESHMART_KEY_NAME }));
}
