/**
 * Hostile input to the parsers twhook runs on things it did not write: connection-override
 * fragments, capture lines, HAR files, form bodies, signatures, phone numbers and SIDs, TwiML
 * answers. Each input ends in a result or the module's own error type, never anything else.
 *
 * Seeded (FUZZ_SEED to explore other inputs, FUZZ_SCALE for more runs) and bounded: the file runs
 * in seconds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCaptures, type CaptureSource } from '../../src/capture/reader.js';
import type { CaptureItem } from '../../src/capture/format.js';
import { checkWebhookUrl, webhookUrlProblem } from '../../src/commands/shared/webhook-url.js';
import { RemoteError, UsageError } from '../../src/errors.js';
import { parseTypeSelections } from '../../src/eventstreams/selection.js';
import { checkSinkSid, checkSubscriptionSid } from '../../src/eventstreams/present.js';
import { parseFilters } from '../../src/replay/select.js';
import { checkAccountSid, parseEnvFile, resolveCredentials, restAuth } from '../../src/twilio/credentials.js';
import type { IncomingNumber, NumbersApi } from '../../src/twilio/port.js';
import { matchNumbers, parseNumberQuery, resolveNumber } from '../../src/twilio/resolve-number.js';
import { SecretRedactor } from '../../src/redact.js';
import { encodeForm, pairsToParams, parseForm, type FormParams } from '../../src/webhooks/form.js';
import { classify } from '../../src/webhooks/kinds.js';
import {
  EDGES,
  formatOverrides,
  inspectOverrides,
  OVERRIDE_SPECS,
  overrideWarnings,
  parseOverrideValue,
  parseOverrides,
  RETRY_POLICIES,
  withOverrides,
  type Overrides,
} from '../../src/webhooks/overrides.js';
import { signRequest } from '../../src/webhooks/signature.js';
import { verifyAndExplain as verifyRequest } from '../../src/webhooks/signature-explain.js';
import { checkTwimlAnswer, parseXml } from '../../src/webhooks/twiml.js';
import { tempDir } from '../support/run-cli.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
/** FUZZ_SCALE=20 for a longer hunt. */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => ({ seed: SEED, numRuns: Math.round(n * SCALE) });

/** Calls `fn`; an exception is allowed only when it is one of `allowed`. */
function only<T>(fn: () => T, ...allowed: (abstract new (...args: never[]) => Error)[]): T | Error {
  try {
    return fn();
  } catch (err) {
    if (!allowed.some((type) => err instanceof type)) throw err;
    return err as Error;
  }
}

async function onlyAsync<T>(
  fn: () => Promise<T>,
  ...allowed: (abstract new (...args: never[]) => Error)[]
): Promise<T | Error> {
  try {
    return await fn();
  } catch (err) {
    if (!allowed.some((type) => err instanceof type)) throw err;
    return err as Error;
  }
}

/** A usage error is one line: main() prints only the first. */
function expectOneLine(err: Error): void {
  expect(err.message).not.toContain('\n');
  expect(err.message.length).toBeGreaterThan(0);
}

/** Text heavy in the characters parsers split on, plus any Unicode. */
const syntaxy = (chars: string, maxLength = 60) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: fc.constantFrom(...chars.split('')), maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
  );

// ---------------------------------------------------------------------------------------------

describe('connection override fragments', () => {
  const key = fc.oneof(
    fc.constantFrom(...OVERRIDE_SPECS.map((s) => s.key), 'CT', 'Rp', 'x', ''),
    fc.string({ maxLength: 4 }),
  );
  const value = fc.oneof(
    fc.integer({ min: -5, max: 20000 }).map(String),
    fc.constantFrom(
      'y',
      'n',
      'Y',
      ' 5xx , ct',
      '4xx,',
      ',',
      '%',
      '%zz',
      '%2C',
      '1e3',
      '0x10',
      '０',
      '100.0',
      '99999999999',
    ),
    fc.subarray([...RETRY_POLICIES, ...EDGES]).map((items) => items.join(',')),
    syntaxy('0123456789,%&=#yn ', 20),
  );
  const fragment = fc.oneof(
    fc
      .array(
        fc.tuple(key, fc.constantFrom('=', '', '=='), value).map(([k, eq, v]) => `${k}${eq}${v}`),
        { maxLength: 8 },
      )
      .map((parts) => parts.join('&')),
    syntaxy('ctrpesni=&#%0123456789,y', 80),
  );

  it('parse: settings or a one-line UsageError; what parses formats back to the same settings', () => {
    fc.assert(
      fc.property(fc.boolean(), fragment, (hash, text) => {
        const parsed = only(() => parseOverrides(hash ? `#${text}` : text), UsageError);
        if (parsed instanceof Error) return expectOneLine(parsed);
        expect(parseOverrides(formatOverrides(parsed))).toEqual(parsed);
        for (const voice of [false, true]) expect(Array.isArray(overrideWarnings(parsed, { voice }))).toBe(true);
      }),
      runs(2000),
    );
  });

  it('each key alone: its typed value or a one-line UsageError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OVERRIDE_SPECS), value, (spec, raw) => {
        const result = only(() => parseOverrideValue(spec.key, raw), UsageError);
        if (result instanceof Error) expectOneLine(result);
      }),
      runs(1000),
    );
  });

  it('URLs with fragments: inspectOverrides never throws, withOverrides throws only UsageError', () => {
    const url = fc
      .tuple(
        fc.constantFrom('https://app.example.com/sms', 'http://x', '', 'not a url', '/sms?a=1'),
        fc.constantFrom('', '#'),
        fragment,
      )
      .map((p) => p.join(''));
    const settings: fc.Arbitrary<Overrides> = fc.record(
      {
        connectTimeout: fc.integer({ min: 0, max: 20000 }),
        retryCount: fc.integer({ min: -1, max: 9 }),
        retryPolicy: fc.subarray([...RETRY_POLICIES]),
        edges: fc.subarray([...EDGES]) as fc.Arbitrary<Overrides['edges']>,
        sni: fc.boolean(),
      },
      { requiredKeys: [] },
    ) as fc.Arbitrary<Overrides>;
    fc.assert(
      fc.property(url, settings, fc.boolean(), (u, o, replace) => {
        const seen = inspectOverrides(u);
        expect(u.startsWith(seen.base)).toBe(true);
        const result = only(() => withOverrides(u, o, { replace }), UsageError);
        if (result instanceof Error) return expectOneLine(result);
        expect(result.startsWith(seen.base)).toBe(true);
      }),
      runs(1000),
    );
  });
});

// ---------------------------------------------------------------------------------------------

/** Splits bytes at random offsets (through multi-byte characters too). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const offsets = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))]
    .filter((o) => o > 0 && o < bytes.length)
    .sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const o of [...offsets, bytes.length]) {
    out.push(bytes.subarray(start, o));
    start = o;
  }
  return out.filter((b) => b.length);
}

async function readAll(source: CaptureSource | CaptureSource[], maxRecordChars?: number): Promise<CaptureItem[]> {
  const items: CaptureItem[] = [];
  for await (const item of readCaptures(source, maxRecordChars ? { maxRecordChars } : {})) items.push(item);
  return items;
}

/** The items without the source name, for comparing a file with the same bytes streamed. */
const comparable = (items: CaptureItem[]) => items.map(({ file: _file, ...rest }) => rest);

const headerValue = fc.oneof(fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }));
const captureRecord = fc.record(
  {
    v: fc.constant(1),
    id: fc.oneof(fc.string({ maxLength: 12 }), fc.integer()),
    receivedAt: fc.constant('2026-11-27T10:00:00.000Z'),
    method: fc.constantFrom('POST', 'GET', 'post', ''),
    url: fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string({ minLength: 1, maxLength: 30 }),
    ),
    headers: fc.dictionary(fc.string({ maxLength: 12 }), headerValue, { maxKeys: 5 }),
    body: fc.string({ unit: 'grapheme', maxLength: 80 }),
    bodyBase64: fc.base64String({ maxLength: 24 }),
    note: fc.string({ maxLength: 10 }),
  },
  { requiredKeys: ['v', 'url', 'method'] },
);

type Line = { text: string; url?: string };
const captureLine: fc.Arbitrary<Line> = fc.oneof(
  { weight: 4, arbitrary: captureRecord.map((r) => ({ text: JSON.stringify(r), url: r.url })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => ({ text: JSON.stringify(v) ?? 'null' })) },
  {
    weight: 1,
    arbitrary: captureRecord.chain((r) => fc.nat({ max: 200 }).map((n) => ({ text: JSON.stringify(r).slice(0, n) }))),
  },
  { weight: 1, arbitrary: syntaxy('{}[]":,\\ \t\r\u00e9\ufeff', 40).map((text) => ({ text })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('', ' ', '\t', '\r', '\ufeff', '{"v":2,"url":"x","method":"GET"}', '{"v":1}', '[]', 'null')
      .map((text) => ({ text })),
  },
);

describe('capture lines (JSONL)', () => {
  it('a record per good line, a reason per bad one, the same whether read from a file or streamed in any chunks', async () => {
    const dir = tempDir('twhook-fuzz-capture-');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(captureLine, { maxLength: 12 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined }),
        async (lines, eol, bom, trailing, cuts, max) => {
          const text = (bom ? '\ufeff' : '') + lines.map((l) => l.text).join(eol) + (trailing ? eol : '');
          const bytes = Buffer.from(text, 'utf8');
          const file = join(dir, `c${n++}.jsonl`);
          writeFileSync(file, bytes);
          const fromFile = await readAll(file, max);
          const fromStream = await readAll({ name: 'stream', stream: Readable.from(chunked(bytes, cuts)) }, max);
          expect(comparable(fromStream)).toEqual(comparable(fromFile));
          for (const item of fromFile) {
            expect(item.line).toBeGreaterThanOrEqual(1);
            if (item.record) expect(typeof item.record.url).toBe('string');
            else expect(item.error).toMatch(/\S/);
          }
          // Lines that the format detection would read as HAR are checked by the HAR test.
          if (/^\ufeff?\s*\{\s*"log"\s*:/.test(text) || max !== undefined) return;
          lines.forEach((line, i) => {
            if (line.url === undefined || line.text.includes('\n')) return;
            const lineNo = lines.slice(0, i).reduce((sum, l) => sum + l.text.split('\n').length, 1);
            const item = fromFile.find((it) => it.line === lineNo);
            expect(item?.record?.url).toBe(line.url);
          });
        },
      ),
      runs(400),
    );
  });

  it('raw bytes (invalid UTF-8, NULs, lone surrogate escapes) never make the reader throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 600 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        async (raw, cuts) => {
          const bytes = Buffer.concat([Buffer.from('{"v":1,"url":"\\ud800","method":"P"}\n'), Buffer.from(raw)]);
          const items = await readAll({ name: 'bytes', stream: Readable.from(chunked(bytes, cuts)) }, 256);
          for (const item of items) expect(item.record !== undefined || item.error !== undefined).toBe(true);
        },
      ),
      runs(300),
    );
  });
});

// ---------------------------------------------------------------------------------------------

const nameValue = fc.record(
  {
    name: fc.oneof(fc.string({ maxLength: 10 }), fc.constant(':authority'), fc.integer()),
    value: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
  },
  { requiredKeys: [] },
);
const harEntry = fc.record(
  {
    _id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
    startedDateTime: fc.constant('2026-11-27T10:00:00.000Z'),
    time: fc.oneof(fc.double({ noNaN: true }), fc.constant(-1)),
    request: fc.record(
      {
        method: fc.constantFrom('POST', 'get', 'PUT'),
        url: fc.oneof(fc.webUrl(), fc.string({ minLength: 1, maxLength: 20 }), fc.constant('')),
        headers: fc.oneof(
          fc.array(fc.oneof(nameValue, fc.constant(null)), { maxLength: 4 }),
          fc.constant('not a list'),
        ),
        postData: fc.oneof(
          fc.record({
            mimeType: fc.constant('application/x-www-form-urlencoded'),
            text: fc.string({ unit: 'grapheme', maxLength: 40 }),
          }),
          fc.record({ text: fc.base64String({ maxLength: 16 }), encoding: fc.constant('base64') }),
          fc.record({
            params: fc.array(fc.oneof(nameValue, fc.constant(null), fc.constant({ name: '\ud800', value: '\udfff' })), {
              maxLength: 4,
            }),
          }),
          fc.constant(null),
        ),
      },
      { requiredKeys: ['url'] },
    ),
    response: fc.record(
      {
        status: fc.oneof(fc.integer({ min: -1, max: 599 }), fc.constant('200')),
        content: fc.record({ text: fc.string({ maxLength: 20 }) }),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['request'] },
);
const isReadableEntry = (e: unknown) => {
  const request = (e as { request?: { url?: unknown } } | null)?.request;
  return !!request && typeof request === 'object' && typeof request.url === 'string' && request.url !== '';
};

describe('HAR files', () => {
  const doc = fc.record({
    before: fc.dictionary(fc.constantFrom('pages', 'creator', 'x{"', '}]'), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 2,
    }),
    entries: fc.array(
      fc.oneof({ weight: 4, arbitrary: harEntry }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
      { maxLength: 6 },
    ),
    indent: fc.constantFrom(0, 2, '\t'),
  });

  it('whole documents: a record per entry with a request URL, a reason for the others, in any chunks', async () => {
    const dir = tempDir('twhook-fuzz-har-');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        doc,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        async ({ before, entries, indent }, cuts) => {
          const text = JSON.stringify({ log: { version: '1.2', ...before, entries } }, null, indent);
          const bytes = Buffer.from(text, 'utf8');
          const file = join(dir, `h${n++}.har`);
          writeFileSync(file, bytes);
          const fromFile = await readAll(file);
          const fromStream = await readAll({ name: 'stream', stream: Readable.from(chunked(bytes, cuts)) });
          expect(comparable(fromStream)).toEqual(comparable(fromFile));
          const records = fromFile.filter((i) => i.record);
          expect(records.map((i) => i.record!.url)).toEqual(
            entries.filter(isReadableEntry).map((e) => (e as { request: { url: string } }).request.url),
          );
          // Every entry here is JSON: a failure must say what is wrong with it, not call it "not JSON".
          for (const item of fromFile) if (item.error) expect(item.error).not.toMatch(/not JSON/);
        },
      ),
      runs(400),
    );
  });

  it('truncated or corrupted documents: reasons, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(
        doc,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom('truncate', 'insert', 'delete'),
        fc.string({
          unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', 'x', '\n'),
          minLength: 1,
          maxLength: 3,
        }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        async ({ before, entries, indent }, at, how, garbage, cuts) => {
          const text = JSON.stringify({ log: { ...before, entries } }, null, indent);
          const i = Math.floor(at * text.length);
          const broken =
            how === 'truncate'
              ? text.slice(0, i)
              : how === 'insert'
                ? text.slice(0, i) + garbage + text.slice(i)
                : text.slice(0, i) + text.slice(i + 1);
          const items = await readAll(
            { name: 'broken', stream: Readable.from(chunked(Buffer.from(broken), cuts)) },
            400,
          );
          for (const item of items) expect(item.record !== undefined || typeof item.error === 'string').toBe(true);
        },
      ),
      runs(400),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('form bodies and signatures', () => {
  const body = syntaxy('ab=&+%2BF0D9E8%&=;\u00e9 ', 120);

  it('parseForm takes any text; its values are strings or lists of strings', () => {
    fc.assert(
      fc.property(body, (text) => {
        const params = parseForm(text);
        for (const name of Object.keys(params)) {
          const v = params[name];
          expect(typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string'))).toBe(true);
        }
      }),
      runs(2000),
    );
  });

  it('what encodeForm writes, parseForm reads back (repeated names become lists, in order)', () => {
    const pair = fc.tuple(
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            pair,
            fc.tuple(fc.constantFrom('__proto__', 'constructor', 'a', '+', '%'), fc.string({ maxLength: 4 })),
          ),
          { maxLength: 10 },
        ),
        (pairs) => {
          expect({ ...parseForm(encodeForm(pairs)) }).toEqual({ ...pairsToParams(pairs) });
          // The same as the WHATWG parser a browser or undici would use.
          const reference: FormParams = {};
          for (const [n, v] of new URLSearchParams(encodeForm(pairs))) {
            const prev = Object.hasOwn(reference, n) ? reference[n] : undefined;
            Object.defineProperty(reference, n, {
              value: prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v],
              enumerable: true,
              writable: true,
              configurable: true,
            });
          }
          expect({ ...parseForm(encodeForm(pairs)) }).toEqual(reference);
        },
      ),
      runs(1000),
    );
  });

  const token = fc.oneof(fc.constant('12345678901234567890123456789012'), fc.string({ minLength: 1, maxLength: 40 }));
  const url = fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc
      .tuple(
        fc.constantFrom('https://', 'http://', 'HTTPS://', 'ftp://', '', '//'),
        fc.constantFrom('', 'u:p@', 'u@', ':@'),
        fc.constantFrom('abc.ngrok.app', 'localhost', '[::1]', '127.0.0.1', '', '%zz', 'a b'),
        fc.constantFrom('', ':443', ':8080', ':', ':x'),
        syntaxy('/?&=#%+bodySHA256', 30),
      )
      .map((p) => p.join('')),
  );
  const headers = fc.dictionary(
    fc.constantFrom(
      'host',
      'x-forwarded-host',
      'x-forwarded-proto',
      'x-forwarded-port',
      'forwarded',
      'x-original-host',
      'authorization',
      'content-type',
    ),
    fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('Basic dTpw', 'Basic Og==', 'Basic !!', 'host="a:1"', 'application/json', 'a.example:99'),
      fc.array(fc.string({ maxLength: 8 }), { maxLength: 2 }),
    ),
    { maxKeys: 5 },
  );

  it('verifyRequest never throws, whatever the URL, signature, body, headers and tokens', () => {
    fc.assert(
      fc.property(
        url,
        fc.oneof(
          fc.constant(undefined),
          fc.constant(''),
          fc.string({ maxLength: 30 }),
          fc.base64String({ minLength: 28, maxLength: 28 }),
        ),
        fc.oneof(body, fc.uint8Array({ maxLength: 60 })),
        fc.array(token, { minLength: 1, maxLength: 3 }),
        headers,
        fc.record({
          contentType: fc.constantFrom('form', 'json', undefined),
          method: fc.constantFrom('POST', 'GET', 'head', undefined),
          strict: fc.boolean(),
          explain: fc.boolean(),
        }),
        (u, signature, b, tokens, h, o) => {
          const verdict = verifyRequest({
            url: u,
            signature,
            body: b,
            authTokens: tokens,
            headers: h,
            ...(o as object),
          });
          expect(['valid', 'invalid', 'unsigned']).toContain(verdict.verdict);
        },
      ),
      runs(1500),
    );
  });

  it('a request signed for a URL and body verifies as valid, strictly, with the token that signed it', () => {
    fc.assert(
      fc.property(
        url,
        body,
        fc.array(token, { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.constantFrom('form', 'json') as fc.Arbitrary<'form' | 'json'>,
        (u, b, tokens, pick, contentType) => {
          const index = pick % tokens.length;
          const signed = signRequest({ authToken: tokens[index]!, url: u, body: b, contentType });
          const verdict = verifyRequest({
            url: signed.url,
            signature: signed.signature,
            body: signed.body,
            authTokens: tokens,
            contentType,
            strict: true,
          });
          expect(verdict.valid).toBe(true);
          expect(tokens[verdict.tokenIndex! - 1]).toBe(tokens[index]);
        },
      ),
      runs(800),
    );
  });

  it('classify (run on every request the proxy sees) takes any method, URL, headers and body', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), url, headers, fc.oneof(body, fc.json()), (method, u, h, b) => {
        const c = classify({ method, url: u, headers: h, body: b });
        expect(typeof c.kind).toBe('string');
      }),
      runs(1000),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('phone numbers and SIDs', () => {
  const hex = (n: number) =>
    fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFg'.split('')), minLength: n, maxLength: n });
  const sidLike = (prefix: string) =>
    fc
      .tuple(
        fc.constantFrom(prefix, prefix.toLowerCase(), 'PN', 'AC', ''),
        fc.oneof(hex(32), fc.integer({ min: 0, max: 40 }).chain(hex)),
      )
      .map(([p, h]) => p + h);
  const numberLike = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('+', '', '00', '+0', '++'),
        fc.string({ unit: fc.constantFrom(...'0123456789 ()-.'.split('')), maxLength: 20 }),
      )
      .map(([p, d]) => p + d),
    sidLike('PN'),
    syntaxy('+0123456789()-. PN\u0660\uff11', 24),
  );

  it('parseNumberQuery: a SID, +E.164 or digits, or a UsageError', () => {
    fc.assert(
      fc.property(numberLike, (arg) => {
        const q = only(() => parseNumberQuery(arg), UsageError);
        if (q instanceof Error) return;
        if (q.kind === 'sid') expect(q.sid).toMatch(/^PN[0-9a-fA-F]{32}$/);
        if (q.kind === 'e164') expect(q.phoneNumber).toMatch(/^\+[1-9]\d{1,14}$/);
        if (q.kind === 'digits') expect(q.digits).toMatch(/^\d{2,}$/);
      }),
      runs(2000),
    );
  });

  it('resolveNumber: one number of the account, or a UsageError / RemoteError saying why', async () => {
    const number = fc.record({
      sid: sidLike('PN'),
      phoneNumber: fc.oneof(fc.constantFrom('+14155550100', '+14155550101', '+442071838750'), numberLike),
      friendlyName: fc.string({ maxLength: 12 }),
    });
    await fc.assert(
      fc.asyncProperty(
        numberLike,
        fc.array(number, { maxLength: 14 }),
        fc.constantFrom('found', '404', '500'),
        async (arg, list, fetchMode) => {
          const numbers = list as unknown as IncomingNumber[];
          const api = {
            list: async () => numbers,
            fetch: async (sid: string) => {
              const hit = numbers.find((n) => n.sid === sid);
              if (hit && fetchMode === 'found') return hit;
              throw new RemoteError('HTTP 404', { status: fetchMode === '500' ? 500 : 404 });
            },
          } as unknown as NumbersApi;
          const result = await onlyAsync(() => resolveNumber(api, 'AC' + '0'.repeat(32), arg), UsageError, RemoteError);
          if (result instanceof Error) return;
          expect(
            matchNumbers(numbers, parseNumberQuery(arg)).length === 1 || parseNumberQuery(arg).kind === 'sid',
          ).toBe(true);
        },
      ),
      runs(800),
    );
  });

  it('sink, subscription, account and API key SIDs: accepted exactly when PREFIX + 32 hex digits', () => {
    fc.assert(
      fc.property(
        fc.oneof(sidLike('DG'), sidLike('DF'), sidLike('AC'), sidLike('SK'), fc.string({ maxLength: 40 })),
        (sid) => {
          const sink = only(() => checkSinkSid(sid), UsageError);
          expect(!(sink instanceof Error)).toBe(/^DG[0-9a-fA-F]{32}$/.test(sid));
          const sub = only(() => checkSubscriptionSid(sid), UsageError);
          expect(!(sub instanceof Error)).toBe(/^DF[0-9a-fA-F]{32}$/.test(sid));
          const creds = resolveCredentials({ accountSid: sid, apiKey: sid, apiSecret: 'secret' }, {}, {});
          const account = only(() => checkAccountSid(creds), UsageError);
          expect(!(account instanceof Error)).toBe(/^AC[0-9a-fA-F]{32}$/.test(sid));
          only(() => restAuth(creds), UsageError);
        },
      ),
      runs(1500),
    );
  });

  it('env files, --filter, --type and webhook URLs: values or one-line UsageErrors', () => {
    fc.assert(
      fc.property(
        syntaxy('=#"\'\n\r\\ exportTWILIO_AUTH_TOKEN', 120),
        syntaxy('kind=status,path/method5xx@.com.twilio', 40),
        (text, spec) => {
          const env = parseEnvFile(text);
          for (const v of Object.values(env)) expect(typeof v).toBe('string');
          for (const fn of [
            () => parseFilters([spec]),
            () => parseTypeSelections([spec]),
            () => checkWebhookUrl(spec, '--sms-url'),
          ] as (() => unknown)[]) {
            const r = only(fn, UsageError);
            if (r instanceof Error) expectOneLine(r);
          }
          webhookUrlProblem(text);
        },
      ),
      runs(1500),
    );
  });

  it('the redactor removes every secret it was given from any text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', minLength: 6, maxLength: 16 }), { maxLength: 3 }),
        fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }),
        (secrets, parts) => {
          const r = new SecretRedactor();
          for (const s of secrets) r.add(s);
          const out = r.redact(parts.join(secrets[0] ?? '') + (secrets[1] ?? ''));
          // A secret may overlap another's replacement only if it contains "[redacted]" itself.
          for (const s of secrets)
            if (!'[redacted]'.includes(s) && !s.includes('[redacted]')) expect(out).not.toContain(s);
        },
      ),
      runs(800),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('TwiML answers', () => {
  const tagName = fc.oneof(
    fc.constantFrom(
      'Response',
      'Say',
      'Message',
      'Body',
      'Gather',
      'Dial',
      'Number',
      'say',
      'amazon:effect',
      'x',
      'constructor',
      '__proto__',
    ),
    fc.string({ maxLength: 6 }),
  );
  const attr = fc
    .tuple(
      fc.constantFrom('voice', 'to', 'constructor', 'toString', '__proto__', 'a', 'x:y'),
      fc.string({ maxLength: 10 }),
    )
    .map(([n, v]) => ` ${n}="${v.replace(/[<&"]/g, '')}"`);
  const xml = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.string({ maxLength: 12 }).map((t) => t.replace(/[<&]/g, '')),
      fc.constantFrom(
        '&amp;',
        '&#x1F600;',
        '&#0;',
        '&bogus;',
        '&',
        '<![CDATA[x]]>',
        '<!-- c -->',
        '<?pi x?>',
        '<!DOCTYPE x>',
        '<!DOCTYPE [',
        '</',
        '<',
      ),
      fc
        .tuple(tagName, fc.array(attr, { maxLength: 2 }), fc.array(tie('node'), { maxLength: 4 }), fc.boolean())
        .map(([name, attrs, children, selfClose]) =>
          selfClose && !children.length
            ? `<${name}${attrs.join('')}/>`
            : `<${name}${attrs.join('')}>${children.join('')}</${name}>`,
        ),
    ),
  })).node;
  const document = fc
    .tuple(fc.constantFrom('', '<?xml version="1.0"?>', ' <?xml version="1.0"?>', '\ufeff'), xml)
    .map(([decl, root]) => decl + root);
  const answer = fc.record({
    status: fc.oneof(fc.constantFrom(200, 204, 301, 404, 500), fc.integer({ min: -1, max: 1000 })),
    contentType: fc.oneof(
      fc.constantFrom(
        'text/xml',
        'application/xml; charset=utf-8',
        'text/html',
        'audio/mpeg',
        'application/json',
        '',
        undefined,
        null,
      ),
      fc.string({ maxLength: 20 }),
    ),
    channel: fc.constantFrom('voice', 'messaging', undefined),
  });

  it('any document or bytes: a verdict with problems, never an exception', () => {
    fc.assert(
      fc.property(
        answer,
        fc.oneof(document, fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 100 })),
        (a, body) => {
          const check = checkTwimlAnswer({ ...a, body } as Parameters<typeof checkTwimlAnswer>[0]);
          expect(check.ok || check.problems.length > 0).toBe(true);
          for (const p of check.problems) expect(typeof p).toBe('string');
        },
      ),
      runs(3000),
    );
  });

  it('well-formed documents parse, whatever their names, attributes and text', () => {
    const name = fc.oneof(
      tagName.filter((n) => /^[A-Za-z_:][A-Za-z0-9_:.-]*$/.test(n)),
      fc.constantFrom('valueOf', 'hasOwnProperty'),
    );
    const text = fc.string({ maxLength: 12 }).map((t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;'));
    const wellFormed = fc.letrec<{ el: string }>((tie) => ({
      el: fc
        .tuple(name, fc.uniqueArray(name, { maxLength: 3 }), fc.array(fc.oneof(text, tie('el')), { maxLength: 3 }))
        .map(
          ([n, attrs, children]) =>
            `<${n}${attrs.map((a, i) => ` ${a}="${i}&quot;"`).join('')}>${children.join('')}</${n}>`,
        ),
    })).el;
    fc.assert(
      fc.property(wellFormed, (doc) => {
        const parsed = parseXml(doc);
        expect(parsed.ok ? '' : parsed.error).toBe('');
      }),
      runs(1000),
    );
  });

  it('deep nesting and long inputs finish (64 KiB TwiML, 1 MiB of anything else)', () => {
    const shapes = fc.constantFrom(
      (n: number) => '<Response>' + '<Say>'.repeat(n) + '</Say>'.repeat(n) + '</Response>',
      (n: number) => '<a>'.repeat(n),
      (n: number) => '<!DOCTYPE x>'.repeat(n),
      (n: number) => '<!--'.repeat(n),
      (n: number) => '<?x '.repeat(n),
      (n: number) => '&'.repeat(n),
      (n: number) => '<a b="'.repeat(n),
      (n: number) => '<Response>' + '&#x41;'.repeat(n) + '</Response>',
      (n: number) => '<Response a="1"' + ' b="2"'.repeat(n) + '/>',
      (n: number) => '\n'.repeat(n) + '<',
      (n: number) => '<Response><![CDATA[' + ']]'.repeat(n),
    );
    fc.assert(
      fc.property(
        shapes,
        fc.constantFrom(1_000, 10_000, 90_000),
        fc.constantFrom('text/xml', 'text/html'),
        (shape, n, contentType) => {
          const body = shape(n);
          const check = checkTwimlAnswer({ status: 200, contentType, body });
          expect(check.problems.length + (check.ok ? 1 : 0)).toBeGreaterThan(0);
          parseXml(body);
        },
      ),
      runs(60),
    );
  });
});
