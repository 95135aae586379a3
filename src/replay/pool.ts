/**
 * Runs work over a list with at most `concurrency` in flight and at most `ratePerSecond` starts
 * per second, and hands the results back in the list's order (a reorder buffer), so output stays
 * deterministic whatever order the answers arrive in.
 */
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
  /** True when the signal or `stop()` ended the run before every item started. */
  stopped: boolean;
}

/** `emit` returning true stops starting new work (the replay stops when nothing listens). */
export async function runOrdered<T, R>(
  items: readonly T[],
  options: PoolOptions,
  work: (item: T, index: number) => Promise<R>,
  emit: (result: R, index: number) => boolean | void,
): Promise<PoolRun> {
  const concurrency = Math.max(1, Math.min(options.concurrency, items.length || 1));
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
    while (!stopped && !options.signal?.aborted && next < items.length) {
      const index = next++;
      await waitForSlot();
      if (stopped || options.signal?.aborted) return;
      started++;
      const result = await work(items[index]!, index);
      done.set(index, result);
      flush();
    }
  };

  await Promise.all(Array.from({ length: concurrency }, worker));
  // After a stop, items claimed but never started leave gaps: emit what finished, in order.
  for (const index of [...done.keys()].sort((a, b) => a - b)) emit(done.get(index)!, index);
  return { started, stopped: started < items.length };
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
