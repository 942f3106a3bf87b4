// Port plan for local infrastructure. dev and test have fixed, documented
// ports so both can run side by side; any other profile gets ports derived
// from its name, so they are stable across runs (and a running server can be
// found again) without a registry of profiles.

export interface ProfilePorts {
  postgres: number;
  kafka: number;
  /** KRaft controller listener; always kafka + 1. */
  kafkaController: number;
  /**
   * Toxiproxy's API. The fault scenarios' local stack lays out its proxies,
   * service ports and extra Kafka listeners on the 60 ports from here on.
   */
  toxiproxy: number;
}

const known: Record<string, { postgres: number; kafka: number; toxiproxy: number }> = {
  dev: { postgres: 15432, kafka: 9092, toxiproxy: 8474 },
  test: { postgres: 15433, kafka: 19092, toxiproxy: 18400 },
  // PostgreSQL and Kafka of the local cluster (outside it, on its node address).
  "local-cluster": { postgres: 15434, kafka: 19094, toxiproxy: 18500 },
};

export function defaultPorts(profile: string): ProfilePorts {
  const fixed = known[profile];
  if (fixed) return { ...fixed, kafkaController: fixed.kafka + 1 };
  // Below Linux's ephemeral range (32768-60999), where a client connection's
  // local end could be holding the port when the server starts.
  const hash = fnv1a(profile);
  const slot = hash % 500;
  const kafka = 20000 + 2 * slot;
  return { postgres: 22000 + slot, kafka, kafkaController: kafka + 1, toxiproxy: 27600 + (hash % 80) * 60 };
}

/** A port from the environment, or undefined when the variable is unset. */
export function portFromEnv(variable: string): number | undefined {
  const raw = process.env[variable];
  if (raw === undefined || raw.trim() === "") return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1024 || port > 65534) {
    throw new Error(`${variable}=${raw} is not a usable port (an integer from 1024 to 65534)`);
  }
  return port;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
