// The key pair of the platform's development token issuer: ES256 (ECDSA
// P-256), generated once per installation into a local key directory that is
// never committed (.local/keys/<name>/). The synth embeds only the public key,
// as a JSON Web Key Set: the ingress's RequestAuthentication and the gateway
// (JWT_JWKS) verify with it, so reading the manifests gives nobody the power
// to sign. dev-token.ts signs with the private key.
import { createHash, createPrivateKey, generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const tokenAlgorithm = "ES256";

/** The repository root: key pairs live in its git-ignored .local/keys/. */
const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");

export interface SigningKey {
  /** Key id: the RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  /** The private key as a JWK (with kid and alg). */
  readonly privateJwk: JsonWebKey & { kid: string; alg: string };
  /** `{"keys":[<public JWK>]}`, as RequestAuthentication's `jwks` and the gateway's JWT_JWKS take it. */
  readonly jwks: string;
}

/** Where a named installation keeps its key pair (e.g. the kube context it is deployed to). */
export function keyDirectory(name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESHMART_KEY_DIR) return path.resolve(env.MESHMART_KEY_DIR);
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`not a usable key directory name: ${JSON.stringify(name)}`);
  return path.join(repoRoot, ".local", "keys", name);
}

function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash("sha256").update(canonical).digest("base64url");
}

export function signingKeyFromPrivateJwk(jwk: JsonWebKey): SigningKey {
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d) throw new Error("the token signing key must be a private EC P-256 JWK");
  const kid = thumbprint(jwk);
  const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid, alg: tokenAlgorithm, use: "sig" };
  return { kid, privateJwk: { ...jwk, kid, alg: tokenAlgorithm }, jwks: JSON.stringify({ keys: [publicJwk] }) };
}

/** A new key pair (not written anywhere). */
export function generateSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return signingKeyFromPrivateJwk(privateKey.export({ format: "jwk" }));
}

/** The key pair in `dir/private.jwk`, created (mode 0600) when missing; `dir/jwks.json` holds the public set. */
export function ensureSigningKey(dir: string): SigningKey {
  const file = path.join(dir, "private.jwk");
  if (existsSync(file)) {
    const jwk = JSON.parse(readFileSync(file, "utf8")) as JsonWebKey;
    createPrivateKey({ key: jwk, format: "jwk" }); // fails loudly on a damaged file
    return signingKeyFromPrivateJwk(jwk);
  }
  const key = generateSigningKey();
  // Only the key's own directory is private: a recursive mkdir would give the mode to every parent it creates too
  // (.local among them), and PostgreSQL's initdb, running as another user, must enter those.
  mkdirSync(path.dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(file, JSON.stringify(key.privateJwk) + "\n", { mode: 0o600, flag: "wx" });
  } catch (err) {
    // Another process created it first: theirs is the key.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return ensureSigningKey(dir);
    throw err;
  }
  writeFileSync(path.join(dir, "jwks.json"), key.jwks + "\n");
  return key;
}
