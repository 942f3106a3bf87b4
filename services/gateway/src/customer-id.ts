// The customer a token speaks for. Backends key customers by UUID, while a
// token's `sub` may be any string ("customer-1"): a UUID subject is used as
// is, any other is mapped to a stable name-based UUID (RFC 9562 version 5),
// so the same subject always owns the same orders.
import { createHash } from "node:crypto";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Namespace of meshmart token subjects (a fixed random UUID; changing it re-keys every customer). */
const subjectNamespace = "6f1c7e52-3b0a-4d8e-9a4f-2c5d7b9e1a30";

export function customerIdFor(subject: string): string {
  if (uuidPattern.test(subject)) return subject.toLowerCase();
  return uuidV5(subject, subjectNamespace);
}

/** A name-based UUID (version 5, SHA-1) of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC variant
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
