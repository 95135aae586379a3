import { describe, expect, it } from 'vitest';
import { encodeForm } from '../../src/webhooks/form.js';
import { classify } from '../../src/webhooks/kinds.js';

const URL = 'https://abc123.ngrok.app/hook';
const form = (pairs: Array<[string, string]>) => ({
  method: 'POST',
  url: URL,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: encodeForm(pairs),
});
const SM = 'SM0123456789abcdef0123456789abcd9f2c';
const CA = 'CA0123456789abcdef0123456789abcd1234';

describe('classify', () => {
  it('inbound SMS', () => {
    const c = classify(
      form([
        ['MessageSid', SM],
        ['SmsStatus', 'received'],
        ['Body', 'Hello   there'],
        ['From', '+15551234567'],
        ['To', '+15017122661'],
        ['NumMedia', '0'],
      ]),
    );
    expect(c).toMatchObject({ kind: 'inbound-sms', expectsTwiml: true, gist: '+1555… → +1501…: Hello there' });
    expect(c.params.Body).toBe('Hello   there');
  });

  it('inbound MMS', () => {
    const c = classify(
      form([
        ['MessageSid', SM],
        ['Body', ''],
        ['NumMedia', '2'],
        ['From', '+15551234567'],
        ['To', '+15017122661'],
        ['MediaUrl0', 'https://x'],
        ['MediaUrl1', 'https://y'],
      ]),
    );
    expect(c).toMatchObject({ kind: 'inbound-mms', expectsTwiml: true, gist: '+1555… → +1501… [2 media]' });
  });

  it('message status callbacks', () => {
    expect(
      classify(
        form([
          ['MessageSid', SM],
          ['MessageStatus', 'delivered'],
          ['SmsStatus', 'delivered'],
        ]),
      ),
    ).toMatchObject({ kind: 'message-status', expectsTwiml: false, gist: 'SM…9f2c delivered' });
    expect(
      classify(
        form([
          ['SmsSid', SM],
          ['SmsStatus', 'undelivered'],
          ['ErrorCode', '30003'],
        ]),
      ).gist,
    ).toBe('SM…9f2c undelivered (30003)');
  });

  it('inbound calls, call status, gather', () => {
    expect(
      classify(
        form([
          ['CallSid', CA],
          ['CallStatus', 'ringing'],
          ['From', '+15551234567'],
          ['To', '+15017122661'],
          ['Direction', 'inbound'],
        ]),
      ),
    ).toMatchObject({ kind: 'inbound-call', expectsTwiml: true });
    expect(
      classify(
        form([
          ['CallSid', CA],
          ['CallStatus', 'completed'],
          ['CallDuration', '42'],
        ]),
      ),
    ).toMatchObject({ kind: 'call-status', expectsTwiml: false, gist: 'CA…1234 completed (42s)' });
    expect(
      classify(
        form([
          ['CallSid', CA],
          ['CallStatus', 'in-progress'],
          ['Digits', '1234'],
        ]),
      ),
    ).toMatchObject({ kind: 'gather', expectsTwiml: true, gist: 'CA…1234 digits 1234' });
    expect(
      classify(
        form([
          ['CallSid', CA],
          ['CallStatus', 'in-progress'],
          ['SpeechResult', 'talk to sales'],
          ['Confidence', '0.9'],
        ]),
      ).gist,
    ).toBe('CA…1234 speech "talk to sales"');
  });

  it('recording status (before the call fields it also carries)', () => {
    expect(
      classify(
        form([
          ['CallSid', CA],
          ['RecordingSid', 'RE0123456789abcdef0123456789abcdef'],
          ['RecordingStatus', 'completed'],
          ['RecordingDuration', '12'],
        ]),
      ),
    ).toMatchObject({
      kind: 'recording-status',
      gist: 'RE…cdef completed (12s)',
    });
  });

  it('debugger events', () => {
    const payload = JSON.stringify({ error_code: '11200', more_info: { Msg: 'HTTP retrieval failure' } });
    expect(
      classify(
        form([
          ['Sid', 'NO1'],
          ['Level', 'ERROR'],
          ['Payload', payload],
          ['PayloadType', 'application/json'],
        ]),
      ),
    ).toMatchObject({
      kind: 'debugger',
      expectsTwiml: false,
      gist: 'ERROR 11200: HTTP retrieval failure',
    });
  });

  it('Event Streams batches of CloudEvents', () => {
    const events = [1, 2, 3].map((i) => ({
      specversion: '1.0',
      type: 'com.twilio.messaging.message.delivered',
      id: `EZ${i}`,
      data: {},
    }));
    const c = classify({
      method: 'POST',
      url: `${URL}?bodySHA256=abc`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    expect(c).toMatchObject({
      kind: 'event-streams',
      expectsTwiml: false,
      gist: 'Event Streams batch of 3: com.twilio.messaging.message.delivered ×3',
    });
    expect(Object.keys(c.params)).toEqual([]);
  });

  it('GET requests read the query string, and sign no body parameters', () => {
    const c = classify({
      method: 'GET',
      url: `${URL}?MessageSid=${SM}&Body=Hi&From=%2B15551234567&To=%2B15017122661`,
      body: '',
    });
    expect(c.kind).toBe('inbound-sms');
    expect(Object.keys(c.params)).toEqual([]);
  });

  it('anything else is unknown', () => {
    expect(classify(form([['foo', 'bar']]))).toMatchObject({
      kind: 'unknown',
      expectsTwiml: false,
      gist: '1 parameter: foo',
    });
    expect(classify({ url: URL, body: '[{"type":"other"}]' }).kind).toBe('unknown');
    expect(classify({ url: URL, body: '{not json' }).kind).toBe('unknown');
  });
});
