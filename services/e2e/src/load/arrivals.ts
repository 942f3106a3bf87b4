// When each operation of an open-loop load is due: at a fixed rate, either
// evenly spaced (constant) or as a Poisson process (exponential gaps with the
// same mean). The schedule is fixed before the run and never depends on how
// fast the system answers.

export type ArrivalProcess = "constant" | "poisson";

/** A small seeded generator (mulberry32), so that a Poisson schedule can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Offsets (ms from the start) of every arrival in [0, durationMs), in order. */
export function* arrivals(rate: number, durationMs: number, process: ArrivalProcess = "constant", random: () => number = Math.random): Generator<number> {
  if (!(rate > 0)) throw new Error(`rate must be positive (got ${rate})`);
  const gap = 1000 / rate;
  if (process === "constant") {
    for (let i = 0; i * gap < durationMs; i++) yield i * gap;
    return;
  }
  for (let at = -Math.log(1 - random()) * gap; at < durationMs; at += -Math.log(1 - random()) * gap) yield at;
}
