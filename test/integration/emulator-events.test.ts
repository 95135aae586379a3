import { validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { receiver } from '../support/receiver.js';

type Emu = Awaited<ReturnType<typeof useEmulator>>;

type Json = Record<string, any>;

const basic = (emu: Emu) => 'Basic ' + Buffer.from(`${emu.accountSid}:${emu.authToken}`).toString('base64');

async function call(emu: Emu, method: string, path: string, form?: [string, string][]) {
  const res = await fetch(path.startsWith('http') ? path : emu.url + path, {
    method,
    headers: { Authorization: basic(emu), ...(form ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

const webhook = (destination: string) => JSON.stringify({ destination, method: 'POST', batch_events: false });
const kinesis = JSON.stringify({
  arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/events',
  role_arn: 'arn:aws:iam::123456789012:role/twilio',
  external_id: 'ext-123',
});
const typeJson = (type: string, v?: number) => JSON.stringify(v === undefined ? { type } : { type, schema_version: v });

async function createSink(emu: Emu, type: string, configuration: string, description = 'a sink') {
  return call(emu, 'POST', '/v1/Sinks', [
    ['Description', description],
    ['SinkType', type],
    ['SinkConfiguration', configuration],
  ]);
}

describe('emulator Event Streams: sinks', () => {
  it('creates webhook sinks active and Kinesis sinks initialized, with 201 and Twilio links', async () => {
    const emu = await useEmulator();
    const hook = await createSink(emu, 'webhook', webhook('https://example.com/events'));
    expect(hook.status).toBe(201);
    expect(hook.body).toMatchObject({
      status: 'active',
      sink_type: 'webhook',
      description: 'a sink',
      sink_configuration: { destination: 'https://example.com/events', method: 'POST', batch_events: false },
    });
    expect(hook.body.sid).toMatch(/^DG[0-9a-f]{32}$/);
    expect(hook.body.links.sink_test).toBe(`${emu.url}/v1/Sinks/${hook.body.sid}/Test`);
    expect(hook.body.date_created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const stream = await createSink(emu, 'kinesis', kinesis);
    expect(stream.body.status).toBe('initialized');
    expect((await call(emu, 'GET', `/v1/Sinks/${stream.body.sid}`)).body.sink_configuration).toEqual(
      JSON.parse(kinesis),
    );
  });

  it('refuses bad requests with Twilio error JSON', async () => {
    const emu = await useEmulator();
    const noType = await call(emu, 'POST', '/v1/Sinks', [
      ['Description', 'x'],
      ['SinkConfiguration', '{}'],
    ]);
    expect(noType.status).toBe(400);
    expect(noType.body).toMatchObject({
      code: 20001,
      status: 400,
      more_info: 'https://www.twilio.com/docs/errors/20001',
    });
    expect((await createSink(emu, 'kinesis', '{"arn":"x"}')).body.message).toContain('role_arn');
    expect((await createSink(emu, 'webhook', 'not json')).status).toBe(400);
    const missing = await call(emu, 'GET', `/v1/Sinks/DG${'0'.repeat(32)}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe(20404);
  });

  it('pages the sink list with meta.next_page_url and filters by InUse', async () => {
    const emu = await useEmulator({ eventsMaxPageSize: 2 });
    const sids: string[] = [];
    for (let i = 0; i < 5; i++)
      sids.push((await createSink(emu, 'webhook', webhook(`https://example.com/${i}`))).body.sid);
    const seen: string[] = [];
    let url: string | null = '/v1/Sinks?PageSize=50';
    for (let i = 0; url && i < 10; i++) {
      const page = await call(emu, 'GET', url);
      expect(page.body.meta.key).toBe('sinks');
      expect(page.body.meta.page_size).toBe(2);
      seen.push(...page.body.sinks.map((s: Json) => s.sid));
      url = page.body.meta.next_page_url;
    }
    expect(seen).toEqual(sids);

    await call(emu, 'POST', '/v1/Subscriptions', [
      ['Description', 'd'],
      ['SinkSid', sids[1]!],
      ['Types', typeJson('com.twilio.messaging.message.sent')],
    ]);
    const inUse = await call(emu, 'GET', '/v1/Sinks?InUse=true');
    expect(inUse.body.sinks.map((s: Json) => s.sid)).toEqual([sids[1]]);
  });

  it('stops at the sink limit with a 400', async () => {
    const emu = await useEmulator({ eventLimits: { sinks: 2 } });
    await createSink(emu, 'webhook', webhook('https://example.com/a'));
    await createSink(emu, 'webhook', webhook('https://example.com/b'));
    const third = await createSink(emu, 'webhook', webhook('https://example.com/c'));
    expect(third.status).toBe(400);
    expect(third.body.message).toMatch(/Maximum number of Sinks/);
    expect(emu.state.events.sinks.size).toBe(2);
  });

  it('Test sends a signed CloudEvents array to a 127.0.0.1 webhook; Validate needs its test_id', async () => {
    const emu = await useEmulator();
    const rx = await receiver();
    const sink = (await createSink(emu, 'webhook', webhook(`${rx.url}/events?app=1`))).body;
    const test = await call(emu, 'POST', `/v1/Sinks/${sink.sid}/Test`);
    expect(test).toEqual({ status: 201, body: { result: 'submitted' } });
    expect(rx.received).toHaveLength(1);
    const { req, body } = rx.received[0]!;
    const events = JSON.parse(body) as Json[];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      specversion: '1.0',
      type: 'com.twilio.eventstreams.test-event',
      data: { sink_sid: sink.sid },
    });
    const url = `${rx.url}${req.url}`;
    expect(url).toMatch(/\/events\?app=1&bodySHA256=[0-9a-f]{64}$/);
    expect(validateRequestWithBody(emu.authToken, String(req.headers['x-twilio-signature']), url, body)).toBe(true);
    expect(validateRequestWithBody(emu.authToken, String(req.headers['x-twilio-signature']), url, body + ' ')).toBe(
      false,
    );
    // An active webhook sink stays active through a test.
    expect((await call(emu, 'GET', `/v1/Sinks/${sink.sid}`)).body.status).toBe('active');

    const wrong = await call(emu, 'POST', `/v1/Sinks/${sink.sid}/Validate`, [['TestId', 'TE' + '0'.repeat(32)]]);
    expect(wrong.status).toBe(400);
    const right = await call(emu, 'POST', `/v1/Sinks/${sink.sid}/Validate`, [['TestId', events[0]!.data.test_id]]);
    expect(right).toEqual({ status: 201, body: { result: 'valid' } });
  });

  it('never contacts a destination that is not on 127.0.0.1', async () => {
    const emu = await useEmulator();
    const sink = (await createSink(emu, 'webhook', webhook('https://localhost.example.com/events'))).body;
    await call(emu, 'POST', `/v1/Sinks/${sink.sid}/Test`);
    const local = (await createSink(emu, 'webhook', webhook('http://localhost:9/events'))).body;
    await call(emu, 'POST', `/v1/Sinks/${local.sid}/Test`);
    expect(emu.state.events.deliveries.map((d) => d.skipped)).toEqual([
      'destination is not on 127.0.0.1',
      'destination is not on 127.0.0.1',
    ]);
    expect(emu.state.events.deliveries.every((d) => d.status === undefined && d.error === undefined)).toBe(true);
  });

  it('moves a Kinesis sink from initialized to validating to active, and refuses a subscription before', async () => {
    const emu = await useEmulator();
    const sink = (await createSink(emu, 'kinesis', kinesis)).body;
    const early = await call(emu, 'POST', '/v1/Subscriptions', [
      ['Description', 'd'],
      ['SinkSid', sink.sid],
      ['Types', typeJson('com.twilio.messaging.message.sent')],
    ]);
    expect(early.status).toBe(400);
    expect(early.body.message).toMatch(/not active \(status: initialized\)/);
    await call(emu, 'POST', `/v1/Sinks/${sink.sid}/Test`);
    expect((await call(emu, 'GET', `/v1/Sinks/${sink.sid}`)).body.status).toBe('validating');
    expect(emu.state.events.deliveries[0]!.skipped).toMatch(/kinesis/);
    const testId = emu.state.events.deliveries[0]!.events[0]!.data.test_id as string;
    await call(emu, 'POST', `/v1/Sinks/${sink.sid}/Validate`, [['TestId', testId]]);
    expect((await call(emu, 'GET', `/v1/Sinks/${sink.sid}`)).body.status).toBe('active');
    const ok = await call(emu, 'POST', '/v1/Subscriptions', [
      ['Description', 'd'],
      ['SinkSid', sink.sid],
      ['Types', typeJson('com.twilio.messaging.message.sent')],
    ]);
    expect(ok.status).toBe(201);
  });
});

describe('emulator Event Streams: subscriptions', () => {
  it('creates from repeated Types keys, lists its SubscribedEvents, adds, updates and removes types', async () => {
    const emu = await useEmulator();
    const sink = (await createSink(emu, 'webhook', webhook('https://example.com/e'))).body;
    const created = await call(emu, 'POST', '/v1/Subscriptions', [
      ['Description', 'mine'],
      ['SinkSid', sink.sid],
      ['Types', typeJson('com.twilio.messaging.message.delivered', 3)],
      ['Types', typeJson('com.twilio.messaging.message.failed')],
    ]);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ account_sid: emu.accountSid, sink_sid: sink.sid, description: 'mine' });
    const sid = created.body.sid as string;
    const base = `/v1/Subscriptions/${sid}/SubscribedEvents`;
    const list = await call(emu, 'GET', base);
    expect(list.body.types.map((t: Json) => [t.type, t.schema_version])).toEqual([
      ['com.twilio.messaging.message.delivered', 3],
      ['com.twilio.messaging.message.failed', 6],
    ]);
    expect(list.body.meta.key).toBe('types');

    const added = await call(emu, 'POST', base, [['Type', 'com.twilio.studio.flow.execution.ended']]);
    expect(added.status).toBe(201);
    const again = await call(emu, 'POST', base, [
      ['Type', 'com.twilio.studio.flow.execution.ended'],
      ['SchemaVersion', '1'],
    ]);
    expect(again.status).toBe(200);
    const updated = await call(emu, 'POST', `${base}/com.twilio.messaging.message.delivered`, [['SchemaVersion', '2']]);
    expect(updated.body.schema_version).toBe(2);
    expect((await call(emu, 'DELETE', `${base}/com.twilio.messaging.message.failed`)).status).toBe(204);
    expect((await call(emu, 'DELETE', `${base}/com.twilio.messaging.message.failed`)).status).toBe(404);
    expect((await call(emu, 'DELETE', `${base}/com.twilio.messaging.message.delivered`)).status).toBe(204);
    const last = await call(emu, 'DELETE', `${base}/com.twilio.studio.flow.execution.ended`);
    expect(last.status).toBe(400);
    expect(last.body.message).toMatch(/at least one event type/);
  });

  it('refuses unknown types, missing schema versions, a missing sink and the subscription limit', async () => {
    const emu = await useEmulator({ eventLimits: { subscriptions: 1 } });
    const sink = (await createSink(emu, 'webhook', webhook('https://example.com/e'))).body;
    const create = (...types: string[]) =>
      call(emu, 'POST', '/v1/Subscriptions', [
        ['Description', 'd'],
        ['SinkSid', sink.sid],
        ...types.map((t): [string, string] => ['Types', t]),
      ]);
    expect((await create(typeJson('com.twilio.messaging.message.delivred'))).body.message).toMatch(/does not exist/);
    expect((await create(typeJson('com.twilio.messaging.message.sent', 99))).body.message).toMatch(/versions 1 to 6/);
    expect((await create()).body.message).toMatch(/Types/);
    const noSink = await call(emu, 'POST', '/v1/Subscriptions', [
      ['Description', 'd'],
      ['SinkSid', 'DG' + 'f'.repeat(32)],
      ['Types', typeJson('com.twilio.messaging.message.sent')],
    ]);
    expect(noSink.status).toBe(400);
    expect((await create(typeJson('com.twilio.messaging.message.sent'))).status).toBe(201);
    const over = await create(typeJson('com.twilio.messaging.message.sent'));
    expect(over.status).toBe(400);
    expect(over.body.message).toMatch(/Maximum number of Subscriptions/);
  });

  it('filters by SinkSid, refuses to delete a sink in use, and delivers published events to subscribed sinks only', async () => {
    const emu = await useEmulator();
    const rx = await receiver();
    const a = (await createSink(emu, 'webhook', webhook(`${rx.url}/a`))).body;
    const b = (await createSink(emu, 'webhook', webhook(`${rx.url}/b`))).body;
    const sub = (
      await call(emu, 'POST', '/v1/Subscriptions', [
        ['Description', 'd'],
        ['SinkSid', a.sid],
        ['Types', typeJson('com.twilio.messaging.message.delivered', 2)],
      ])
    ).body;
    await call(emu, 'POST', '/v1/Subscriptions', [
      ['Description', 'd'],
      ['SinkSid', b.sid],
      ['Types', typeJson('com.twilio.messaging.message.failed')],
    ]);
    const ofA = await call(emu, 'GET', `/v1/Subscriptions?SinkSid=${a.sid}`);
    expect(ofA.body.subscriptions.map((s: Json) => s.sid)).toEqual([sub.sid]);

    const deliveries = await emu.state.events.publish('com.twilio.messaging.message.delivered', { messageSid: 'SM1' });
    expect(deliveries).toHaveLength(1);
    expect(rx.received.map((r) => r.req.url!.split('?')[0])).toEqual(['/a']);
    expect(JSON.parse(rx.received[0]!.body)[0]).toMatchObject({
      type: 'com.twilio.messaging.message.delivered',
      dataschema: 'https://events-schemas.twilio.com/Messaging.MessageStatus/2',
      data: { messageSid: 'SM1' },
    });

    const refused = await call(emu, 'DELETE', `/v1/Sinks/${a.sid}`);
    expect(refused.status).toBe(400);
    expect((await call(emu, 'DELETE', `/v1/Subscriptions/${sub.sid}`)).status).toBe(204);
    expect((await call(emu, 'DELETE', `/v1/Sinks/${a.sid}`)).status).toBe(204);
  });
});

describe('emulator Event Streams: types', () => {
  it('serves the catalogue over several pages and fetches one type', async () => {
    const emu = await useEmulator({ eventsMaxPageSize: 10 });
    const types: string[] = [];
    let url: string | null = '/v1/Types?PageSize=1000';
    let pages = 0;
    for (; url && pages < 20; pages++) {
      const page = await call(emu, 'GET', url);
      types.push(...page.body.types.map((t: Json) => t.type));
      url = page.body.meta.next_page_url;
    }
    expect(pages).toBeGreaterThan(2);
    expect(types).toEqual(emu.state.events.types.map((t) => t.type));
    const one = await call(emu, 'GET', '/v1/Types/com.twilio.messaging.message.delivered');
    expect(one.body).toMatchObject({ schema_id: 'Messaging.MessageStatus', status: 'available' });
    const bySchema = await call(emu, 'GET', '/v1/Types?SchemaId=Studio.FlowStep');
    expect(bySchema.body.types.map((t: Json) => t.type)).toEqual(['com.twilio.studio.flow.step.ended']);
  });
});
