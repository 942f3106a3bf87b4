// Development tokens for a deployed platform: an ES256 JWT signed with the
// installation's own key pair (token-signing-key.ts), with the synth's issuer
// and audience, which the ingress (RequestAuthentication) and the gateway
// service accept because they hold its public key.
//
//   npx tsx cdk8s/src/dev-token.ts [--key <name>] [--sub customer-1] [--ttl 3600]
//
// `--key` names the key pair: `make deploy ARGS="--context X"` uses the
// context's name, so `make token ARGS="--context X"` signs for that cluster.

import { parseArgs } from "node:util";
import { importJWK, SignJWT } from "jose";
import { defaultPlatformSettings } from "./platform-settings.ts";
import { ensureSigningKey, keyDirectory, tokenAlgorithm } from "./token-signing-key.ts";

export interface DevTokenOptions {
  readonly subject: string;
  readonly ttlSeconds: number;
  /** Key pair name under .local/keys/ (default "default"). */
  readonly keyName?: string;
  readonly issuer?: string;
  readonly audience?: string;
  readonly now?: number;
}

export async function devToken(options: DevTokenOptions): Promise<string> {
  const key = ensureSigningKey(keyDirectory(options.keyName ?? "default"));
  const now = options.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: tokenAlgorithm, typ: "JWT", kid: key.kid })
    .setIssuer(options.issuer ?? defaultPlatformSettings.jwt.issuer)
    .setAudience(options.audience ?? defaultPlatformSettings.jwt.audience)
    .setSubject(options.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds)
    .sign(await importJWK(key.privateJwk, tokenAlgorithm));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { key: { type: "string" }, sub: { type: "string" }, ttl: { type: "string", default: "3600" } },
  });
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    console.error(`dev-token: --ttl must be a whole number of seconds, got ${values.ttl}`);
    process.exit(2);
  }
  console.log(await devToken({ subject: values.sub ?? positionals[0] ?? "customer-1", ttlSeconds, keyName: values.key ?? process.env.MESHMART_KEY_NAME }));
}
