/**
 * Event Streams commands never fail on an optional read (a subscription's event types), and never
 * accept a webhook destination Twilio cannot reach.
 */
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { scriptedPrompter } from '../support/prompter.js';
import { runCli, type RunOptions } from '../support/run-cli.js';

type Json = Record<string, any>;

const DELIVERED = 'com.twilio.messaging.message.delivered';
/** Every read of a subscription's event types fails (retries included). */
const TYPES_DOWN = { method: 'GET', path: '/v1/Subscriptions/*/SubscribedEvents', status: 500, times: Infinity };

async function setup() {
  const emu = await useEmulator();
  const run = (argv: string[], extra: RunOptions = {}) =>
    runCli(argv, { env: { ...emu.env, TWHOOK_RETRY_BASE_MS: '1', TWHOOK_RETRY_MAX_MS: '5', NO_COLOR: '1' }, ...extra });
  const sink = emu.state.events.addSink({
    sinkType: 'webhook',
    description: 'orders',
    configuration: { destination: 'https://example.com/e', method: 'POST', batch_events: false },
  });
  return { emu, run, sink };
}

describe('a subscription whose event types cannot be read', () => {
  it('subscriptions create reports the SID it created with exit 0, and warns', async () => {
    const { emu, run, sink } = await setup();
    emu.fault(TYPES_DOWN);
    const piped = await run(['subscriptions', 'create', '--sink', sink.sid, '--type', DELIVERED]);
    expect(piped.code, piped.stderr).toBe(0);
    const sid = piped.stdout.trim();
    expect(sid).toMatch(/^DF[0-9a-f]{32}$/);
    expect(emu.state.events.subscriptions.has(sid)).toBe(true);
    expect(piped.stderr).toContain(`warning: could not read the event types of subscription ${sid}:`);
    expect(piped.stderr).toContain(`\`twhook subscriptions show ${sid}\` tries again`);

    const json = await run(['subscriptions', 'create', '--sink', sink.sid, '--type', DELIVERED, '--json']);
    expect(json.code).toBe(0);
    const out = json.json()[0] as Json;
    expect(out.subscription).toMatchObject({ sinkSid: sink.sid, types: [], typesError: expect.any(String) });
    expect(emu.state.events.subscriptions.has(out.subscription.sid)).toBe(true);
  });

  it('subscriptions show, list and delete --yes, and sinks show, do not depend on it', async () => {
    const { emu, run, sink } = await setup();
    const created = await run(['subscriptions', 'create', '--sink', sink.sid, '--type', DELIVERED]);
    const sid = created.stdout.trim();
    emu.fault(TYPES_DOWN);

    const show = await run(['subscriptions', 'show', sid]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('types    (could not be read)');
    expect(show.stderr).toContain(`could not read the event types of subscription ${sid}`);

    const list = await run(['subscriptions', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(`${sid}\t${sink.sid}\t(could not be read)`);

    const sinkShow = await run(['sinks', 'show', sink.sid, '--json']);
    expect(sinkShow.code, sinkShow.stderr).toBe(0);
    expect((sinkShow.json()[0] as Json).subscriptions[0]).toMatchObject({ sid, typesError: expect.any(String) });

    const asked = scriptedPrompter([true]);
    const deleted = await run(['subscriptions', 'delete', sid], { tty: true, prompter: asked });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(asked.asked[0]!.message).toBe(`Delete subscription ${sid} (to sink ${sink.sid})?`);
    expect(emu.state.events.subscriptions.has(sid)).toBe(false);

    const again = await run(['subscriptions', 'create', '--sink', sink.sid, '--type', DELIVERED]);
    const second = again.stdout.trim();
    const yes = await run(['subscriptions', 'delete', second, '--yes']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toBe(`deleted subscription ${second}\n`);
    expect(emu.state.events.subscriptions.has(second)).toBe(false);
  });

  it('sinks create --subscribe keeps the sink and reports the subscription, with a warning', async () => {
    const { emu, run } = await setup();
    emu.fault(TYPES_DOWN);
    const r = await run([
      'sinks',
      'create',
      '--type',
      'webhook',
      '--destination',
      'https://example.com/new',
      '--subscribe',
      DELIVERED,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json()[0] as Json;
    expect(emu.state.events.sinks.has(out.sink.sid)).toBe(true);
    expect(emu.state.events.subscriptions.has(out.subscription.sid)).toBe(true);
    expect(r.stderr).toContain(`could not read the event types of subscription ${out.subscription.sid}`);
  });
});

describe('sinks create --type webhook: destinations Twilio cannot reach', () => {
  it('refuses localhost and loopback addresses even when the API is a stand-in for Twilio on loopback', async () => {
    const { emu } = await setup();
    // A fake Twilio API on 127.0.0.1 that is not twhook's emulator: it stands for Twilio.
    const env = { TWILIO_ACCOUNT_SID: emu.accountSid, TWILIO_AUTH_TOKEN: emu.authToken, TWHOOK_API_URL: emu.url };
    for (const destination of [
      'https://localhost/e',
      'https://127.0.0.1:8443/e',
      'https://[::1]/e',
      'https://[::ffff:127.0.0.1]/e',
      'https://app.localhost/e',
    ]) {
      const r = await runCli(['sinks', 'create', '--type', 'webhook', '--destination', destination], { env });
      expect(r.code, destination).toBe(2);
      expect(r.stderr, destination).toMatch(/is this machine: Twilio cannot reach it/);
    }
    expect(emu.state.events.sinks.size).toBe(1);
  });
});
