// Bearer tokens: JWTs with a subject, checked for signature, issuer, audience
// and expiry against the token issuer's public keys (JWT_JWKS: ES256, RS256
// or EdDSA). The gateway holds nothing that could sign a token; the one issuer
// of the project (@meshmart/dev-identity for local runs, tests and the
// cluster, or an identity provider) does.
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet } from "jose";

export type PublicKeySet = JSONWebKeySet;

export interface JwtSettings {
  /** The issuer's public keys. */
  jwks: PublicKeySet;
  issuer: string;
  audience: string;
}

/** Algorithms accepted: asymmetric only, so no HS256 token keyed with a public key (algorithm confusion). */
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

/** The verifier settings from the gateway's config. */
export function jwtSettings(config: { JWT_JWKS: PublicKeySet; JWT_ISSUER: string; JWT_AUDIENCE: string }): JwtSettings {
  return { jwks: config.JWT_JWKS, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
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
  const keySet = createLocalJWKSet(settings.jwks);
  const options = {
    algorithms: publicKeyAlgorithms,
    issuer: settings.issuer,
    audience: settings.audience,
    requiredClaims: ["sub", "exp"],
    clockTolerance: clockToleranceSeconds,
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keySet, options);
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
      throw new InvalidTokenError(reason(err));
    }
  };
}

function reason(err: unknown): string {
  if (err instanceof InvalidTokenError) return err.message;
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not accepted`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the token's signature is invalid";
  if (err instanceof errors.JOSEAlgNotAllowed) return `the token must be signed with ${publicKeyAlgorithms.join(", ")}`;
  if (err instanceof errors.JWKSNoMatchingKey) return "the token's signing key is not known";
  return "the token is malformed";
}
