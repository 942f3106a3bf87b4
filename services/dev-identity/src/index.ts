// The development token issuer (see signing-key.ts and dev-token.ts).
export { devToken, type DevTokenOptions } from "./dev-token.ts";
export { ensureSigningKey, generateSigningKey, keyDirectory, signingKeyFromPrivateJwk, tokenAlgorithm, type SigningKey } from "./signing-key.ts";
