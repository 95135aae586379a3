/**
 * Runs work over a list, or over a feed that is still being filled (the capture being read),
 * with at most `concurrency` in flight and at most `ratePerSecond` starts per second, and hands
 * the results back in the list's order (a reorder buffer), so output stays deterministic
 * whatever order the answers arrive in.
 */

/**
 * Items arriving while work runs: the reader pushes, the workers take by index. Taken items are
 * released, and `push` waits while too many are buffered, so memory stays flat however long
 * the capture is.
 */
export class Feed<T> {
  private readonly items: Array<T | undefined> = [];
  private taken = 0;
  private closedFlag = false;
  private abandonedFlag = false;
  /** Consumers waiting, each for the item at its index: a push wakes only those it serves. */
  private waitingForItems: Array<{ index: number; resolve: () => void }> = [];
  private waitingForRoom: Array<() => void> = [];

  constructor(private readonly highWater = 10_000) {}

  static of<T>(items: readonly T[]): Feed<T> {
    const feed = new Feed<T>(Infinity);
    for (const item of items) feed.items.push(item);
    feed.close();
    return feed;
  }

  /** Items pushed so far (all of them once closed). */
  get length(): number {
    return this.items.length;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** True once the consumers stopped: the producer should stop too. */
  get abandoned(): boolean {
    return this.abandonedFlag;
  }

  /** What push() returns when there is room: a producer can skip awaiting it. */
  static readonly NO_WAIT: Promise<void> = Promise.resolve();

  /**
   * Adds an item. The promise settles once there is room for more: Feed.NO_WAIT (no new promise
   * per item) unless too many items are buffered.
   */
  push(item: T): Promise<void> {
    if (this.abandonedFlag) return Feed.NO_WAIT;
    this.items.push(item);
    if (this.waitingForItems.length) this.wakeConsumers(false);
    if (this.items.length - this.taken > this.highWater && !this.abandonedFlag)
      return new Promise<void>((resolve) => this.waitingForRoom.push(resolve));
    return Feed.NO_WAIT;
  }

  close(): void {
    this.closedFlag = true;
    this.wakeConsumers(true);
  }

  /** The consumers are done: release a producer waiting for room, and drop what comes next. */
  abandon(): void {
    this.abandonedFlag = true;
    this.wake(this.waitingForRoom);
  }

  /** The item at `index`, waiting for it to be pushed; undefined once the feed closed before it. */
  async take(index: number): Promise<T | undefined> {
    while (index >= this.items.length) {
      if (this.closedFlag) return undefined;
      await new Promise<void>((resolve) => this.waitingForItems.push({ index, resolve }));
    }
    return this.takeNow(index);
  }

  /** The item at `index` if it is already there (no promise on the hot path), else undefined. */
  takeNow(index: number): T | undefined {
    if (index >= this.items.length) return undefined;
    const item = this.items[index];
    this.items[index] = undefined;
    this.taken++;
    // The producer waits until half the buffer is free again: woken for every item taken, it
    // would make a promise per item.
    if (this.waitingForRoom.length && this.items.length - this.taken <= this.highWater / 2)
      this.wake(this.waitingForRoom);
    return item;
  }

  /**
   * Wakes the consumers whose item is there (all of them once closed). Waking every consumer on
   * every push made each of 50 waiting workers allocate a new promise per item: most of what a
   * replay allocated.
   */
  private wakeConsumers(all: boolean): void {
    const waiting = this.waitingForItems;
    let kept = 0;
    for (let i = 0; i < waiting.length; i++) {
      const waiter = waiting[i]!;
      if (all || waiter.index < this.items.length) waiter.resolve();
      else waiting[kept++] = waiter;
    }
    waiting.length = kept;
  }

  private wake(queue: Array<() => void>): void {
    if (!queue.length) return;
    for (const resolve of queue.splice(0)) resolve();
  }
}

export interface PoolOptions {
  concurrency: number;
  /** Starts per second; undefined for as fast as the concurrency allows. */
  ratePerSecond?: number;
  /** Stops starting new work; work in flight finishes (its own signal aborts it). */
  signal?: AbortSignal;
}

export interface PoolRun {
  /** How many items were started. */
  started: number;
  /** True when the signal or `emit` ended the run before every item started. */
  stopped: boolean;
}

/** `emit` returning true stops starting new work (the replay stops when nothing listens). */
export async function runOrdered<T, R>(
  source: readonly T[] | Feed<T>,
  options: PoolOptions,
  work: (item: T, index: number) => Promise<R>,
  emit: (result: R, index: number) => boolean | void,
): Promise<PoolRun> {
  const feed = source instanceof Feed ? source : Feed.of(source);
  const concurrency = Math.max(1, feed.closed ? Math.min(options.concurrency, feed.length || 1) : options.concurrency);
  const interval = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;
  const done = new Map<number, R>();
  let next = 0;
  let nextEmit = 0;
  let stopped = false;
  let started = 0;
  let nextSlot = performance.now();

  const flush = () => {
    while (done.has(nextEmit)) {
      const result = done.get(nextEmit)!;
      done.delete(nextEmit);
      if (emit(result, nextEmit) === true) stopped = true;
      nextEmit++;
    }
  };

  const waitForSlot = async () => {
    if (!interval) return;
    const now = performance.now();
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + interval;
    if (slot > now) await sleep(slot - now, options.signal);
  };

  const worker = async () => {
    while (!stopped && !options.signal?.aborted) {
      const index = next++;
      const item = feed.takeNow(index) ?? (await feed.take(index));
      if (item === undefined) return;
      if (interval) await waitForSlot();
      if (stopped || options.signal?.aborted) return;
      started++;
      const result = await work(item, index);
      done.set(index, result);
      flush();
    }
  };

  await Promise.all(Array.from({ length: concurrency }, worker));
  feed.abandon();
  // After a stop, items claimed but never started leave gaps: emit what finished, in order.
  for (const index of [...done.keys()].sort((a, b) => a - b)) emit(done.get(index)!, index);
  return { started, stopped: !feed.closed || started < feed.length };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
