// Deterministic secrets: every password, the JWT secret and the Kafka cluster
// id are derived from one seed with HMAC-SHA256, so a synth is reproducible
// (the Helm chart equals it byte for byte) and a different seed
// (MESHMART_SECRET_SEED) gives a deployment its own credentials. The default
// seed is for development clusters only.

import { createHmac } from "node:crypto";

/** A URL-safe secret (base64url alphabet) for `purpose`, e.g. "postgres/catalog". */
export function derivedSecret(seed: string, purpose: string, length = 32): string {
  if (length > 43) throw new Error("derivedSecret: at most 43 characters (256 bits)");
  return createHmac("sha256", seed).update(purpose).digest("base64url").slice(0, length);
}

/** A Kafka cluster id: 16 bytes as unpadded base64url (22 characters), as `kafka-storage.sh random-uuid` prints. */
export function derivedKafkaClusterId(seed: string): string {
  const bytes = createHmac("sha256", seed).update("kafka/cluster-id").digest().subarray(0, 16);
  // Set the UUID version/variant bits like a random (v4) UUID.
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return Buffer.from(bytes).toString("base64url");
}
