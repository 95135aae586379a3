/**
 * Regions and edges through the real SDK: twhook resolves the region and edge, the SDK builds the
 * regional host from them, and the --api-url rewrite (which names that host in X-Forwarded-Host)
 * sends it to the emulator. An emulator account "in IE1" refuses requests meant for any other
 * region, as Twilio does, so a passing call proves the SDK was asked for the IE1 host.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTwilioPort } from '../../src/twilio/client.js';
import { resolveCredentials, restTarget } from '../../src/twilio/credentials.js';
import { httpError, networkError } from '../../src/twilio/errors.js';
import { readTwilioCliConfig } from '../../src/twilio/profiles.js';
import { manyNumbers, useEmulator } from '../support/emulator.js';
import { tempDir } from '../support/run-cli.js';

type Emu = Awaited<ReturnType<typeof useEmulator>>;

function portFor(emu: Emu, env: Record<string, string> = {}, flags: { region?: string; apiEdge?: string } = {}) {
  const credentials = resolveCredentials(
    flags,
    { TWILIO_ACCOUNT_SID: emu.accountSid, TWILIO_AUTH_TOKEN: emu.authToken, ...env },
    {},
  );
  return createTwilioPort({
    credentials,
    apiUrl: emu.url,
    env: { TWHOOK_RETRY_BASE_MS: '1', TWHOOK_RETRY_MAX_MS: '5', ...env },
  });
}

const hosts = (emu: Emu) => emu.requests.map((r) => r.headers['x-forwarded-host']);

describe('the region and edge reach the SDK, and --api-url still replaces the regional host', () => {
  it('TWILIO_REGION=ie1: the SDK asks for api.dublin.ie1.twilio.com and the emulator answers it', async () => {
    const emu = await useEmulator({ region: 'ie1' });
    const port = await portFor(emu, { TWILIO_REGION: 'ie1' });
    expect((await port.fetchAccount()).sid).toBe(emu.accountSid);
    expect(await port.numbers.list()).toHaveLength(3);
    expect(hosts(emu)).toEqual(['api.dublin.ie1.twilio.com', 'api.dublin.ie1.twilio.com']);
    expect(emu.requests.every((r) => r.status === 200)).toBe(true);
  });

  it('Event Streams and Messaging Services follow the same region, across pages', async () => {
    const emu = await useEmulator({ region: 'au1', numbers: manyNumbers(3) });
    const port = await portFor(emu, { TWHOOK_PAGE_SIZE: '2' }, { region: 'au1' });
    await port.events.sinks.create({
      description: 'a',
      sinkType: 'webhook',
      configuration: { destination: 'https://e.example/x', method: 'POST', batch_events: false },
    });
    expect(await port.events.sinks.list()).toHaveLength(1);
    expect(await port.messaging.listServices()).toEqual([]);
    expect(await port.numbers.list()).toHaveLength(3);
    expect(new Set(hosts(emu))).toEqual(
      new Set(['events.sydney.au1.twilio.com', 'messaging.sydney.au1.twilio.com', 'api.sydney.au1.twilio.com']),
    );
    // The second page of numbers went to the regional host too.
    expect(emu.requests.filter((r) => r.path.endsWith('/IncomingPhoneNumbers.json'))).toHaveLength(2);
  });

  it('an edge given alone goes through that edge to US1; an explicit edge replaces the default one', async () => {
    const us = await useEmulator();
    await (await portFor(us, { TWILIO_EDGE: 'sydney' })).fetchAccount();
    expect(hosts(us)).toEqual(['api.sydney.us1.twilio.com']);
    const ie = await useEmulator({ region: 'ie1' });
    await (await portFor(ie, { TWILIO_REGION: 'ie1' }, { apiEdge: 'frankfurt' })).fetchAccount();
    expect(hosts(ie)).toEqual(['api.frankfurt.ie1.twilio.com']);
  });

  it('without a region the SDK asks for api.twilio.com, whatever the process environment says', async () => {
    const saved = { region: process.env.TWILIO_REGION, edge: process.env.TWILIO_EDGE };
    process.env.TWILIO_REGION = 'au1';
    process.env.TWILIO_EDGE = 'sydney';
    try {
      const emu = await useEmulator();
      await (await portFor(emu)).fetchAccount();
      expect(hosts(emu)).toEqual(['api.twilio.com']);
    } finally {
      for (const [key, value] of [
        ['TWILIO_REGION', saved.region],
        ['TWILIO_EDGE', saved.edge],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('an IE1 account reached at US1 is refused, as Twilio refuses it', async () => {
    const emu = await useEmulator({ region: 'ie1' });
    const port = await portFor(emu);
    await expect(port.fetchAccount()).rejects.toMatchObject({ info: { status: 401, code: 20003 } });
    expect(hosts(emu)).toEqual(['api.twilio.com']);
  });
});

describe('errors name the host and the region', () => {
  const SID = 'AC' + 'e'.repeat(32);
  const body = {
    code: 20003,
    message: 'Authenticate',
    more_info: 'https://www.twilio.com/docs/errors/20003',
    status: 401,
  };
  const auth = { method: 'auth-token' as const, accountSid: SID };

  it('a 401 names the host that answered, and the region that was asked or that none was', () => {
    const none = httpError(
      { statusCode: 401, body },
      'GET',
      'https://api.twilio.com/x',
      { auth },
      1,
      'https://api.twilio.com/x',
    );
    expect(none.message).toBe(
      'Twilio rejected the credentials at api.twilio.com (20003): Authenticate — check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN; ' +
        'accounts outside US1 need their region: --region ie1 or au1 (or TWILIO_REGION); https://www.twilio.com/docs/errors/20003',
    );
    const credentials = resolveCredentials(
      {},
      { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 't'.repeat(32), TWILIO_REGION: 'ie1' },
      {},
    );
    const target = restTarget(credentials);
    const ie1 = httpError(
      { statusCode: 401, body },
      'GET',
      'http://127.0.0.1:4010/x',
      { auth, credentials, target, baseUrl: 'http://127.0.0.1:4010' },
      1,
      'https://api.dublin.ie1.twilio.com/x',
    );
    expect(ie1.message).toBe(
      'Twilio rejected the credentials at api.dublin.ie1.twilio.com via http://127.0.0.1:4010 (20003): Authenticate — check ' +
        'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN; credentials work only in their own region, and this was ie1 (from TWILIO_REGION); ' +
        'https://www.twilio.com/docs/errors/20003',
    );
  });

  it("a 401 with a profile's API key names the profile", () => {
    const dir = tempDir('twilio-cli-');
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        profiles: {
          work: { accountSid: SID, apiKey: 'SK' + 'f'.repeat(32), apiSecret: 's'.repeat(32), region: 'au1' },
        },
        activeProject: 'work',
      }),
    );
    const credentials = resolveCredentials({}, {}, {}, undefined, () =>
      readTwilioCliConfig({ TWILIO_CONFIG_DIR: dir }),
    );
    const err = httpError({ statusCode: 401, body }, 'GET', 'https://api.sydney.au1.twilio.com/x', {
      auth: { method: 'api-key', accountSid: SID },
      credentials,
      target: restTarget(credentials),
    });
    const profile = `twilio-cli's active profile "work" (${join(dir, 'config.json')})`;
    expect(err.message).toContain(
      `check the API key and secret of ${profile}, and that the key belongs to account AC…eeee`,
    );
    expect(err.message).toContain(`this was au1 (from ${profile})`);
  });

  it('a network error names the host tried, and for a regional host that does not resolve, the region and edge given', () => {
    const credentials = resolveCredentials({ region: 'ie2', apiEdge: 'dublin' }, {}, {});
    const target = restTarget(credentials);
    expect(
      networkError({ code: 'ENOTFOUND' }, 'https://api.dublin.ie2.twilio.com/x', { timeoutMs: 1, credentials, target })
        .message,
    ).toBe(
      'cannot reach https://api.dublin.ie2.twilio.com: the host name does not resolve (DNS): check the network connection ' +
        'and the region ie2 (from --region) and the edge dublin (from --api-edge)',
    );
    const base = 'http://127.0.0.1:9';
    const refused = networkError(
      { code: 'ECONNREFUSED' },
      `${base}/x`,
      { timeoutMs: 1, baseUrl: base, credentials, target },
      'GET',
      'https://api.dublin.ie2.twilio.com/x',
    );
    expect(refused.message).toBe(
      'cannot reach http://127.0.0.1:9 (the --api-url / TWHOOK_API_URL server, for api.dublin.ie2.twilio.com): the connection was refused: is it running?',
    );
  });
});
