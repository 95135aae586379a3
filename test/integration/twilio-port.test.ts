import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { errorJson, RemoteError, UsageError } from '../../src/errors.js';
import { createTwilioPort } from '../../src/twilio/client.js';
import { resolveCredentials } from '../../src/twilio/credentials.js';
import { manyNumbers, useEmulator } from '../support/emulator.js';

type Emu = Awaited<ReturnType<typeof useEmulator>>;

const FAST = { TWHOOK_RETRY_BASE_MS: '1', TWHOOK_RETRY_MAX_MS: '5' };

function portFor(
  emu: Pick<Emu, 'accountSid' | 'authToken' | 'url'>,
  env: Record<string, string> = {},
  creds: Record<string, string> = {},
) {
  const credentials = resolveCredentials(
    {},
    { TWILIO_ACCOUNT_SID: emu.accountSid, TWILIO_AUTH_TOKEN: emu.authToken, ...creds },
    {},
  );
  return createTwilioPort({ credentials, apiUrl: emu.url, env: { ...FAST, ...env } });
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const saved = { edge: process.env.TWILIO_EDGE, region: process.env.TWILIO_REGION };
afterEach(() => {
  for (const [key, value] of [
    ['TWILIO_EDGE', saved.edge],
    ['TWILIO_REGION', saved.region],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('numbers through the SDK port', () => {
  it('lists every number across several pages', async () => {
    const emu = await useEmulator({ numbers: manyNumbers(5) });
    const port = await portFor(emu, { TWHOOK_PAGE_SIZE: '2' });
    const numbers = await port.numbers.list();
    expect(numbers.map((n) => n.phoneNumber)).toEqual(manyNumbers(5).map((n) => n.phoneNumber));
    const gets = emu.requests.filter((r) => r.path.endsWith('/IncomingPhoneNumbers.json'));
    expect(gets).toHaveLength(3);
    expect(gets[0]!.query).toEqual([['PageSize', '2']]);
    expect(new Map(gets[2]!.query).get('PageToken')).toMatch(/^PAPN/);
  });

  it('maps fields, fetches, updates only what is given and clears with an empty value', async () => {
    const emu = await useEmulator();
    const port = await portFor(emu);
    const [support] = await port.numbers.list({ phoneNumber: '+14155550100' });
    expect(support).toMatchObject({
      phoneNumber: '+14155550100',
      friendlyName: 'Support line',
      smsUrl: 'https://app.example.com/sms',
      smsMethod: 'POST',
      voiceUrl: 'https://app.example.com/voice#rc=3&ct=2000',
      voiceMethod: 'GET',
      voiceFallbackUrl: null,
      smsApplicationSid: null,
      accountSid: emu.accountSid,
    });
    const updated = await port.numbers.update(support!.sid, { smsUrl: 'https://t.example/sms', statusCallback: '' });
    expect(updated.smsUrl).toBe('https://t.example/sms');
    expect(updated.statusCallback).toBeNull();
    expect(emu.requests.at(-1)!.form).toEqual([
      ['SmsUrl', 'https://t.example/sms'],
      ['StatusCallback', ''],
    ]);
    expect((await port.numbers.fetch(support!.sid)).smsUrl).toBe('https://t.example/sms');
  });

  it('authenticates with an API key when one is given', async () => {
    const key = { sid: 'SK' + 'c'.repeat(32), secret: 'api-secret-value-123' };
    const emu = await useEmulator({ apiKeys: [key] });
    const port = await portFor(emu, {}, { TWILIO_API_KEY: key.sid, TWILIO_API_SECRET: key.secret });
    expect((await port.fetchAccount()).sid).toBe(emu.accountSid);
    expect(emu.requests.at(-1)!.authUser).toBe(key.sid);
  });

  it('keeps TWILIO_EDGE/TWILIO_REGION from taking requests away from --api-url', async () => {
    process.env.TWILIO_EDGE = 'sydney';
    process.env.TWILIO_REGION = 'au1';
    const emu = await useEmulator();
    const port = await portFor(emu, { TWILIO_EDGE: 'sydney', TWILIO_REGION: 'au1' });
    expect((await port.fetchAccount()).status).toBe('active');
    expect(emu.requests).toHaveLength(1);
  });
});

describe('errors and retries', () => {
  it('401: RemoteError naming the variables, with Twilio code and link, never the token', async () => {
    const emu = await useEmulator();
    const port = await portFor({ ...emu, authToken: 'wrong-token-0123456789' });
    const err = await failure(port.numbers.list());
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toBe(
      `Twilio rejected the credentials at api.twilio.com via ${emu.url} (20003): Authenticate — check TWILIO_ACCOUNT_SID and ` +
        'TWILIO_AUTH_TOKEN; accounts outside US1 need their region: --region ie1 or au1 (or TWILIO_REGION); https://www.twilio.com/docs/errors/20003',
    );
    expect((err as RemoteError).exitCode).toBe(3);
    expect(JSON.stringify(errorJson(err))).not.toContain('wrong-token-0123456789');
    expect(emu.requests).toHaveLength(1); // 401 is not retried
  });

  it('500 then success: retried', async () => {
    const emu = await useEmulator();
    emu.fault({ method: 'GET', path: '**/IncomingPhoneNumbers.json', status: 500 });
    const port = await portFor(emu);
    expect(await port.numbers.list()).toHaveLength(3);
    expect(emu.requests.map((r) => r.status)).toEqual([500, 200]);
  });

  it('429 with Retry-After, then success', async () => {
    const emu = await useEmulator();
    emu.fault({ path: '**', status: 429, retryAfter: 30, times: 2 });
    const port = await portFor(emu);
    expect((await port.fetchAccount()).sid).toBe(emu.accountSid);
    expect(emu.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('a lasting 5xx fails after a bounded number of attempts, with Twilio code', async () => {
    const emu = await useEmulator();
    emu.fault({ path: '**', status: 503, times: Infinity });
    const port = await portFor(emu, { TWHOOK_MAX_RETRIES: '2' });
    const err = await failure(port.numbers.list());
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toMatch(
      /^Twilio failed GET \/2010-04-01\/Accounts\/AC….{4}\/IncomingPhoneNumbers\.json \(HTTP 503, 20503\) after 3 attempts/,
    );
    expect(emu.requests).toHaveLength(3);
  });

  it('an update (POST to an existing number) is retried after a 5xx', async () => {
    const emu = await useEmulator();
    const [first] = emu.state.api2010.numbers.values();
    emu.fault({ method: 'POST', path: '**', status: 502 });
    const port = await portFor(emu);
    expect((await port.numbers.update(first!.sid, { voiceUrl: 'https://x.example/v' })).voiceUrl).toBe(
      'https://x.example/v',
    );
    expect(emu.requests.map((r) => r.status)).toEqual([502, 200]);
  });

  it('a validation error is not retried and carries Twilio code', async () => {
    const emu = await useEmulator();
    const [first] = emu.state.api2010.numbers.values();
    const port = await portFor(emu);
    const err = await failure(port.numbers.update(first!.sid, { voiceMethod: 'PUT' }));
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).info).toMatchObject({ code: 21403, status: 400 });
    expect(emu.requests).toHaveLength(1);
  });

  it('404 for an unknown SID', async () => {
    const emu = await useEmulator();
    const port = await portFor(emu);
    const err = await failure(port.numbers.fetch('PN' + '0'.repeat(32)));
    expect((err as RemoteError).info).toMatchObject({ code: 20404, status: 404 });
    expect(err.message).not.toContain(emu.accountSid);
  });

  it('a dropped connection on a GET is retried', async () => {
    const emu = await useEmulator();
    emu.fault({ path: '**', drop: true });
    const port = await portFor(emu);
    expect(await port.numbers.list()).toHaveLength(3);
    expect(emu.requests.map((r) => r.status)).toEqual([undefined, 200]);
  });

  it('connection refused: a plain sentence naming the host', async () => {
    const port = await closedPort();
    const twilioPort = await portFor({
      accountSid: 'AC' + 'd'.repeat(32),
      authToken: 'tok-0123456789',
      url: `http://127.0.0.1:${port}`,
    });
    const err = await failure(twilioPort.numbers.list());
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.message).toBe(
      `cannot reach http://127.0.0.1:${port} (the --api-url / TWHOOK_API_URL server): the connection was refused: is it running?`,
    );
    expect((err as RemoteError).info).toMatchObject({ code: 'ECONNREFUSED', service: 'network' });
  });

  it('a timeout names the host and the knob', async () => {
    const emu = await useEmulator();
    emu.fault({ path: '**', delayMs: 5_000, times: Infinity });
    const port = await portFor(emu, { TWHOOK_HTTP_TIMEOUT_MS: '100' });
    const err = await failure(port.fetchAccount());
    expect(err.message).toBe(
      `cannot reach ${emu.url} (the --api-url / TWHOOK_API_URL server): no answer within 0.1 s (TWHOOK_HTTP_TIMEOUT_MS)`,
    );
  });

  it('refuses a bad --api-url and a bad account SID before any request', async () => {
    const credentials = resolveCredentials(
      {},
      { TWILIO_ACCOUNT_SID: 'AC' + 'e'.repeat(32), TWILIO_AUTH_TOKEN: 'x'.repeat(32) },
      {},
    );
    await expect(createTwilioPort({ credentials, apiUrl: 'ftp://127.0.0.1:1', env: {} })).rejects.toThrow(UsageError);
    const sk = resolveCredentials(
      {},
      { TWILIO_ACCOUNT_SID: 'SK' + 'e'.repeat(32), TWILIO_AUTH_TOKEN: 'x'.repeat(32) },
      {},
    );
    await expect(createTwilioPort({ credentials: sk, env: {} })).rejects.toThrow(
      /TWILIO_ACCOUNT_SID is not an account SID/,
    );
  });
});
