import { describe, expect, it } from 'vitest';
import { RemoteError, UsageError } from '../../src/errors.js';
import type { DevEvent } from '../../src/dev/events.js';
import { startDevSession, type DevSessionOptions, type SessionDeps } from '../../src/dev/session.js';
import { Journal } from '../../src/state/journal.js';
import { createTwilioPort } from '../../src/twilio/client.js';
import type { TwilioPort } from '../../src/twilio/port.js';
import type { Tunnel, TunnelFactory } from '../../src/tunnel/types.js';
import { useEmulator } from '../support/emulator.js';
import { post, startApp, waitFor } from '../support/dev-session.js';
import { tempDir } from '../support/run-cli.js';

type Emu = Awaited<ReturnType<typeof useEmulator>>;

function portFor(emu: Emu): Promise<TwilioPort> {
  return createTwilioPort({
    credentials: {
      accountSid: { value: emu.accountSid, source: 'env' },
      authTokens: [{ value: emu.authToken, source: 'env' }],
    },
    apiUrl: emu.url,
    env: {},
  });
}

/** A tunnel the test controls: `lose()` reports it gone for good. */
function controlledTunnel(url = 'https://tunnel.example.test') {
  let lost: ((reason: string) => void) | undefined;
  let closed = 0;
  const factory: TunnelFactory = async () => {
    const tunnel: Tunnel = {
      url,
      provider: 'ngrok',
      close: async () => {
        closed++;
      },
      onLost: (fn) => {
        lost = fn;
      },
    };
    return tunnel;
  };
  return { factory, lose: (reason: string) => lost?.(reason), closed: () => closed };
}

function deps(
  emu: Emu,
  tunnel: TunnelFactory,
  signal = new AbortController().signal,
  configDir = tempDir(),
): SessionDeps {
  return {
    twilio: () => portFor(emu),
    tunnel,
    configDir,
    cwd: tempDir(),
    clock: { now: () => new Date() },
    signal,
    env: {},
  };
}

function options(target: string, extra: Partial<DevSessionOptions> = {}): DevSessionOptions {
  return {
    target,
    numbers: ['+14155550100'],
    paths: { sms: '/sms', voice: '/voice' },
    tunnel: { kind: 'ngrok', authtoken: 'x' },
    capture: null,
    authTokens: [],
    ...extra,
  };
}

async function collect(events: AsyncIterable<DevEvent>): Promise<DevEvent[]> {
  const out: DevEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('dev session engine', () => {
  it('restores the numbers when the tunnel is lost, then fails with a RemoteError', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const tunnel = controlledTunnel();
    const support = [...emu.state.api2010.numbers.values()][0]!;
    const original = support.sms_url;
    const session = startDevSession(options(app.url), deps(emu, tunnel.factory));
    const events = collect(session.events);
    let seen: DevEvent[] = [];
    session.subscribe((e) => seen.push(e));
    await waitFor('ready', () => seen.some((e) => e.type === 'ready'));
    expect(support.sms_url).toBe('https://tunnel.example.test/sms');
    tunnel.lose('the ngrok session dropped and did not come back within 30 s');
    const err = await session.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as Error).message).toMatch(/the tunnel was lost/);
    expect(support.sms_url).toBe(original);
    seen = await events;
    const types = seen.map((e) => e.type);
    expect(types.indexOf('error')).toBeLessThan(types.indexOf('restored'));
    expect(seen.find((e) => e.type === 'restored')).toMatchObject({
      reason: 'tunnel lost',
      numbers: [{ phoneNumber: '+14155550100' }],
    });
    expect(tunnel.closed()).toBe(1);
  });

  it('a failure while pointing the second number restores the first', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const [first, second] = [...emu.state.api2010.numbers.values()];
    const before = first!.sms_url;
    emu.fault({
      method: 'POST',
      path: `**/IncomingPhoneNumbers/${second!.sid}.json`,
      status: 400,
      times: Infinity,
      body: { code: 21402, message: 'Url is not a valid URL', status: 400 },
    });
    const session = startDevSession(
      options(app.url, { numbers: [first!.sid, second!.sid] }),
      deps(emu, controlledTunnel().factory),
    );
    const events = collect(session.events);
    const err = await session.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(first!.sms_url).toBe(before);
    const all = await events;
    expect(all.some((e) => e.type === 'ready')).toBe(false);
    expect(all.find((e) => e.type === 'restored')).toMatchObject({
      reason: 'fatal error',
      numbers: [{ sid: first!.sid }],
    });
  });

  it('restores what a session that died left, before recording anything, and never takes its URL as the previous value', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const configDir = tempDir();
    const support = [...emu.state.api2010.numbers.values()][0]!;
    const original = support.sms_url;
    // A session whose process is gone (SIGKILL): its entry is applied, the number holds its URL.
    const journal = new Journal(configDir);
    const entry = journal.begin({
      kind: 'number',
      accountSid: emu.accountSid,
      numberSid: support.sid,
      phoneNumber: support.phone_number,
      before: { smsUrl: original, smsMethod: 'POST' },
      after: { smsUrl: 'https://dead.example.test/sms', smsMethod: 'POST' },
      origin: 'dev',
      batch: 'deadbeef0001',
      session: 'deadbeef0002',
      owner: { pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname() },
    });
    journal.markApplied(entry.id);
    support.sms_url = 'https://dead.example.test/sms';

    const controller = new AbortController();
    const session = startDevSession(
      options(app.url),
      deps(emu, controlledTunnel().factory, controller.signal, configDir),
    );
    const seen: DevEvent[] = [];
    session.subscribe((e) => seen.push(e));
    const events = collect(session.events);
    await waitFor('ready', () => seen.some((e) => e.type === 'ready'));
    expect(seen.find((e) => e.type === 'warning')).toMatchObject({
      message: expect.stringMatching(/restored \+14155550100, left changed by an earlier dev session/),
    });
    const mine = new Journal(configDir).unrestored({ kind: 'number' });
    expect(mine).toHaveLength(1);
    expect(mine[0]!.kind === 'number' && mine[0]!.before.smsUrl).toBe(original);
    controller.abort();
    await session.done;
    await events;
    expect(support.sms_url).toBe(original);
    expect(new Journal(configDir).unrestored()).toEqual([]);
  });

  it('refuses numbers another running session holds', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const configDir = tempDir();
    const controller = new AbortController();
    const first = startDevSession(
      options(app.url),
      deps(emu, controlledTunnel().factory, controller.signal, configDir),
    );
    const seen: DevEvent[] = [];
    first.subscribe((e) => seen.push(e));
    void collect(first.events);
    await waitFor('ready', () => seen.some((e) => e.type === 'ready'));
    // Same process, so pretend the holder is another live process (pid 1 is always alive).
    const journal = new Journal(configDir);
    for (const e of journal.unrestored())
      journal.update(e.id, { owner: { pid: 1, host: (await import('node:os')).hostname() } });
    const second = startDevSession(
      options(app.url),
      deps(emu, controlledTunnel().factory, new AbortController().signal, configDir),
    );
    void collect(second.events);
    const err = await second.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/in use by another running twhook dev session/);
    for (const e of journal.unrestored())
      journal.update(e.id, { owner: { pid: process.pid, host: (await import('node:os')).hostname() } });
    controller.abort();
    await first.done;
  });

  it('backs up the values the number has when it is pointed at the tunnel, not those from before the tunnel started', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const number = [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === '+14155550100')!;
    const tunnel = controlledTunnel();
    const slowTunnel: TunnelFactory = async (request) => {
      // While ngrok starts, the user saves a new voice URL in the Console.
      number.voice_url = 'https://by-hand.example.com/voice';
      return tunnel.factory(request);
    };
    const controller = new AbortController();
    const session = startDevSession(options(app.url), deps(emu, slowTunnel, controller.signal));
    const seen: DevEvent[] = [];
    session.subscribe((e) => seen.push(e));
    void collect(session.events);
    await waitFor('ready', () => seen.some((e) => e.type === 'ready'));
    controller.abort();
    expect((await session.done).restore.failed).toEqual([]);
    expect(number.voice_url).toBe('https://by-hand.example.com/voice');
  });

  it('runs extensions after the numbers, tears them down in reverse before the restore, and puts their fields in ready', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const order: string[] = [];
    const support = [...emu.state.api2010.numbers.values()][0]!;
    const controller = new AbortController();
    const extension = (name: string) => ({
      name,
      async setup(context: { publicUrl: string }) {
        order.push(`setup ${name} ${context.publicUrl} number=${support.sms_url}`);
        return { ready: { name }, teardown: async () => void order.push(`teardown ${name} number=${support.sms_url}`) };
      },
    });
    const session = startDevSession(
      options(app.url, { extensions: [extension('a'), extension('b')] }),
      deps(emu, controlledTunnel().factory, controller.signal),
    );
    const seen: DevEvent[] = [];
    session.subscribe((e) => seen.push(e));
    void collect(session.events);
    const ready = await waitFor('ready', () => seen.find((e) => e.type === 'ready'));
    expect(ready).toMatchObject({ a: { name: 'a' }, b: { name: 'b' } });
    controller.abort();
    await session.done;
    expect(order).toEqual([
      'setup a https://tunnel.example.test number=https://tunnel.example.test/sms',
      'setup b https://tunnel.example.test number=https://tunnel.example.test/sms',
      'teardown b number=https://tunnel.example.test/sms',
      'teardown a number=https://tunnel.example.test/sms',
    ]);
  });

  it('says so when an ended session left changes on another account, instead of passing over them', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const configDir = tempDir();
    const other = 'AC' + 'e'.repeat(32);
    new Journal(configDir).begin({
      kind: 'number',
      accountSid: other,
      numberSid: 'PN' + 'f'.repeat(32),
      phoneNumber: '+15005550199',
      before: { smsUrl: 'https://orig.example.com/sms' },
      after: { smsUrl: 'https://old.ngrok.app/sms' },
      origin: 'dev',
      batch: 'b',
      session: 'old',
      owner: { pid: 4194305, host: (await import('node:os')).hostname() },
    });
    const session = startDevSession(
      options(app.url, { numbers: [] }),
      deps(emu, controlledTunnel().factory, new AbortController().signal, configDir),
    );
    const seen: DevEvent[] = [];
    session.subscribe((e) => seen.push(e));
    void collect(session.events);
    await waitFor('ready', () => seen.some((e) => e.type === 'ready'));
    await session.stop('done');
    const warnings = seen
      .filter((e): e is Extract<DevEvent, { type: 'warning' }> => e.type === 'warning')
      .map((e) => e.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('+15005550199');
    expect(warnings[0]).toContain('twhook restore');
    expect(warnings[0]).not.toContain(other);
    expect(new Journal(configDir).unrestored()).toHaveLength(1);
  });

  it('stop() ends a session that has no numbers without touching the API', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const session = startDevSession(options(app.url, { numbers: [] }), {
      ...deps(emu, controlledTunnel().factory),
      twilio: () => Promise.reject(new Error('no API wanted')),
    });
    const seen: DevEvent[] = [];
    session.subscribe((e) => seen.push(e));
    void collect(session.events);
    const ready = await waitFor('ready', () => seen.find((e) => e.type === 'ready'));
    expect(ready).toMatchObject({ numbers: [], tunnel: 'ngrok' });
    const r = await post(`${(ready as { proxyUrl: string }).proxyUrl}/x`, 'a=b');
    expect(r.status).toBe(200);
    const summary = await session.stop('done');
    expect(summary).toMatchObject({ reason: 'done', requests: 1, restore: { results: [] } });
    expect(seen.at(-1)).toMatchObject({ type: 'restored', numbers: [], reason: 'done' });
  });
});
