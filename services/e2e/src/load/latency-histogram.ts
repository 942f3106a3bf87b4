// Latencies in an HDR histogram (hdr-histogram-js), recorded in microseconds
// so that sub-millisecond answers keep their precision, read in milliseconds.
import * as hdr from "hdr-histogram-js";

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export class LatencyHistogram {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });

  record(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** The latency at `percentile` (0-100), in ms; NaN when empty. */
  at(percentile: number): number {
    return this.count === 0 ? Number.NaN : this.histogram.getValueAtPercentile(percentile) / 1000;
  }

  summary(): LatencySummary {
    const round = (v: number) => Math.round(v * 100) / 100;
    return {
      count: this.count,
      p50: round(this.at(50)),
      p90: round(this.at(90)),
      p99: round(this.at(99)),
      p999: round(this.at(99.9)),
      max: this.count === 0 ? Number.NaN : round(this.histogram.maxValue / 1000),
      mean: this.count === 0 ? Number.NaN : round(this.histogram.mean / 1000),
    };
  }

  /** The whole histogram, compressed (HdrHistogram's base64 format), for a results file. */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.histogram);
  }
}
