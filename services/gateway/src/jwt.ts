// Bearer tokens: HS256 JWTs with a subject, checked for signature, issuer,
// audience and expiry. The gateway verifies them; issue-token.ts (local runs)
// and tests sign them with the same settings.
import { errors, jwtVerify, SignJWT } from "jose";

export interface JwtSettings {
  secret: string;
  issuer: string;
  audience: string;
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
  const key = new TextEncoder().encode(settings.secret);
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ["HS256"],
        issuer: settings.issuer,
        audience: settings.audience,
        requiredClaims: ["sub", "exp"],
        clockTolerance: clockToleranceSeconds,
      });
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
  if (err instanceof errors.JOSEAlgNotAllowed) return "the token must be signed with HS256";
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
    .sign(new TextEncoder().encode(settings.secret));
}

const ttlUnits: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** "90", "90s", "15m", "1h", "7d" to seconds; throws on anything else. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * ttlUnits[match[2] || "s"]! : 0;
  if (!(seconds > 0)) throw new Error(`ttl must be a positive duration such as 3600, 15m, 1h or 7d (got "${text}")`);
  return seconds;
}
