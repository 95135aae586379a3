import { describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../src/dev/events.js';
import type { CaptureRecord } from '../../src/capture/format.js';
import { analyze } from '../../src/inspector/analysis.js';
import { InspectorStore } from '../../src/inspector/store.js';
import { bodyFormParams, classify } from '../../src/webhooks/kinds.js';

const body =
  'ToCountry=US&SmsMessageSid=SM0123&NumMedia=0&SmsSid=SM0123&SmsStatus=received&Body=Hello+there' +
  '&To=%2B15017122661&MessageSid=SM0123&AccountSid=AC0123&From=%2B15551234567&ApiVersion=2010-04-01';
const twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hi</Message></Response>';

function exchange(): { event: RequestEvent; record: CaptureRecord } {
  const c = classify({
    method: 'POST',
    url: '/sms',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const event: RequestEvent = {
    type: 'request',
    id: 1,
    time: '2026-12-06T10:00:00.000Z',
    kind: c.kind,
    gist: c.gist,
    expectsTwiml: c.expectsTwiml,
    idempotencyToken: 'tok-1',
    warnings: [],
    request: {
      method: 'POST',
      path: '/sms',
      url: 'https://abc.example.test/sms',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body,
      bodyEncoding: 'utf8',
      bytes: body.length,
      truncated: false,
    },
    outcome: 'answered',
    status: 200,
    response: {
      status: 200,
      contentType: 'text/xml',
      headers: [['Content-Type', 'text/xml']],
      body: twiml,
      bodyEncoding: 'utf8',
      bytes: twiml.length,
      truncated: false,
    },
    verdict: { status: 'valid', reason: 'signature matches' },
    latencyMs: 1.4,
    twiml: { ok: true, problems: [] },
  };
  const record: CaptureRecord = {
    v: 1,
    id: 'req_1',
    receivedAt: event.time,
    method: 'POST',
    url: event.request.url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    response: { status: 200, headers: { 'content-type': 'text/xml' }, body: twiml, ms: 1.4 },
  };
  return { event, record };
}

describe('InspectorStore.addEvent', () => {
  it("with the session's inspection, keeps what it makes of the record itself (summary, channel, parameters)", () => {
    const { event, record } = exchange();
    const c = classify({ method: 'POST', url: '/sms', body });
    const inspection = { expectsTwiml: c.expectsTwiml, channel: 'messaging' as const, params: bodyFormParams(c) };

    const reused = new InspectorStore().addEvent(event, record, inspection);
    const described = new InspectorStore().addEvent(event, record);

    expect(reused.summary).toEqual(described.summary);
    expect(Object.keys(reused.summary)).toEqual(Object.keys(described.summary));
    expect(reused.summary.conversation).toEqual({
      key: 'pair:+15017122661|+15551234567',
      type: 'messages',
      label: 'Messages +15017122661 ↔ +15551234567',
    });
    expect(reused.channel).toBe('messaging');
    // The entry keeps no parsed form: the detail parses the body when asked, to the same rows.
    expect(reused.params).toBeUndefined();
    expect(analyze(reused).params).toEqual(analyze({ ...described, params: bodyFormParams(c) }).params);
    expect(analyze(reused).params).toContainEqual(expect.objectContaining({ name: 'Body', value: 'Hello there' }));
  });

  it('keeps a record with nothing to redact as it is, and redacts a copy of one with credentials', () => {
    const { event, record } = exchange();
    const store = new InspectorStore();
    expect(store.addEvent(event, record).record).toBe(record);

    const secret: CaptureRecord = {
      ...record,
      id: 'req_2',
      url: 'https://user:hunter22@abc.example.test/sms',
      headers: { ...record.headers, authorization: 'Basic dXNlcjpodW50ZXIyMg==' },
      response: { ...record.response!, headers: { 'set-cookie': 'session=abcdef' } },
    };
    const kept = store.addEvent({ ...event, id: 2 }, secret).record;
    expect(kept).not.toBe(secret);
    expect(JSON.stringify(kept)).not.toMatch(/hunter22|dXNlcjpodW50ZXIyMg|session=abcdef/);
    expect(secret.url).toContain('hunter22');
  });
});
