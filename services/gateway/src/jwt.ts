// Bearer tokens: JWTs with a subject, checked for signature, issuer, audience
// and expiry. Two ways to check the signature: a key set of the issuer's
// public keys (JWT_JWKS: ES256, RS256 or EdDSA; the cluster), or a shared
// HS256 secret (JWT_SECRET: local runs). The gateway verifies them;
// issue-token.ts (local runs) and tests sign HS256 ones with the same settings.
import { createLocalJWKSet, errors, jwtVerify, SignJWT, type JSONWebKeySet } from "jose";
import { ConfigError } from "@meshmart/platform";

export type PublicKeySet = JSONWebKeySet;

export interface JwtSettings {
  /** HS256 shared secret (local runs). */
  secret?: string;
  /** The issuer's public keys; takes the place of `secret`. */
  jwks?: PublicKeySet;
  issuer: string;
  audience: string;
}

/** Algorithms accepted with a public key set: asymmetric only, so no key confusion with HS256. */
export const publicKeyAlgorithms = ["ES256", "RS256", "EdDSA"];

/** Parses JWT_JWKS: a JSON Web Key Set of public keys only. */
export function parseJwks(raw: string): PublicKeySet {
  let parsed: { keys?: unknown };
  try {
    parsed = JSON.parse(raw) as { keys?: unknown };
  } catch {
    throw new Error('must be a JSON Web Key Set ({"keys":[...]})');
  }
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw new Error('must be a JSON Web Key Set with at least one key ({"keys":[...]})');
  for (const key of parsed.keys as Array<Record<string, unknown>>) {
    if (key.kty === "oct" || "d" in key) throw new Error("must hold public keys only (a private or symmetric key was given)");
  }
  return parsed as PublicKeySet;
}

/** The verifier settings from the gateway's config; exactly one of JWT_SECRET and JWT_JWKS. */
export function jwtSettings(config: { JWT_SECRET?: string | undefined; JWT_JWKS?: PublicKeySet | undefined; JWT_ISSUER: string; JWT_AUDIENCE: string }): JwtSettings {
  if ((config.JWT_SECRET === undefined) === (config.JWT_JWKS === undefined)) {
    throw new ConfigError("JWT_SECRET", "or JWT_JWKS must be set, and not both (JWT_JWKS: the token issuer's public keys; JWT_SECRET: an HS256 secret for local runs)");
  }
  return config.JWT_JWKS
    ? { jwks: config.JWT_JWKS, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }
    : { secret: config.JWT_SECRET!, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
}

/** Who a verified token speaks for. */
export interface Identity {
  readonly subject: string;
}

/** Why a token was refused; the message is safe to show the caller. */
export class InvalidTokenError extends Error {
  override readonly name = "InvalidTokenError";
}

/** Small clock skew between the issuer and the gateway is tolerated. */
const clockToleranceSeconds = 30;
const maxSubjectLength = 256;

export function createTokenVerifier(settings: JwtSettings): (token: string) => Promise<Identity> {
  const keySet = settings.jwks ? createLocalJWKSet(settings.jwks) : undefined;
  const secret = new TextEncoder().encode(settings.secret ?? "");
  if (!keySet && secret.length === 0) throw new Error("createTokenVerifier needs a secret or a key set");
  const algorithms = keySet ? publicKeyAlgorithms : ["HS256"];
  return async (token) => {
    try {
      const options = {
        algorithms,
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ["sub", "exp"],
        clockTolerance: clockToleranceSeconds,
      };
      const { payload } = keySet ? await jwtVerify(token, keySet, options) : await jwtVerify(token, secret, options);
      // jose checks that iat is a number, not that it has passed: a token issued in the future is refused here.
      if (typeof payload.iat === "number" && payload.iat > Date.now() / 1000 + clockToleranceSeconds) {
        throw new InvalidTokenError("the token's iat claim is in the future");
      }
      const subject: unknown = payload.sub;
      if (typeof subject !== "string" || subject === "" || subject.length > maxSubjectLength) {
        throw new InvalidTokenError(`the token's sub claim must be a string of 1 to ${maxSubjectLength} characters`);
      }
      return { subject };
    } catch (err) {
      throw new InvalidTokenError(reason(err, algorithms));
    }
  };
}

function reason(err: unknown, algorithms: readonly string[]): string {
  if (err instanceof InvalidTokenError) return err.message;
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the token's signature is invalid";
  if (err instanceof errors.JOSEAlgNotAllowed) return `the token must be signed with ${algorithms.join(", ")}`;
  if (err instanceof errors.JWKSNoMatchingKey) return "the token's signing key is not known";
  return "the token is malformed";
}

export interface IssueOptions {
  subject: string;
  /** Lifetime: seconds, or a jose time span such as "15m" or "1h". */
  ttl: number | string;
  /** Issued-at override (epoch seconds), for tests of expiry. */
  issuedAt?: number;
}

export async function issueToken(settings: JwtSettings, options: IssueOptions): Promise<string> {
  const issuedAt = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const ttlSeconds = typeof options.ttl === "number" ? options.ttl : parseTtl(options.ttl);
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.subject)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(new TextEncoder().encode(requireSecret(settings)));
}

function requireSecret(settings: JwtSettings): string {
  if (!settings.secret) throw new Error("issueToken signs HS256 tokens and needs the secret (JWT_SECRET)");
  return settings.secret;
}

const ttlUnits: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** "90", "90s", "15m", "1h", "7d" to seconds; throws on anything else. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * ttlUnits[match[2] || "s"]! : 0;
  if (!(seconds > 0)) throw new Error(`ttl must be a positive duration such as 3600, 15m, 1h or 7d (got "${text}")`);
  return seconds;
}
