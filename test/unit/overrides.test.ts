import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  EDGES,
  RETRY_POLICIES,
  describeOverrides,
  formatOverrides,
  inspectOverrides,
  overrideWarnings,
  parseOverrides,
  splitOverrides,
  stripFragment,
  withOverrides,
  type Overrides,
} from '../../src/webhooks/overrides.js';

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('numeric keys at their bounds and one past', () => {
  const table: [string, string, number, number, number][] = [
    ['ct', 'connectTimeout', 100, 10000, 5000],
    ['rt', 'readTimeout', 100, 15000, 15000],
    ['tt', 'totalTimeout', 100, 15000, 15000],
    ['rc', 'retryCount', 0, 5, 1],
  ];
  for (const [key, name, min, max, def] of table) {
    it(`${key}: ${min}..${max}`, () => {
      expect(parseOverrides(`${key}=${min}`)).toEqual({ [name]: min });
      expect(parseOverrides(`#${key}=${max}`)).toEqual({ [name]: max });
      const low = usageMessage(() => parseOverrides(`${key}=${min - 1}`));
      expect(low).toContain(`${key}="${min - 1}"`);
      expect(low).toContain(`from ${min} to ${max}`);
      expect(low).toContain(`default ${def}`);
      const high = usageMessage(() => parseOverrides(`${key}=${max + 1}`));
      expect(high).toContain(`${key}="${max + 1}"`);
      expect(high).toContain('too large');
      expect(usageMessage(() => parseOverrides(`${key}=1.5`))).toContain('an integer');
      expect(usageMessage(() => parseOverrides(`${key}=`))).toContain(key);
      expect(usageMessage(() => parseOverrides(`${key}=-1`))).toContain(key);
    });
  }
});

describe('list and flag keys', () => {
  it('rp takes each policy and comma lists of them', () => {
    for (const p of RETRY_POLICIES) expect(parseOverrides(`rp=${p}`)).toEqual({ retryPolicy: [p] });
    expect(parseOverrides('rp=4xx,5xx,ct')).toEqual({ retryPolicy: ['4xx', '5xx', 'ct'] });
    expect(parseOverrides('rp=5XX')).toEqual({ retryPolicy: ['5xx'] });
    const msg = usageMessage(() => parseOverrides('rp=3xx'));
    expect(msg).toContain('rp="3xx"');
    expect(msg).toContain('4xx, 5xx, ct, rt, all');
    expect(usageMessage(() => parseOverrides('rp=ct,'))).toContain('empty item');
  });

  it('e takes every edge, its -ix form and roaming', () => {
    for (const edge of EDGES) expect(parseOverrides(`e=${edge}`)).toEqual({ edges: [edge] });
    expect(EDGES).toContain('sao-paulo-ix');
    expect(EDGES).toContain('roaming');
    expect(parseOverrides('e=ashburn,dublin-ix')).toEqual({ edges: ['ashburn', 'dublin-ix'] });
    const msg = usageMessage(() => parseOverrides('e=mars'));
    expect(msg).toContain('e="mars"');
    expect(msg).toContain('umatilla');
    expect(usageMessage(() => parseOverrides('e=roaming-ix'))).toContain('roaming-ix');
  });

  it('sni is y or n', () => {
    expect(parseOverrides('sni=y')).toEqual({ sni: true });
    expect(parseOverrides('sni=n')).toEqual({ sni: false });
    expect(usageMessage(() => parseOverrides('sni=yes'))).toContain('y or n');
  });
});

describe('fragments', () => {
  it('parses several keys and an empty fragment', () => {
    expect(parseOverrides('')).toEqual({});
    expect(parseOverrides('#')).toEqual({});
    expect(parseOverrides('ct=1000&rt=2000&tt=9000&rc=3&rp=all&e=tokyo&sni=n')).toEqual({
      connectTimeout: 1000,
      readTimeout: 2000,
      totalTimeout: 9000,
      retryCount: 3,
      retryPolicy: ['all'],
      edges: ['tokyo'],
      sni: false,
    });
  });

  it('refuses unknown keys, repeated keys, keys without value and empty settings', () => {
    const unknown = usageMessage(() => parseOverrides('ct=1000&xx=1'));
    expect(unknown).toContain('"xx"');
    expect(unknown).toContain('ct, rt, tt, rc, rp, e, sni');
    expect(usageMessage(() => parseOverrides('ct=1000&ct=2000'))).toContain('twice');
    expect(usageMessage(() => parseOverrides('ct'))).toContain('no value');
    expect(usageMessage(() => parseOverrides('ct=1000&&rt=200'))).toContain('empty setting');
    expect(usageMessage(() => parseOverrides('/spa/route'))).toContain('unknown connection override');
  });

  it('keeps the rest of the URL byte for byte and merges with what is there', () => {
    const url = 'https://user:p%40ss@Example.com:8443/a//b?x=1&y=%2F&z#ct=1000&rc=2';
    const out = withOverrides(url, { retryCount: 4, sni: false });
    expect(out).toBe('https://user:p%40ss@Example.com:8443/a//b?x=1&y=%2F&z#ct=1000&rc=4&sni=n');
    expect(withOverrides(url, { readTimeout: 500 }, { replace: true })).toBe(
      'https://user:p%40ss@Example.com:8443/a//b?x=1&y=%2F&z#rt=500',
    );
    expect(withOverrides('https://x.test/a?b', {})).toBe('https://x.test/a?b');
    expect(withOverrides('https://x.test/a#', {})).toBe('https://x.test/a');
    expect(splitOverrides(out)).toEqual({
      base: 'https://user:p%40ss@Example.com:8443/a//b?x=1&y=%2F&z',
      fragment: 'ct=1000&rc=4&sni=n',
      overrides: { connectTimeout: 1000, retryCount: 4, sni: false },
    });
    expect(stripFragment(out)).toBe('https://user:p%40ss@Example.com:8443/a//b?x=1&y=%2F&z');
  });

  it('refuses to merge into a fragment that is not overrides (it would be lost)', () => {
    expect(() => withOverrides('https://x.test/#/app', { retryCount: 1 })).toThrow(UsageError);
    expect(inspectOverrides('https://x.test/#/app')).toMatchObject({ base: 'https://x.test/', fragment: '/app' });
    expect(inspectOverrides('https://x.test/#/app').error).toContain('unknown connection override');
  });

  it('describes settings in one line', () => {
    expect(describeOverrides({})).toBe('Twilio defaults');
    expect(describeOverrides({ retryCount: 2, connectTimeout: 900 })).toBe('ct=900 rc=2');
  });
});

describe('warnings', () => {
  it('warns when tt is below ct', () => {
    expect(overrideWarnings({ totalTimeout: 1000, connectTimeout: 2000 })[0]).toContain('tt=1000 is below ct=2000');
    expect(overrideWarnings({ totalTimeout: 1000 })[0]).toContain('below ct=5000');
    expect(overrideWarnings({ totalTimeout: 3000, connectTimeout: 2000 })).toEqual([]);
  });

  it('warns above 15000 on a voice URL only', () => {
    const o: Overrides = { connectTimeout: 5000, readTimeout: 14000 };
    expect(overrideWarnings(o)).toEqual([]);
    expect(overrideWarnings(o, { voice: true }).join(' ')).toContain('15 s ceiling');
    expect(overrideWarnings({ connectTimeout: 6000, retryCount: 2 }, { voice: true }).join(' ')).toContain('18000 ms');
    expect(overrideWarnings({ connectTimeout: 1000, readTimeout: 5000, retryCount: 1 }, { voice: true })).toEqual([]);
  });

  it('rc=0 with a retry policy or several edges: they never apply', () => {
    expect(overrideWarnings({ retryCount: 0, retryPolicy: ['5xx', 'ct'] })).toEqual([
      'rc=0 makes no retries, so rp=5xx,ct never applies: set rc to 1 or more, or drop rp',
    ]);
    expect(overrideWarnings({ retryCount: 0, edges: ['dublin', 'frankfurt'] })).toEqual([
      'rc=0 makes no retries, so Twilio never rotates to the other edges of e=dublin,frankfurt (only dublin is used): set rc to 1 or more, or give one edge',
    ]);
    // One edge is used for the one attempt: nothing to rotate, nothing to say.
    expect(overrideWarnings({ retryCount: 0, edges: ['dublin'] })).toEqual([]);
    expect(overrideWarnings({ retryCount: 1, retryPolicy: ['5xx'], edges: ['dublin', 'tokyo'] })).toEqual([]);
  });

  it('sni on a plain http URL has no effect', () => {
    expect(overrideWarnings({ sni: false }, { plainHttp: true })[0]).toBe(
      'sni=n has no effect on an http:// URL (SNI is part of the TLS handshake): use https, or drop sni',
    );
    expect(overrideWarnings({ sni: false })).toEqual([]);
  });

  it('retries that can never run: one attempt (ct+rt) can use the whole total time', () => {
    expect(overrideWarnings({ connectTimeout: 9000, readTimeout: 9000, totalTimeout: 10000, retryCount: 3 })).toEqual([
      'ct+rt=18000 ms is not below tt=10000: one attempt can use the whole total time, so the rc=3 retries may never run; lower ct or rt, or raise tt above 18000',
    ]);
    expect(overrideWarnings({ connectTimeout: 2000, readTimeout: 5000, totalTimeout: 10000, retryCount: 1 })).toEqual(
      [],
    );
    expect(overrideWarnings({ connectTimeout: 9000, readTimeout: 9000, totalTimeout: 10000, retryCount: 0 })).toEqual(
      [],
    );
  });

  it('never warns for Twilio defaults', () => {
    expect(overrideWarnings({}, { voice: true })).toEqual([]);
  });
});

const settingsArb: fc.Arbitrary<Overrides> = fc.record(
  {
    connectTimeout: fc.integer({ min: 100, max: 10000 }),
    readTimeout: fc.integer({ min: 100, max: 15000 }),
    totalTimeout: fc.integer({ min: 100, max: 15000 }),
    retryCount: fc.integer({ min: 0, max: 5 }),
    retryPolicy: fc.array(fc.constantFrom(...RETRY_POLICIES), { minLength: 1, maxLength: 5 }),
    edges: fc.array(fc.constantFrom(...EDGES), { minLength: 1, maxLength: 4 }),
    sni: fc.boolean(),
  },
  { requiredKeys: [] },
);

const urlArb = fc.oneof(
  fc.webUrl({ withQueryParameters: true }),
  fc.constantFrom(
    'https://example.com/sms?a=1&b=%20',
    'http://user:secret@host.test:8080/x;y?z',
    'https://h.test/#ct=300&rc=0',
  ),
);

describe('properties', () => {
  it('random valid settings round-trip through a fragment and a URL', () => {
    fc.assert(
      fc.property(settingsArb, urlArb, (settings, url) => {
        expect(parseOverrides(formatOverrides(settings))).toEqual(settings);
        const built = withOverrides(url, settings, { replace: true });
        expect(built.startsWith(stripFragment(url))).toBe(true);
        expect(splitOverrides(built).overrides).toEqual(settings);
        expect(splitOverrides(built).base).toBe(stripFragment(url));
      }),
      { numRuns: 500 },
    );
  });

  it('random strings give settings or a clean UsageError, nothing else', () => {
    const fragmentish = fc.oneof(
      fc.string(),
      fc.string({
        unit: fc.constantFrom(
          'c',
          't',
          'r',
          'e',
          's',
          'n',
          'i',
          'p',
          '=',
          '&',
          ',',
          '1',
          '0',
          '5',
          'x',
          '%',
          '#',
          'y',
          '-',
        ),
      }),
      fc
        .array(
          fc.tuple(fc.constantFrom('ct', 'rt', 'tt', 'rc', 'rp', 'e', 'sni', 'zz', ''), fc.string({ maxLength: 8 })),
          { maxLength: 5 },
        )
        .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
    );
    fc.assert(
      fc.property(fragmentish, (text) => {
        try {
          const parsed = parseOverrides(text);
          expect(parseOverrides(formatOverrides(parsed))).toEqual(parsed);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          expect((err as Error).message.split('\n')).toHaveLength(1);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
