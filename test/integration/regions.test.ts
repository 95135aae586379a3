/**
 * Regions and edges through the real SDK: twhook resolves the region and edge, the SDK builds the
 * regional host from them, and the --api-url rewrite (which names that host in X-Forwarded-Host)
 * sends it to the emulator. An emulator account "in IE1" refuses requests meant for any other
 * region, as Twilio does, so a passing call proves the SDK was asked for the IE1 host.
 */
import { describe, expect, it } from 'vitest';
import { createTwilioPort } from '../../src/twilio/client.js';
import { resolveCredentials } from '../../src/twilio/credentials.js';
import { manyNumbers, useEmulator } from '../support/emulator.js';

type Emu = Awaited<ReturnType<typeof useEmulator>>;

function portFor(emu: Emu, env: Record<string, string> = {}, flags: { region?: string; apiEdge?: string } = {}) {
  const credentials = resolveCredentials(flags, { TWILIO_ACCOUNT_SID: emu.accountSid, TWILIO_AUTH_TOKEN: emu.authToken, ...env }, {});
  return createTwilioPort({ credentials, apiUrl: emu.url, env: { TWHOOK_RETRY_BASE_MS: '1', TWHOOK_RETRY_MAX_MS: '5', ...env } });
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
    await port.events.sinks.create({ description: 'a', sinkType: 'webhook', configuration: { destination: 'https://e.example/x', method: 'POST', batch_events: false } });
    expect(await port.events.sinks.list()).toHaveLength(1);
    expect(await port.messaging.listServices()).toEqual([]);
    expect(await port.numbers.list()).toHaveLength(3);
    expect(new Set(hosts(emu))).toEqual(new Set(['events.sydney.au1.twilio.com', 'messaging.sydney.au1.twilio.com', 'api.sydney.au1.twilio.com']));
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
      for (const [key, value] of [['TWILIO_REGION', saved.region], ['TWILIO_EDGE', saved.edge]] as const) {
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
