import { validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';
import { describe, expect, it } from 'vitest';
import type { EmulatorOptions } from '../../src/emulator/server.js';
import type { Choice } from '../../src/ui/prompter.js';
import { useEmulator } from '../support/emulator.js';
import { scriptedPrompter } from '../support/prompter.js';
import { runCli, type RunOptions } from '../support/run-cli.js';
import { receiver } from '../support/receiver.js';

type Json = Record<string, any>;

const KINESIS = [
  '--type',
  'kinesis',
  '--arn',
  'arn:aws:kinesis:us-east-1:123456789012:stream/twilio-events',
  '--role-arn',
  'arn:aws:iam::123456789012:role/twilio-events',
  '--external-id',
  'ext-7f3a9c',
];
const WRITE_KEY = 'seGmEntWr1teKey0123456789abcdef';
const DELIVERED = 'com.twilio.messaging.message.delivered';
const FAILED = 'com.twilio.messaging.message.failed';

async function setup(options: EmulatorOptions = {}) {
  const emu = await useEmulator(options);
  const run = (argv: string[], extra: RunOptions = {}) => runCli(argv, { env: emu.env, ...extra });
  const webhook = async (destination = 'https://example.com/events', ...more: string[]) => {
    const r = await run(['sinks', 'create', '--type', 'webhook', '--destination', destination, ...more, '--json']);
    expect(r.code, r.stderr).toBe(0);
    return r.json()[0] as Json;
  };
  return { emu, run, webhook };
}

describe('twhook sinks create', () => {
  it('creates a webhook sink, subscribes it and sends its test event in one command', async () => {
    const { emu, run } = await setup();
    const rx = await receiver();
    const r = await run([
      'sinks',
      'create',
      '--type',
      'webhook',
      '--destination',
      `${rx.url}/events`,
      '--batch',
      '--subscribe',
      `${DELIVERED}@3`,
      '--subscribe',
      FAILED,
      '--test',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json()[0] as Json;
    expect(out.sink).toMatchObject({
      type: 'webhook',
      status: 'active',
      configuration: { destination: `${rx.url}/events`, method: 'POST', batch_events: true },
    });
    expect(out.subscription.sinkSid).toBe(out.sink.sid);
    expect(out.subscription.types).toEqual([
      { type: DELIVERED, schemaVersion: 3 },
      { type: FAILED, schemaVersion: 6 },
    ]);
    expect(out.test).toEqual({ result: 'submitted', status: 'active' });
    expect(rx.received).toHaveLength(1);
    const { req, body } = rx.received[0]!;
    expect(JSON.parse(body)[0].type).toBe('com.twilio.eventstreams.test-event');
    expect(
      validateRequestWithBody(emu.authToken, String(req.headers['x-twilio-signature']), `${rx.url}${req.url}`, body),
    ).toBe(true);
    // The form Twilio expects: one Types key per type, each a JSON object.
    const create = emu.requests.find((q) => q.method === 'POST' && q.path === '/v1/Subscriptions')!;
    expect(create.form.filter(([k]) => k === 'Types').map(([, v]) => JSON.parse(v))).toEqual([
      { type: DELIVERED, schema_version: 3 },
      { type: FAILED },
    ]);
  });

  it('prints only the SIDs when piped, and a summary on a terminal', async () => {
    const { emu, run } = await setup();
    const piped = await run([
      'sinks',
      'create',
      '--type',
      'webhook',
      '--destination',
      'https://example.com/a',
      '--subscribe',
      DELIVERED,
    ]);
    expect(piped.code, piped.stderr).toBe(0);
    const [sinkSid, subSid] = piped.stdout.trim().split('\n');
    expect(sinkSid).toMatch(/^DG[0-9a-f]{32}$/);
    expect(subSid).toMatch(/^DF[0-9a-f]{32}$/);
    expect(emu.state.events.subscriptions.get(subSid!)!.sinkSid).toBe(sinkSid);
    const tty = await run(
      [
        'sinks',
        'create',
        '--type',
        'webhook',
        '--destination',
        'https://example.com/b',
        '--method',
        'get',
        '--description',
        'orders',
      ],
      { tty: true, env: { ...emu.env, NO_COLOR: '1' } },
    );
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stdout).toMatch(/✓ webhook sink DG[0-9a-f]{32} \(active\): GET https:\/\/example\.com\/b/);
    expect([...emu.state.events.sinks.values()].at(-1)!.description).toBe('orders');
  });

  it('checks every shape before any call', async () => {
    const { emu } = await setup();
    // As for Twilio itself: no local API.
    const env = { TWILIO_ACCOUNT_SID: emu.accountSid, TWILIO_AUTH_TOKEN: emu.authToken };
    const cases: [string[], RegExp][] = [
      [['--type', 'webhook', '--destination', 'http://example.com/e'], /https:\/\/ URL/],
      [['--type', 'webhook', '--destination', 'https://127.0.0.1:3000/e'], /Twilio cannot reach it.*dev --events/],
      [['--type', 'webhook', '--destination', 'not a url'], /is not a URL/],
      [['--type', 'webhook'], /needs --destination/],
      [['--type', 'webhook', '--destination', 'https://example.com/e', '--method', 'PUT'], /POST or GET/],
      [
        [
          '--type',
          'kinesis',
          '--arn',
          'arn:aws:kinesis:us-east-1:123:stream/x',
          '--role-arn',
          'arn:aws:iam::123456789012:role/r',
          '--external-id',
          'abc',
        ],
        /not a Kinesis stream ARN/,
      ],
      [
        [
          '--type',
          'kinesis',
          '--arn',
          'arn:aws:kinesis:us-east-1:123456789012:stream/x',
          '--role-arn',
          'arn:aws:iam::123456789012:user/r',
          '--external-id',
          'abc',
        ],
        /not an IAM role ARN/,
      ],
      [
        [
          '--type',
          'kinesis',
          '--arn',
          'arn:aws:kinesis:us-east-1:123456789012:stream/x',
          '--role-arn',
          'arn:aws:iam::123456789012:role/r',
        ],
        /--external-id/,
      ],
      [[...KINESIS, '--subscribe', DELIVERED], /starts inactive.*sinks validate/],
      [
        [
          '--type',
          'webhook',
          '--destination',
          'https://example.com/e',
          '--arn',
          'arn:aws:kinesis:us-east-1:123456789012:stream/x',
        ],
        /--arn applies to --type kinesis/,
      ],
      [['--type', 'segment', '--write-key', 'short'], /Segment write key/],
      [['--type', 'email'], /webhook, kinesis or segment/],
      [
        ['--type', 'webhook', '--destination', 'https://example.com/e', '--subscribe', 'Messaging Delivered'],
        /not an event type/,
      ],
      [
        ['--type', 'webhook', '--destination', 'https://example.com/e', '--subscribe', `${DELIVERED}@x`],
        /schema version/,
      ],
      [
        ['--type', 'webhook', '--destination', 'https://example.com/e', '--subscribe', `${DELIVERED}@1,${DELIVERED}@2`],
        /twice/,
      ],
      [[], /pass --type webhook/],
    ];
    let calls = 0;
    for (const [args, message] of cases) {
      // No local API: a call would go to Twilio, so the factory refuses and counts instead.
      const r = await runCli(['sinks', 'create', ...args], {
        env,
        twilioFactory: async () => {
          calls++;
          throw new Error('no call expected');
        },
      });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(calls).toBe(0);
    expect(emu.requests).toEqual([]);
  });

  it('never prints a Segment write key, though Twilio returns it on every fetch', async () => {
    const { emu, run } = await setup();
    const created = await run(['sinks', 'create', '--type', 'segment', '--write-key', WRITE_KEY, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const sink = (created.json()[0] as Json).sink;
    expect(emu.state.events.sinks.get(sink.sid)!.configuration.write_key).toBe(WRITE_KEY);
    expect(sink.configuration.write_key).toBe('••••••••');
    for (const argv of [
      ['sinks', 'list'],
      ['sinks', 'list', '--json'],
      ['sinks', 'show', sink.sid],
      ['sinks', 'show', sink.sid, '--json'],
      ['sinks', 'test', sink.sid],
    ]) {
      const r = await run(argv);
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(WRITE_KEY);
    }
    expect(created.stdout + created.stderr).not.toContain(WRITE_KEY);
  });
});

describe("Twilio's limits and inactive sinks as sentences", () => {
  it('explains the sink limit', async () => {
    const { emu, run, webhook } = await setup({ eventLimits: { sinks: 2 } });
    await webhook();
    await webhook();
    const r = await run(['sinks', 'create', '--type', 'webhook', '--destination', 'https://example.com/3']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /Twilio refused a new sink: the account already has 2 sinks and Event Streams allows 100 per account. Delete unused ones/,
    );
    const json = await run([
      'sinks',
      'create',
      '--type',
      'webhook',
      '--destination',
      'https://example.com/3',
      '--json',
    ]);
    expect((json.json()[0] as Json).error).toMatchObject({ type: 'remote', status: 400, code: 20001 });
    expect(emu.state.events.sinks.size).toBe(2);
  });

  it('explains the subscription limit; sinks create --subscribe deletes the sink it made again', async () => {
    const { emu, run, webhook } = await setup({ eventLimits: { subscriptions: 1 } });
    const sink = (await webhook()).sink;
    expect((await run(['subscriptions', 'create', '--sink', sink.sid, '--type', DELIVERED])).code).toBe(0);
    const again = await run(['subscriptions', 'create', '--sink', sink.sid, '--type', FAILED]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/already has 1 subscription and Event Streams allows 100 per account.*add-types/);
    const withSink = await run([
      'sinks',
      'create',
      '--type',
      'webhook',
      '--destination',
      'https://example.com/2',
      '--subscribe',
      FAILED,
    ]);
    expect(withSink.code).toBe(3);
    expect(withSink.stderr).toMatch(
      /could not subscribe the new sink: Twilio refused a new subscription.*; deleted sink DG[0-9a-f]{32} again, nothing was created/,
    );
    expect(emu.state.events.sinks.size).toBe(1);
  });

  it('sinks create --subscribe with an unknown type: one error line, no "Created" line for the sink it deleted again', async () => {
    const { emu, run } = await setup();
    const r = await run([
      'sinks',
      'create',
      '--type',
      'webhook',
      '--destination',
      'https://example.com/e',
      '--subscribe',
      'com.twilio.messaging.message.delivred',
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^error: could not subscribe the new sink: unknown event type: com\.twilio\.messaging\.message\.delivred .*; deleted sink DG[0-9a-f]{32} again, nothing was created\n$/,
    );
    expect(emu.state.events.sinks.size).toBe(0);
  });

  it('walks a Kinesis sink from initialized to active: refused subscription, test, wrong and right test_id', async () => {
    const { emu, run } = await setup();
    const created = await run(['sinks', 'create', ...KINESIS, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const sid = (created.json()[0] as Json).sink.sid as string;
    expect((created.json()[0] as Json).sink.status).toBe('initialized');

    const early = await run(['subscriptions', 'create', '--sink', sid, '--type', DELIVERED]);
    expect(early.code).toBe(3);
    expect(early.stderr).toContain(
      `sink ${sid} is initialized, not active, and Twilio only subscribes active sinks: send its test event (\`twhook sinks test ${sid}\`), read the test_id from the record it writes to your stream`,
    );

    const test = await run(['sinks', 'test', sid, '--json']);
    expect(test.json()[0]).toMatchObject({ sid, result: 'submitted', status: 'validating' });
    const validating = await run(['subscriptions', 'create', '--sink', sid, '--type', DELIVERED]);
    expect(validating.stderr).toContain('is validating, not active');

    const wrong = await run(['sinks', 'validate', sid, '--test-id', 'TE' + '0'.repeat(32)]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/refused test_id TE0+ for sink .*latest test event/);
    const testId = emu.state.events.deliveries.at(-1)!.events[0]!.data.test_id as string;
    const right = await run(['sinks', 'validate', sid, '--test-id', testId, '--json']);
    expect(right.json()[0]).toMatchObject({ sid, result: 'valid', status: 'active', previousStatus: 'validating' });
    expect((await run(['subscriptions', 'create', '--sink', sid, '--type', DELIVERED])).code).toBe(0);
  });

  it('names unknown event types with a suggestion, and a missing sink', async () => {
    const { run, webhook } = await setup();
    const sink = (await webhook()).sink;
    const typo = await run([
      'subscriptions',
      'create',
      '--sink',
      sink.sid,
      '--type',
      'com.twilio.messaging.message.delivred',
    ]);
    expect(typo.code).toBe(3);
    expect(typo.stderr).toContain(
      `unknown event type: com.twilio.messaging.message.delivred (did you mean ${DELIVERED}?)`,
    );
    const missing = await run(['subscriptions', 'create', '--sink', 'DG' + 'a'.repeat(32), '--type', DELIVERED]);
    expect(missing.stderr).toContain(`sink DG${'a'.repeat(32)} does not exist on this account`);
  });
});

describe('twhook sinks list, show, test, delete', () => {
  it('lists every page with subscription counts (TSV when piped, JSON with --json)', async () => {
    const { run, webhook } = await setup({ eventsMaxPageSize: 2 });
    const sinks: Json[] = [];
    for (let i = 0; i < 5; i++) sinks.push((await webhook(`https://example.com/${i}`)).sink);
    await run(['subscriptions', 'create', '--sink', sinks[3]!.sid, '--type', DELIVERED]);
    const tsv = await run(['sinks', 'list']);
    const rows = tsv.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((r) => r[0])).toEqual(sinks.map((s) => s.sid));
    expect(rows[3]!.slice(1, 5)).toEqual(['webhook', 'active', '1', 'POST https://example.com/3']);
    const json = (await run(['sinks', 'list', '--json'])).json()[0] as Json;
    expect(json.sinks).toHaveLength(5);
    expect(json.sinks[0]).toMatchObject({
      sid: sinks[0]!.sid,
      subscriptions: 0,
      destination: 'POST https://example.com/0',
    });
  });

  it('shows a sink with its subscriptions, and says when there is none', async () => {
    const { run, webhook } = await setup();
    const sink = (await webhook('https://example.com/x', '--subscribe', `${DELIVERED}@2`)).sink;
    const show = await run(['sinks', 'show', sink.sid]);
    expect(show.stdout).toContain('status       active');
    expect(show.stdout).toMatch(new RegExp(`DF[0-9a-f]{32}  ${DELIVERED}@2`));
    const missing = await run(['sinks', 'show', 'DG' + 'b'.repeat(32)]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`no sink DG${'b'.repeat(32)} on this account`);
    const bad = await run(['sinks', 'show', 'DF' + 'b'.repeat(32)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a sink SID');
  });

  it('refuses to delete a sink with subscriptions unless --with-subscriptions, then deletes both', async () => {
    const { emu, run, webhook } = await setup();
    const created = await webhook('https://example.com/x', '--subscribe', DELIVERED);
    const sid = created.sink.sid as string;
    const refused = await run(['sinks', 'delete', sid]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `sink ${sid} still has 1 subscription (${created.subscription.sid}), and Twilio deletes no sink in use: pass --with-subscriptions`,
    );
    expect(emu.state.events.sinks.has(sid)).toBe(true);
    const unasked = await run(['sinks', 'delete', sid, '--with-subscriptions', '--json']);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toBe(
      `error: pass --yes to delete the webhook sink ${sid} (POST https://example.com/x) without confirmation\n`,
    );
    expect(emu.state.events.sinks.has(sid)).toBe(true);
    const done = await run(['sinks', 'delete', sid, '--with-subscriptions', '--yes', '--json']);
    expect(done.json()[0]).toEqual({ deleted: { sinks: [sid], subscriptions: [created.subscription.sid] } });
    expect(emu.state.events.sinks.size + emu.state.events.subscriptions.size).toBe(0);
  });

  it('offers to delete the subscriptions too on a terminal', async () => {
    const { emu, run, webhook } = await setup();
    const sid = (await webhook('https://example.com/x', '--subscribe', DELIVERED)).sink.sid as string;
    const no = scriptedPrompter([false]);
    const cancelled = await run(['sinks', 'delete', sid], { tty: true, prompter: no });
    expect(cancelled.code).toBe(130);
    expect(no.asked[0]!.message).toMatch(/Delete the 1 subscription and the webhook sink/);
    expect(emu.state.events.sinks.has(sid)).toBe(true);
    const yes = scriptedPrompter([true]);
    expect((await run(['sinks', 'delete', sid], { tty: true, prompter: yes })).code).toBe(0);
    expect(emu.state.events.sinks.size + emu.state.events.subscriptions.size).toBe(0);
  });
});

describe('twhook subscriptions', () => {
  it('lists, shows, adds and removes types, refuses to remove the last one, and deletes', async () => {
    const { emu, run, webhook } = await setup();
    const a = (await webhook('https://example.com/a', '--subscribe', DELIVERED)).subscription;
    const b = (await webhook('https://example.com/b', '--subscribe', FAILED)).subscription;

    const all = (await run(['subscriptions', 'list', '--json'])).json()[0] as Json;
    expect(all.subscriptions.map((s: Json) => s.sid)).toEqual([a.sid, b.sid]);
    const ofB = (await run(['subscriptions', 'list', '--sink', b.sinkSid, '--json'])).json()[0] as Json;
    expect(ofB.subscriptions.map((s: Json) => s.sid)).toEqual([b.sid]);
    expect((await run(['subscriptions', 'list'])).stdout).toContain(`${a.sid}\t${a.sinkSid}\t${DELIVERED}@6\t`);

    const added = await run([
      'subscriptions',
      'add-types',
      a.sid,
      `${FAILED}@2`,
      'com.twilio.studio.flow.execution.ended',
      '--json',
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect((added.json()[0] as Json).subscription.types).toEqual([
      { type: DELIVERED, schemaVersion: 6 },
      { type: FAILED, schemaVersion: 2 },
      { type: 'com.twilio.studio.flow.execution.ended', schemaVersion: 1 },
    ]);
    const typo = await run(['subscriptions', 'add-types', a.sid, 'com.twilio.studio.flow.execution.endd']);
    expect(typo.stderr).toContain('did you mean com.twilio.studio.flow.execution.ended?');

    const removed = await run(['subscriptions', 'remove-types', a.sid, DELIVERED, FAILED, '--json']);
    expect((removed.json()[0] as Json).subscription.types.map((t: Json) => t.type)).toEqual([
      'com.twilio.studio.flow.execution.ended',
    ]);
    const notThere = await run(['subscriptions', 'remove-types', a.sid, DELIVERED]);
    expect(notThere.code).toBe(2);
    expect(notThere.stderr).toContain(`is not subscribed to ${DELIVERED}`);
    const last = await run(['subscriptions', 'remove-types', a.sid, 'com.twilio.studio.flow.execution.ended']);
    expect(last.code).toBe(2);
    expect(last.stderr).toContain('delete the subscription instead');

    const show = await run(['subscriptions', 'show', b.sid]);
    expect(show.stdout).toContain(`${FAILED} (schema v6)`);
    expect(show.stdout).toMatch(/^ {2}types\n {4}com\.twilio/m);
    expect(show.stdout).not.toMatch(/ +$/m);
    const unasked = await run(['subscriptions', 'delete', b.sid]);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toBe(`error: pass --yes to delete subscription ${b.sid} without confirmation\n`);
    expect(emu.state.events.subscriptions.has(b.sid)).toBe(true);
    expect((await run(['subscriptions', 'delete', b.sid, '--yes', '--json'])).json()[0]).toEqual({
      deleted: { subscriptions: [b.sid] },
    });
    expect(emu.state.events.subscriptions.has(b.sid)).toBe(false);
    expect((await run(['subscriptions', 'show', b.sid])).stderr).toContain(`no subscription ${b.sid}`);
  });

  it('asks for --sink and a --type before any call', async () => {
    const { emu, run } = await setup();
    expect((await run(['subscriptions', 'create', '--type', DELIVERED])).stderr).toMatch(/pass --sink DG…/);
    expect((await run(['subscriptions', 'create', '--sink', 'DG' + 'a'.repeat(32)])).stderr).toMatch(
      /at least one --type/,
    );
    expect(emu.requests).toEqual([]);
  });
});

describe('twhook event-types list', () => {
  it('reads every page, filters by words, and prints JSON', async () => {
    const { emu, run } = await setup({ eventsMaxPageSize: 5 });
    const all = (await run(['event-types', 'list', '--json'])).json()[0] as Json;
    expect(all.types.map((t: Json) => t.type)).toEqual(emu.state.events.types.map((t) => t.type));
    expect(emu.requests.filter((q) => q.path === '/v1/Types').length).toBeGreaterThan(3);
    const studio = await run(['event-types', 'list', '--filter', 'studio ended']);
    expect(
      studio.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
    ).toEqual(['com.twilio.studio.flow.execution.ended', 'com.twilio.studio.flow.step.ended']);
    const none = await run(['event-types', 'list', '--filter', 'nothing-like-this']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('no event type matches "nothing-like-this"');
  });
});

describe('interactive sinks create', () => {
  it('asks the sink type, destination and event types (search), then creates sink and subscription', async () => {
    const { emu, run } = await setup();
    const pick = (name: string) => (choices: Choice<string>[]) => choices.find((c) => c.name === name)!.value;
    const prompter = scriptedPrompter([
      'webhook',
      'https://example.com/twilio/events',
      pick(DELIVERED),
      pick(FAILED),
      (choices: Choice<string>[]) => choices.find((c) => c.name.startsWith('Done'))!.value,
      true,
    ]);
    const r = await run(['sinks', 'create'], { tty: true, prompter, env: { ...emu.env, NO_COLOR: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(prompter.asked.map((a) => a.kind)).toEqual(['select', 'input', 'search', 'search', 'search', 'confirm']);
    expect(prompter.asked[0]!.choices).toEqual(['webhook', 'kinesis', 'segment']);
    expect(prompter.asked[2]!.choices![0]).toBe('No subscription for now');
    expect(prompter.asked[3]!.choices).not.toContain(DELIVERED);
    expect(prompter.asked[4]!.choices![0]).toBe('Done (2 types)');
    expect(prompter.asked[5]!.message).toBe(
      'Create the webhook sink to https://example.com/twilio/events subscribed to 2 event types?',
    );
    const [sub] = emu.state.events.subscriptions.values();
    expect([...sub!.types.keys()]).toEqual([DELIVERED, FAILED]);
    expect(r.stdout).toContain('✓ subscription DF');
  });

  it('asks a Segment write key masked and never shows it', async () => {
    const { emu, run } = await setup();
    const prompter = scriptedPrompter(['segment', WRITE_KEY, (c: Choice<string>[]) => c[0]!.value, true]);
    const r = await run(['sinks', 'create'], { tty: true, prompter });
    expect(r.code, r.stderr).toBe(0);
    expect(prompter.asked.map((a) => a.kind)).toEqual(['select', 'password', 'search', 'confirm']);
    expect(r.stdout + r.stderr).not.toContain(WRITE_KEY);
    expect([...emu.state.events.sinks.values()][0]!.configuration.write_key).toBe(WRITE_KEY);
    expect(emu.state.events.subscriptions.size).toBe(0);
  });

  it('does not ask when not on a terminal or with --json', async () => {
    const { run } = await setup();
    const prompter = scriptedPrompter([]);
    expect((await run(['sinks', 'create'], { prompter })).code).toBe(2);
    expect((await run(['sinks', 'create', '--json'], { tty: true, prompter })).code).toBe(2);
    expect(prompter.asked).toEqual([]);
  });
});
