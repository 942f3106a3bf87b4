// The customer a token speaks for. Backends key customers by UUID, while a
// token's `sub` may be any string ("customer-1"): a UUID subject is used as
// is, any other is mapped to a stable name-based UUID (RFC 9562 version 5),
// so the same subject always owns the same orders.
import { v5 as uuidV5 } from "uuid";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Namespace of meshmart token subjects (a fixed random UUID; changing it re-keys every customer). */
const subjectNamespace = "6f1c7e52-3b0a-4d8e-9a4f-2c5d7b9e1a30";

export function customerIdFor(subject: string): string {
  if (uuidPattern.test(subject)) return subject.toLowerCase();
  return uuidV5(subject, subjectNamespace);
}
