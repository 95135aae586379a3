/**
 * A single-consumer async queue: the session pushes events as they happen, a renderer drains them
 * with `for await`. Unbounded on purpose: a slow terminal must never hold back the proxy.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private buffer: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;
  private readonly listeners: ((value: T) => void)[] = [];

  push(value: T): void {
    if (this.closed) return;
    for (const listener of this.listeners) listener(value);
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value, done: false });
    } else {
      this.buffer.push(value);
    }
  }

  /** Also calls `listener` synchronously for each event (tests, extra sinks). */
  subscribe(listener: (value: T) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: () => {
        this.buffer = [];
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
