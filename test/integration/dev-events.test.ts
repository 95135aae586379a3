import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  createExtension,
  parseDevEventsFlags,
  setupDevEvents,
  teardownDevEvents,
} from '../../src/eventstreams/dev-events.js';
import type { ExtensionContext } from '../../src/dev/session.js';
import { currentOwner, Journal, newBatchId, type ResourceEntry } from '../../src/state/journal.js';
import { restoreEntries } from '../../src/state/restore.js';
import { createTwilioPort } from '../../src/twilio/client.js';
import { useEmulator } from '../support/emulator.js';
import { startApp, startCli, waitFor } from '../support/dev-session.js';
import { tempDir } from '../support/run-cli.js';
import { receiver } from '../support/receiver.js';
import { closedPort } from '../support/twilio-app.js';

type Emu = Awaited<ReturnType<typeof useEmulator>>;

const DELIVERED = 'com.twilio.messaging.message.delivered';
const FAILED = 'com.twilio.messaging.message.failed';

function portFor(emu: Emu) {
  return createTwilioPort({
    credentials: {
      accountSid: { value: emu.accountSid, source: 'env' },
      authTokens: [{ value: emu.authToken, source: 'env' }],
    },
    apiUrl: emu.url,
    env: {},
  });
}

function extensionContext(emu: Emu, publicUrl: string, journal: Journal, owner = currentOwner()): ExtensionContext {
  return {
    publicUrl,
    webhookBase: publicUrl,
    proxyUrl: publicUrl,
    twilio: () => portFor(emu),
    journal,
    batch: newBatchId(),
    session: 'sess' + newBatchId(),
    owner,
    signal: new AbortController().signal,
    emit: () => undefined,
    now: () => new Date(),
  };
}

/** The pid of a process that has exited: an owner that is certainly gone. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('dev --events flags', () => {
  it('parses types and the path, and refuses bad ones before the session starts', () => {
    expect(parseDevEventsFlags({})).toBeUndefined();
    expect(parseDevEventsFlags({ events: [`${DELIVERED}@2`, FAILED] })).toEqual({
      types: [{ type: DELIVERED, schemaVersion: 2 }, { type: FAILED }],
      path: '/events',
    });
    expect(
      parseDevEventsFlags({ events: [DELIVERED], eventsPath: '/twilio/events', basicAuth: 'u:p@ss' }),
    ).toMatchObject({
      path: '/twilio/events',
      basicAuth: { username: 'u', password: 'p@ss' },
    });
    expect(() => parseDevEventsFlags({ eventsPath: '/x' })).toThrow(/needs --events/);
    expect(() => parseDevEventsFlags({ events: ['delivered'] })).toThrow(UsageError);
    expect(() => parseDevEventsFlags({ events: [DELIVERED], eventsPath: 'events' })).toThrow(/starting with \//);
    expect(createExtension({} as never, {})).toBeUndefined();
  });
});

describe('dev --events session step', () => {
  it('creates a journaled sink to the tunnel path and a subscription, receives signed deliveries, deletes both at teardown', async () => {
    const emu = await useEmulator();
    const tunnel = await receiver();
    const journal = new Journal(tempDir());
    const context = extensionContext(emu, tunnel.url, journal);
    const extension = createExtension({} as never, {
      events: [DELIVERED, `${FAILED}@2`],
      eventsPath: '/hooks/events',
    })!;
    const handle = (await extension.setup(context))!;
    expect(handle.ready).toMatchObject({ url: `${tunnel.url}/hooks/events`, types: [DELIVERED, `${FAILED}@2`] });

    const [sink] = emu.state.events.sinks.values();
    expect(sink!.configuration).toEqual({
      destination: `${tunnel.url}/hooks/events`,
      method: 'POST',
      batch_events: false,
    });
    const [sub] = emu.state.events.subscriptions.values();
    expect(sub!.sinkSid).toBe(sink!.sid);
    expect([...sub!.types]).toEqual([
      [DELIVERED, 6],
      [FAILED, 2],
    ]);
    const entries = journal.unrestored({ session: context.session }) as ResourceEntry[];
    expect(entries.map((e) => [e.kind, e.state, e.sid])).toEqual([
      ['event-sink', 'applied', sink!.sid],
      ['event-subscription', 'applied', sub!.sid],
    ]);
    expect(sink!.description).toContain(entries[0]!.marker!);

    await emu.state.events.publish(DELIVERED, { messageSid: 'SM123', messageStatus: 'delivered' });
    expect(tunnel.received).toHaveLength(1);
    const { req, body } = tunnel.received[0]!;
    expect(req.url).toMatch(/^\/hooks\/events\?bodySHA256=[0-9a-f]{64}$/);
    expect(
      validateRequestWithBody(
        emu.authToken,
        String(req.headers['x-twilio-signature']),
        `${tunnel.url}${req.url}`,
        body,
      ),
    ).toBe(true);
    expect(JSON.parse(body)[0]).toMatchObject({ type: DELIVERED, data: { messageSid: 'SM123' } });

    await handle.teardown();
    expect(emu.state.events.sinks.size + emu.state.events.subscriptions.size).toBe(0);
    expect(journal.unrestored()).toEqual([]);
    expect(journal.entries().every((e) => e.state === 'restored')).toBe(true);
  });

  it('carries the session basic-auth credentials in the sink URL but never in the journal', async () => {
    const emu = await useEmulator();
    const journal = new Journal(tempDir());
    const context = extensionContext(emu, 'https://abc123.ngrok.app', journal);
    const resources = await setupDevEvents(context, {
      types: [{ type: DELIVERED }],
      path: '/events',
      basicAuth: { username: 'dev', password: 'hunter2-secret' },
    });
    expect(resources.url).toBe('https://abc123.ngrok.app/events');
    expect([...emu.state.events.sinks.values()][0]!.configuration.destination).toBe(
      'https://dev:hunter2-secret@abc123.ngrok.app/events',
    );
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(journal.path, 'utf8')).not.toContain('hunter2-secret');
    await teardownDevEvents(context, resources);
    expect(emu.state.events.sinks.size).toBe(0);
  });

  it('leaves nothing journaled when Twilio refuses, and explains an unknown type', async () => {
    const emu = await useEmulator();
    const journal = new Journal(tempDir());
    const context = extensionContext(emu, 'https://abc123.ngrok.app', journal);
    await expect(
      setupDevEvents(context, { types: [{ type: 'com.twilio.messaging.message.delivred' }], path: '/events' }),
    ).rejects.toThrow(/did you mean com\.twilio\.messaging\.message\.delivered/);
    // The sink was created; its entry stays for the session's restore. The refused subscription left none.
    expect(journal.unrestored().map((e) => [e.kind, e.state])).toEqual([['event-sink', 'applied']]);
    const report = await restoreEntries(await portFor(emu), journal, journal.unrestored());
    expect(report.failed).toEqual([]);
    expect(emu.state.events.sinks.size).toBe(0);
  });
});

describe('cleanup after a killed dev --events', () => {
  it('restore deletes the subscription and sink a dead session left, including one created after its last journal write', async () => {
    const emu = await useEmulator();
    const journal = new Journal(tempDir());
    // The session's process is gone (SIGKILL): its owner pid no longer runs.
    const owner = { pid: deadPid(), host: hostname() };
    const context = extensionContext(emu, 'https://abc123.ngrok.app', journal, owner);
    await setupDevEvents(context, { types: [{ type: DELIVERED }], path: '/events' });

    // A second session killed between journaling a sink and learning its SID: Twilio created it,
    // the journal holds only the pending entry with the marker put in its description.
    const other = extensionContext(emu, 'https://def456.ngrok.app', journal, owner);
    const pending = journal.begin({
      kind: 'event-sink',
      accountSid: emu.accountSid,
      origin: 'dev',
      batch: other.batch,
      session: other.session,
      owner,
      marker: 'twhook-dev:deadbeef0001',
      description: `twhook dev session ${other.session}, temporary (twhook-dev:deadbeef0001)`,
    });
    const orphan = emu.state.events.addSink({
      sinkType: 'webhook',
      description: (pending as ResourceEntry).description!,
      configuration: { destination: 'https://def456.ngrok.app/events', method: 'POST', batch_events: false },
    });
    expect(emu.state.events.sinks.size).toBe(2);
    expect(emu.state.events.subscriptions.size).toBe(1);

    // What `twhook restore` and the next `dev` run: every unrestored entry of ended sessions.
    const open = journal.unrestored({ origin: 'dev' });
    expect(open).toHaveLength(3);
    const report = await restoreEntries(await portFor(emu), journal, open, { note: 'restored after a killed session' });
    expect(report.failed).toEqual([]);
    expect(report.results.map((r) => r.kind)).toEqual(['event-subscription', 'event-sink', 'event-sink']);
    expect((report.results.find((r) => r.entryIds.includes(pending.id)) as { sid?: string }).sid).toBe(orphan.sid);
    expect(emu.state.events.sinks.size + emu.state.events.subscriptions.size).toBe(0);
    expect(journal.unrestored()).toEqual([]);
  });
});

describe('twhook dev --events', () => {
  it('subscribes a temporary sink to the session, shows signed deliveries as Event Streams requests, deletes both on exit', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.writeHead(204).end());
    const listen = await closedPort();
    const publicUrl = `http://127.0.0.1:${listen}`;
    const cli = startCli(
      [
        'dev',
        String(app.port),
        '--public-url',
        publicUrl,
        '--listen',
        String(listen),
        '--events',
        `${DELIVERED},${FAILED}@2`,
        '--events-path',
        '/twilio/events',
        '--no-capture',
        '--json',
      ],
      { env: emu.env },
    );
    const ready = await waitFor('the ready event', () => cli.json().find((e) => e.type === 'ready'));
    const [sink] = emu.state.events.sinks.values();
    const [sub] = emu.state.events.subscriptions.values();
    expect(ready.events).toEqual({
      url: `${publicUrl}/twilio/events`,
      sink: sink!.sid,
      subscription: sub!.sid,
      types: [DELIVERED, `${FAILED}@2`],
    });
    expect(sink!.configuration.destination).toBe(`${publicUrl}/twilio/events`);

    await emu.state.events.publish(DELIVERED, { messageSid: 'SM1', messageStatus: 'delivered' });
    const request = await waitFor('the delivery', () => cli.json().find((e) => e.type === 'request'));
    expect(request).toMatchObject({ kind: 'event-streams', status: 204, verdict: { status: 'valid' } });
    expect(request.gist).toContain(DELIVERED);
    expect(app.seen[0]!.url).toMatch(/^\/twilio\/events\?bodySHA256=/);

    cli.interrupt();
    expect(await cli.exit).toBe(0);
    expect(emu.state.events.sinks.size + emu.state.events.subscriptions.size).toBe(0);
    // Nothing left for `twhook restore`: both entries ended restored.
    const journal = new Journal(cli.configDir);
    expect(journal.unrestored()).toEqual([]);
    expect(journal.entries().map((e) => [e.kind, e.state])).toEqual([
      ['event-sink', 'restored'],
      ['event-subscription', 'restored'],
    ]);
  });

  it('names the temporary sink and its types in the live view', async () => {
    const emu = await useEmulator();
    const cli = startCli(
      ['dev', '3000', '--public-url', 'https://dev.example.com', '--events', DELIVERED, '--no-capture'],
      {
        env: { ...emu.env, NO_COLOR: '1' },
        tty: true,
      },
    );
    const [sink] = await waitFor(
      'the sink',
      () => emu.state.events.subscriptions.size === 1 && [...emu.state.events.sinks.values()],
    );
    await waitFor('the ready lines', () => cli.stderr.text().includes('event streams:'));
    expect(cli.stderr.text()).toContain(
      `  event streams: ${DELIVERED} → https://dev.example.com/events (temporary sink ${sink!.sid}, deleted on exit)`,
    );
    cli.interrupt();
    expect(await cli.exit).toBe(0);
    expect(emu.state.events.sinks.size).toBe(0);
  });

  it('refuses bad --events before creating anything', async () => {
    const emu = await useEmulator();
    const cli = startCli(['dev', '3000', '--public-url', 'https://dev.example.com', '--events', 'delivered'], {
      env: emu.env,
    });
    expect(await cli.exit).toBe(2);
    expect(cli.stderr.text()).toMatch(/"delivered" is not an event type/);
    expect(emu.requests.filter((r) => r.path.startsWith('/v1/'))).toEqual([]);
  });
});
