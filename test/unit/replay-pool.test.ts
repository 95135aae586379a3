import { describe, expect, it } from 'vitest';
import { Feed, runOrdered } from '../../src/replay/pool.js';
import { kindMatches, parseFilters } from '../../src/replay/select.js';
import { parseRate } from '../../src/commands/shared/flags.js';
import { UsageError } from '../../src/errors.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runOrdered', () => {
  it('never runs more than the concurrency, and emits in list order whatever order work finishes in', async () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    let inFlight = 0;
    let max = 0;
    const emitted: number[] = [];
    // Later items finish first within each group: answers arrive out of order.
    const run = await runOrdered(
      items,
      { concurrency: 5 },
      async (item) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await tick((40 - item) % 7);
        inFlight--;
        return item * 10;
      },
      (result, index) => {
        expect(result).toBe(index * 10);
        emitted.push(index);
      },
    );
    expect(max).toBe(5);
    expect(emitted).toEqual(items);
    expect(run).toEqual({ started: 40, stopped: false });
  });

  it('emit returning true stops new work; what finished is still emitted, in order', async () => {
    const emitted: number[] = [];
    const run = await runOrdered(
      Array.from({ length: 100 }, (_, i) => i),
      { concurrency: 3 },
      async (item) => item,
      (result) => {
        emitted.push(result);
        return result === 4;
      },
    );
    expect(run.stopped).toBe(true);
    expect(run.started).toBeLessThan(100);
    expect(emitted.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(emitted).toEqual([...emitted].sort((a, b) => a - b));
    expect(emitted.length).toBe(run.started);
  });

  it('an aborted signal stops starting work', async () => {
    const controller = new AbortController();
    let started = 0;
    const run = await runOrdered(
      Array.from({ length: 50 }, (_, i) => i),
      { concurrency: 2, ratePerSecond: 1000, signal: controller.signal },
      async () => {
        if (++started === 3) controller.abort();
        return 0;
      },
      () => {},
    );
    expect(run.stopped).toBe(true);
    expect(started).toBeLessThanOrEqual(4);
  });

  it('with a rate, starts are spaced and still in order at concurrency 1', async () => {
    const starts: number[] = [];
    await runOrdered(
      [0, 1, 2, 3],
      { concurrency: 1, ratePerSecond: 50 },
      async (item) => {
        starts.push(item);
        return item;
      },
      () => {},
    );
    expect(starts).toEqual([0, 1, 2, 3]);
  });
});

describe('Feed', () => {
  it('hands items to consumers as they are pushed, and ends when closed', async () => {
    const feed = new Feed<number>();
    const results: number[] = [];
    const run = runOrdered(
      feed,
      { concurrency: 3 },
      async (item) => item * 2,
      (r) => void results.push(r),
    );
    for (let i = 0; i < 20; i++) {
      await feed.push(i);
      if (i % 5 === 0) await tick(1);
    }
    feed.close();
    expect(await run).toEqual({ started: 20, stopped: false });
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });

  it('push waits while more than the high-water mark is buffered, until half of it is free again, and releases taken items', async () => {
    const feed = new Feed<string>(2);
    await feed.push('a');
    await feed.push('b');
    let third = false;
    const pushing = feed.push('c').then(() => (third = true));
    await tick(5);
    expect(third).toBe(false);
    expect(await feed.take(0)).toBe('a');
    await tick(5);
    // Two still buffered: a producer woken at every take would make a promise per item.
    expect(third).toBe(false);
    expect(feed.takeNow(1)).toBe('b');
    await pushing;
    expect(third).toBe(true);
    expect(feed.takeNow(2)).toBe('c');
    expect(feed.takeNow(5)).toBeUndefined();
  });

  it('abandon releases a waiting producer and drops what comes next', async () => {
    const feed = new Feed<number>(1);
    await feed.push(1);
    const waiting = feed.push(2);
    feed.abandon();
    await waiting;
    await feed.push(3);
    expect(feed.abandoned).toBe(true);
    expect(feed.length).toBe(2);
  });

  it('a stopped run abandons the feed, so the reader stops', async () => {
    const feed = new Feed<number>(4);
    const producer = (async () => {
      let pushed = 0;
      for (let i = 0; i < 1000 && !feed.abandoned; i++) {
        await feed.push(i);
        pushed++;
      }
      feed.close();
      return pushed;
    })();
    const run = await runOrdered(
      feed,
      { concurrency: 2 },
      async (i) => i,
      (i) => i === 3,
    );
    expect(run.stopped).toBe(true);
    expect(await producer).toBeLessThan(1000);
  });
});

describe('replay options', () => {
  it('--rate takes N, N/s or N/m', () => {
    expect(parseRate('20')).toBe(20);
    expect(parseRate('20/s')).toBe(20);
    expect(parseRate('120/m')).toBe(2);
    expect(() => parseRate('fast')).toThrow(UsageError);
    expect(() => parseRate('0/s')).toThrow(UsageError);
  });

  it('--filter groups values by key and checks keys, kinds and statuses', () => {
    expect(parseFilters(['kind=status', 'path=/sms', 'kind=inbound'])).toEqual([
      { key: 'kind', values: ['status', 'inbound'] },
      { key: 'path', values: ['/sms'] },
    ]);
    expect(() => parseFilters(['color=red'])).toThrow(/is not a filter: use kind, path, method, status/);
    expect(() => parseFilters(['kind=fax'])).toThrow(/matches no kind/);
    expect(() => parseFilters(['status=ok'])).toThrow(UsageError);
    expect(() => parseFilters(['kind'])).toThrow(/KEY=VALUE/);
  });

  it('a kind filter matches whole kinds and their parts', () => {
    expect(kindMatches('message-status', 'status')).toBe(true);
    expect(kindMatches('call-status', 'call')).toBe(true);
    expect(kindMatches('inbound-call', 'call')).toBe(true);
    expect(kindMatches('inbound-sms', 'sms')).toBe(true);
    expect(kindMatches('inbound-mms', 'sms')).toBe(false);
    expect(kindMatches('gather', 'gather')).toBe(true);
    expect(kindMatches('event-streams', 'status')).toBe(false);
  });
});
