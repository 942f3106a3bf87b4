// The draw behind the simulated dependencies (payments' provider, shipping's
// carrier): a number in [0, 1) fixed by a seed and a key, uniform over random
// keys. Across random order ids a rate r hits the fraction r of them, and a
// retried call for the same order gets the same answer, as a real provider
// keyed by an idempotency key would give. Each simulation passes a stream name
// of its own, so that one seed does not make the provider and the carrier hit
// the same orders.
import { createHash } from "node:crypto";

export function simulatedDraw(stream: string, seed: string, key: string): number {
  // The payment provider's stream is "" and keeps the draw it had before streams existed.
  const input = stream === "" ? `${seed}:${key}` : `${stream}\u0000${seed}:${key}`;
  return createHash("sha256").update(input).digest().readUIntBE(0, 6) / 2 ** 48;
}
