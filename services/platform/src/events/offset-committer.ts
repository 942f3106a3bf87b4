// A consumer's offset commits, coalesced: the newest handled offset of each
// partition waits here, and one commit at a time carries all that wait. A
// commit that fails is tried again (with whatever is newest by then) until it
// succeeds or the group is rejoined, so the last offsets handled before the
// system comes to rest are committed even when no message follows them.
//
// Why not one commit per batch, chained: kafkajs retries a failing commit for
// about 35 s (broker restarting, coordinator loading), and every batch handled
// meanwhile queued one more behind it. After a broker restart on the local
// cluster a group's committed offsets stood still for minutes (lag 114, 773,
// 871 at the scenario's rest check); that chain is the suspected cause, not a
// proven one.

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read: one past the last message handled. */
  offset: string;
}

export interface OffsetCommitterOptions {
  commit(offsets: PartitionOffset[]): Promise<void>;
  /** Wait before trying a failed commit again (default 1 s). */
  retryDelayMs?: number;
  /** Told of the first failure after a success, and of the first success after failures. */
  onFailing?(err: Error, offsets: PartitionOffset[]): void;
  onRecovered?(): void;
}

export class OffsetCommitter {
  private readonly waiting = new Map<string, PartitionOffset>();
  private inFlight: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private closed = false;
  /** Counts resets (rejoins): a commit that fails after one puts nothing back, and an offer from before one is dropped. */
  private generation = 0;

  constructor(private readonly options: OffsetCommitterOptions) {}

  /** The current generation: a batch takes it when it starts and offers with it. */
  get epoch(): number {
    return this.generation;
  }

  /**
   * Records a partition's newest handled offset and starts a commit unless one
   * is under way; dropped when `epoch` (the batch's) is from before a reset.
   */
  offer(offset: PartitionOffset, epoch = this.generation): void {
    if (this.closed || epoch !== this.generation) return;
    this.waiting.set(keyOf(offset), offset);
    this.start();
  }

  /**
   * Forgets what waits (the group was rejoined: the partitions may be another
   * member's now, and this member's offsets would move theirs back; what was
   * handled but not committed is delivered again and the inbox drops it).
   */
  reset(): void {
    this.generation++;
    this.waiting.clear();
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Offsets waiting for a commit, for tests and diagnostics. */
  get pending(): number {
    return this.waiting.size;
  }

  /** Commits what waits, once, and stops trying again afterwards (the subscription is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.inFlight;
    if (this.waiting.size > 0) await this.commitWaiting().catch(() => {});
  }

  private start(): void {
    if (this.inFlight || this.retryTimer) return;
    this.inFlight = this.commitWaiting()
      .then(
        () => this.recovered(),
        (err: Error) => this.failed(err),
      )
      .finally(() => {
        this.inFlight = undefined;
        // Offered while the commit was in flight.
        if (this.waiting.size > 0 && !this.retryTimer && !this.closed) this.start();
      });
  }

  private async commitWaiting(): Promise<void> {
    const offsets = [...this.waiting.values()];
    const generation = this.generation;
    this.waiting.clear();
    try {
      await this.options.commit(offsets);
    } catch (err) {
      // Put back what no newer offer (or a rejoin) replaced meanwhile.
      if (generation === this.generation) for (const offset of offsets) {
        if (!this.waiting.has(keyOf(offset))) this.waiting.set(keyOf(offset), offset);
      }
      throw err;
    }
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.options.onRecovered?.();
  }

  private failed(err: Error): void {
    if (!this.failing) this.options.onFailing?.(err, [...this.waiting.values()]);
    this.failing = true;
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.waiting.size > 0) this.start();
    }, this.options.retryDelayMs ?? 1_000);
    this.retryTimer.unref();
  }
}

const keyOf = (offset: PartitionOffset) => `${offset.topic}/${offset.partition}`;
