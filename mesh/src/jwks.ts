// A JSON Web Key Set holding one symmetric (HS256) key, for Istio's inline
// `jwks`. Envoy's JWT filter accepts "oct" keys, so the ingress can check the
// same HS256 tokens the gateway service checks with JWT_SECRET: the key is the
// secret's UTF-8 bytes, base64url-encoded.

export function hmacJwks(secret: string, keyId: string): string {
  if (secret.length < 32) throw new Error("an HS256 JWT secret needs at least 32 characters");
  const k = Buffer.from(secret, "utf8").toString("base64url");
  return JSON.stringify({ keys: [{ kty: "oct", kid: keyId, alg: "HS256", use: "sig", k }] });
}
