import { describe, expect, it } from 'vitest';
import { RemoteError, UsageError } from '../../src/errors.js';
import { backoffMs, isRetryable, parseApiUrl, retryAfterMs, rewriteTwilioUrl } from '../../src/twilio/client.js';
import { httpError, networkError, toRemoteError } from '../../src/twilio/errors.js';

const BASE = 'http://127.0.0.1:4010';
const SID = 'AC' + '0123456789abcdef'.repeat(2);

describe('rewriteTwilioUrl', () => {
  it('sends api, events and messaging hosts, with region and edge forms, to the base URL', () => {
    const cases: [string, string][] = [
      ['https://api.twilio.com/2010-04-01/Accounts/AC1.json', `${BASE}/2010-04-01/Accounts/AC1.json`],
      ['https://api.ie1.twilio.com/2010-04-01/Accounts.json?PageSize=2', `${BASE}/2010-04-01/Accounts.json?PageSize=2`],
      ['https://api.dublin.ie1.twilio.com/2010-04-01/x', `${BASE}/2010-04-01/x`],
      ['https://events.twilio.com/v1/Sinks?PageSize=50&Page=0', `${BASE}/v1/Sinks?PageSize=50&Page=0`],
      ['https://events.sydney.au1.twilio.com/v1/Types', `${BASE}/v1/Types`],
      ['https://messaging.twilio.com/v1/Services', `${BASE}/v1/Services`],
      ['https://MESSAGING.us1.twilio.com/v1/Services', `${BASE}/v1/Services`],
    ];
    for (const [from, to] of cases) expect(rewriteTwilioUrl(from, BASE), from).toBe(to);
  });

  it('keeps a path prefix of the base URL', () => {
    expect(rewriteTwilioUrl('https://api.twilio.com/2010-04-01/x.json?a=1', 'http://localhost:9/twilio')).toBe(
      'http://localhost:9/twilio/2010-04-01/x.json?a=1',
    );
  });

  it('refuses other twilio.com hosts with a clear error', () => {
    for (const uri of [
      'https://studio.twilio.com/v2/Flows',
      'https://verify.twilio.com/v2/Services',
      'https://twilio.com/x',
      'https://api.twilio.com.evil.twilio.com/x',
    ]) {
      expect(() => rewriteTwilioUrl(uri, BASE), uri).toThrow(UsageError);
    }
    expect(() => rewriteTwilioUrl('https://studio.twilio.com/v2/Flows', BASE)).toThrow(
      /refusing to send a request to studio\.twilio\.com/,
    );
  });

  it('lets other hosts through (the emulator links to itself)', () => {
    expect(rewriteTwilioUrl(`${BASE}/v1/Sinks?Page=1`, BASE)).toBe(`${BASE}/v1/Sinks?Page=1`);
    expect(rewriteTwilioUrl('https://example.com/twilio.com', BASE)).toBe('https://example.com/twilio.com');
  });
});

describe('parseApiUrl', () => {
  it('accepts http(s) base URLs and strips the trailing slash', () => {
    expect(parseApiUrl('http://127.0.0.1:4010/')).toBe('http://127.0.0.1:4010');
    expect(parseApiUrl('https://mock.example/twilio/')).toBe('https://mock.example/twilio');
  });
  it('refuses what is not an http(s) base URL', () => {
    for (const bad of [
      'ftp://x.example',
      'localhost:4010',
      'file:///tmp/x',
      'http://u:p@x.example',
      'http://x.example/?a=1',
    ]) {
      expect(() => parseApiUrl(bad), bad).toThrow(UsageError);
    }
  });
});

describe('retries', () => {
  it('retries 429 always, 5xx only when repeating cannot duplicate', () => {
    expect(isRetryable('POST', 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json', 429)).toBe(true);
    expect(isRetryable('get', 'https://api.twilio.com/2010-04-01/Accounts/AC1/IncomingPhoneNumbers.json', 500)).toBe(
      true,
    );
    expect(
      isRetryable(
        'POST',
        `https://api.twilio.com/2010-04-01/Accounts/${SID}/IncomingPhoneNumbers/PN${'a'.repeat(32)}.json`,
        503,
      ),
    ).toBe(true);
    expect(isRetryable('POST', `https://events.twilio.com/v1/Sinks/DG${'a'.repeat(32)}`, 502)).toBe(true);
    expect(isRetryable('POST', 'https://events.twilio.com/v1/Sinks', 500)).toBe(false);
    expect(isRetryable('POST', `https://events.twilio.com/v1/Sinks/DG${'a'.repeat(32)}/Test`, 500)).toBe(false);
    expect(isRetryable('GET', 'https://api.twilio.com/x', 404)).toBe(false);
    expect(isRetryable('GET', 'https://api.twilio.com/x', 400)).toBe(false);
  });

  it('backs off exponentially, honours Retry-After, caps both', () => {
    const s = { retryBaseMs: 100, retryMaxMs: 1000 };
    expect([0, 1, 2, 3, 4].map((a) => backoffMs(a, s))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(0, s, retryAfterMs('0.5'))).toBe(500);
    expect(backoffMs(0, s, retryAfterMs('120'))).toBe(1000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 8_000)).toBe(2000);
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe('error messages', () => {
  const auth = { method: 'auth-token' as const, accountSid: SID };

  it('names the credentials to check on 20003, with Twilio code and link', () => {
    const body = {
      code: 20003,
      message: 'Authenticate',
      more_info: 'https://www.twilio.com/docs/errors/20003',
      status: 401,
    };
    const err = httpError({ statusCode: 401, body }, 'GET', 'https://api.twilio.com/x', { auth });
    expect(err.message).toBe(
      'Twilio rejected the credentials at api.twilio.com (20003): Authenticate — check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN; ' +
        'accounts outside US1 need their region: --region ie1 or au1 (or TWILIO_REGION); https://www.twilio.com/docs/errors/20003',
    );
    expect(err.info).toEqual({
      code: 20003,
      status: 401,
      moreInfo: 'https://www.twilio.com/docs/errors/20003',
      service: 'twilio',
    });
    const key = httpError({ statusCode: 401, body: JSON.stringify(body) }, 'GET', 'https://api.twilio.com/x', {
      auth: { method: 'api-key', accountSid: SID },
      credentials: {
        authTokens: [],
        apiKey: { value: 'SK1', source: 'flag' },
        apiSecret: { value: 'x', source: 'env-file' },
        envFile: '/p/.env',
      },
    });
    expect(key.message).toContain(
      'check --api-key and TWILIO_API_SECRET (in /p/.env), and that the key belongs to account AC…cdef',
    );
  });

  it('masks account SIDs in paths and messages', () => {
    const path = `/2010-04-01/Accounts/${SID}/IncomingPhoneNumbers/PN1.json`;
    const err = httpError(
      {
        statusCode: 404,
        body: {
          code: 20404,
          message: `The requested resource ${path} was not found`,
          more_info: 'https://www.twilio.com/docs/errors/20404',
        },
      },
      'GET',
      `https://api.twilio.com${path}`,
      { auth },
    );
    expect(err.message).not.toContain(SID);
    expect(err.message).toContain(
      'Twilio refused GET /2010-04-01/Accounts/AC…cdef/IncomingPhoneNumbers/PN1.json (HTTP 404, 20404)',
    );
  });

  it('copes with a body that is not Twilio JSON', () => {
    const err = httpError(
      { statusCode: 502, body: '<html>Bad gateway</html>' },
      'GET',
      'https://api.twilio.com/x',
      { auth },
      4,
    );
    expect(err.message).toBe('Twilio failed GET /x (HTTP 502) after 4 attempts: HTTP 502');
  });

  it('turns network failures into a sentence naming the host', () => {
    const settings = { baseUrl: BASE, timeoutMs: 30_000 };
    expect(networkError({ code: 'ECONNREFUSED' }, `${BASE}/x`, settings).message).toBe(
      'cannot reach http://127.0.0.1:4010 (the --api-url / TWHOOK_API_URL server): the connection was refused: is it running?',
    );
    expect(networkError({ code: 'ENOTFOUND' }, 'https://api.twilio.com/x', { timeoutMs: 1 }).message).toBe(
      'cannot reach https://api.twilio.com: the host name does not resolve (DNS): check the network connection',
    );
    expect(networkError({ code: 'ECONNABORTED' }, 'https://api.twilio.com/x', { timeoutMs: 2500 }).message).toContain(
      'no answer within 2.5 s',
    );
    expect(networkError({ message: 'socket hang up' }, 'https://api.twilio.com/x', { timeoutMs: 1 }).info.code).toBe(
      'ECONNRESET',
    );
  });
});

describe('toRemoteError (one mapping for numbers, messaging and Event Streams)', () => {
  const sid = 'AC0123456789abcdef0123456789abcdef';

  it('maps an SDK error answer with its code and more_info, masking account SIDs', () => {
    const err = Object.assign(
      new Error(`The requested resource /2010-04-01/Accounts/${sid}/IncomingPhoneNumbers/PNx.json was not found`),
      {
        status: 404,
        code: 20404,
        moreInfo: 'https://www.twilio.com/docs/errors/20404',
      },
    );
    const mapped = toRemoteError(err) as RemoteError;
    expect(mapped).toBeInstanceOf(RemoteError);
    expect(mapped.message).toMatch(/^Twilio answered HTTP 404 \(20404\): The requested resource/);
    expect(mapped.message).toContain('AC…cdef');
    expect(mapped.message).not.toContain(sid);
    expect(mapped.info).toMatchObject({
      code: 20404,
      status: 404,
      moreInfo: 'https://www.twilio.com/docs/errors/20404',
      service: 'twilio',
    });
    expect(mapped.cause).toBe(err);
  });

  it('maps a network error code to a network RemoteError that says what happened', () => {
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    const mapped = toRemoteError(err) as RemoteError;
    expect(mapped).toBeInstanceOf(RemoteError);
    expect(mapped.message).toBe('cannot reach Twilio: the connection was refused (ECONNREFUSED)');
    expect(mapped.info).toMatchObject({ code: 'ECONNREFUSED', service: 'network' });
  });

  it('passes twhook errors and anything else through unchanged', () => {
    const usage = new UsageError('bad');
    expect(toRemoteError(usage)).toBe(usage);
    const other = new TypeError('x is not a function');
    expect(toRemoteError(other)).toBe(other);
  });
});
