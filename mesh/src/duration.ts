// Istio durations are strings. Emitting them as decimal seconds ("1.5s") is the
// one form that protobuf JSON, Go's time.ParseDuration and the CRDs' CEL
// `duration()` rules all accept, so every duration in the mesh goes through here.

/** Milliseconds as an Istio duration string in seconds, e.g. 1500 -> "1.5s". */
export function seconds(milliseconds: number): string {
  if (!Number.isInteger(milliseconds) || milliseconds < 1) {
    throw new Error(`a mesh duration must be a whole number of milliseconds >= 1, got ${milliseconds}`);
  }
  return `${Number((milliseconds / 1000).toFixed(3))}s`;
}

/** Parses what `seconds()` emits (and plain "Ns"/"Nms") back to milliseconds. */
export function milliseconds(duration: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(duration);
  if (!match) throw new Error(`not a duration in s or ms: ${JSON.stringify(duration)}`);
  const value = Number(match[1]);
  return Math.round(match[2] === "ms" ? value : value * 1000);
}
