import { validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { buildEvent, buildTrigger, requireFixture, signSynthetic } from '../../src/trigger/build.js';
import { eventNames, listFixtures } from '../../src/trigger/fixtures.js';
import { formatTime, render, SidSource, seededRandom, type RenderContext } from '../../src/trigger/template.js';
import { classify } from '../../src/webhooks/kinds.js';
import { parseForm } from '../../src/webhooks/form.js';

const TOKEN = '12345678901234567890123456789012';
const NOW = new Date('2026-11-27T10:00:00.000Z');
const SID = (prefix: string) => new RegExp(`^${prefix}[0-9a-f]{32}$`);
const E164 = /^\+[1-9]\d{6,14}$/;

/** Each event: the SID fields and their prefixes, and the kind `classify` must see. */
const EXPECTED: Record<string, { sids: Record<string, string>; numbers: string[]; kind: string; steps?: string[] }> = {
  sms: {
    sids: { MessageSid: 'SM', SmsSid: 'SM', SmsMessageSid: 'SM', AccountSid: 'AC' },
    numbers: ['From', 'To'],
    kind: 'inbound-sms',
  },
  mms: { sids: { MessageSid: 'MM', SmsSid: 'MM', AccountSid: 'AC' }, numbers: ['From', 'To'], kind: 'inbound-mms' },
  call: {
    sids: { CallSid: 'CA', AccountSid: 'AC' },
    numbers: ['From', 'To', 'Caller', 'Called'],
    kind: 'inbound-call',
  },
  gather: { sids: { CallSid: 'CA', AccountSid: 'AC' }, numbers: ['From', 'To'], kind: 'gather' },
  recording: { sids: { RecordingSid: 'RE', CallSid: 'CA', AccountSid: 'AC' }, numbers: [], kind: 'recording-status' },
  'message-status': {
    sids: { MessageSid: 'SM', SmsSid: 'SM', MessagingServiceSid: 'MG', AccountSid: 'AC' },
    numbers: ['To'],
    kind: 'message-status',
    steps: ['accepted', 'queued', 'sent', 'delivered'],
  },
  'call-status': {
    sids: { CallSid: 'CA', AccountSid: 'AC' },
    numbers: ['From', 'To'],
    kind: 'call-status',
    steps: ['initiated', 'ringing', 'answered', 'completed'],
  },
  debugger: { sids: { Sid: 'NO', AccountSid: 'AC' }, numbers: [], kind: 'debugger' },
  'event-streams': { sids: {}, numbers: [], kind: 'event-streams' },
};

describe('fixtures', () => {
  it('are listed by reading the folder, one file per event', () => {
    expect(eventNames()).toEqual(Object.keys(EXPECTED).sort());
    for (const fixture of listFixtures()) expect(fixture.summary.length).toBeGreaterThan(10);
  });

  it('an unknown event names the known ones', () => {
    expect(() => requireFixture('fax')).toThrow(UsageError);
    expect(() => requireFixture('fax')).toThrow(/choose one of call, call-status, debugger/);
    expect(() => requireFixture('../package')).toThrow(UsageError);
  });
});

describe('every event', () => {
  for (const [event, expected] of Object.entries(EXPECTED)) {
    it(`${event}: documented fields, right SID prefixes, E.164 numbers, signature valid for the target URL`, () => {
      const to = `https://example.ngrok.app/hooks/${event}?tenant=7`;
      const built = buildTrigger({ event, to, authToken: TOKEN, now: NOW });
      if (expected.steps) expect(built.requests.map((r) => r.step)).toEqual(expected.steps);
      else expect(built.requests).toHaveLength(1);
      for (const { request, outgoing } of built.signed) {
        const signature = outgoing.headers['X-Twilio-Signature'] as string;
        expect(signature).toMatch(/^[A-Za-z0-9+/]{27}=$/);
        expect(outgoing.headers['I-Twilio-Idempotency-Token']).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        if (request.contentType === 'json') {
          expect(outgoing.url).toMatch(
            /^https:\/\/example\.ngrok\.app\/hooks\/event-streams\?tenant=7&bodySHA256=[0-9a-f]{64}$/,
          );
          expect(validateRequestWithBody(TOKEN, signature, outgoing.url, outgoing.body as string)).toBe(true);
          expect(validateRequestWithBody(TOKEN, signature, outgoing.url, `${outgoing.body as string} `)).toBe(false);
          const events = JSON.parse(outgoing.body as string) as Array<
            Record<string, unknown> & { data: Record<string, unknown> }
          >;
          expect(events.length).toBeGreaterThan(1);
          for (const e of events) {
            expect(e.specversion).toBe('1.0');
            expect(e.type).toMatch(/^com\.twilio\./);
            expect(e.data.accountSid).toMatch(SID('AC'));
            expect(e.data.messageSid).toMatch(SID('SM'));
            expect(e.data.from).toMatch(E164);
          }
        } else {
          const params = parseForm(outgoing.body as string) as Record<string, string>;
          expect(params).toEqual(request.params);
          expect(outgoing.url).toBe(to);
          expect(validateRequest(TOKEN, signature, to, params)).toBe(true);
          // The signature covers the URL: another URL does not validate.
          expect(validateRequest(TOKEN, signature, to.replace('https:', 'http:'), params)).toBe(false);
          for (const [field, prefix] of Object.entries(expected.sids))
            expect(params[field], field).toMatch(SID(prefix));
          for (const field of expected.numbers) expect(params[field], field).toMatch(E164);
          if (event !== 'debugger') expect(params.ApiVersion ?? '2010-04-01').toBe('2010-04-01');
          expect(params.AccountSid).toBe(built.accountSid);
        }
        const kind = classify({
          method: outgoing.method,
          url: outgoing.url,
          headers: lower(outgoing.headers),
          body: outgoing.body as string,
        }).kind;
        expect(kind).toBe(expected.kind);
      }
    });
  }
});

function lower(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

describe('event details', () => {
  it('sms: MessageSid, SmsSid and SmsMessageSid are one SID; the flags set From, To and Body', () => {
    const [sms] = buildEvent(requireFixture('sms'), {
      now: NOW,
      vars: { from: '+447700900123', to: '+15005550006', body: 'Hi & bye' },
    }).requests;
    expect(sms!.params!.MessageSid).toBe(sms!.params!.SmsSid);
    expect(sms!.params!.SmsMessageSid).toBe(sms!.params!.SmsSid);
    expect(sms!.params).toMatchObject({
      From: '+447700900123',
      To: '+15005550006',
      Body: 'Hi & bye',
      NumMedia: '0',
      SmsStatus: 'received',
    });
    expect(sms!.body).toContain('Body=Hi+%26+bye');
    expect(sms!.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
  });

  it('mms: NumMedia and as many MediaUrlN / MediaContentTypeN, URLs on the message with ME SIDs', () => {
    const [mms] = buildEvent(requireFixture('mms'), { now: NOW, vars: { media: '3' } }).requests;
    const p = mms!.params!;
    expect(p.NumMedia).toBe('3');
    for (let i = 0; i < 3; i++) {
      expect(p[`MediaUrl${i}`]).toMatch(
        new RegExp(
          `^https://api\\.twilio\\.com/2010-04-01/Accounts/${p.AccountSid}/Messages/${p.MessageSid}/Media/ME[0-9a-f]{32}$`,
        ),
      );
      expect(p[`MediaContentType${i}`]).toMatch(/^(image|video|audio)\//);
    }
    expect(p.MediaUrl3).toBeUndefined();
    expect(new Set([p.MediaUrl0, p.MediaUrl1, p.MediaUrl2]).size).toBe(3);
  });

  it('gather: Digits by default, SpeechResult and Confidence with --speech', () => {
    const fixture = requireFixture('gather');
    const [digits] = buildEvent(fixture, { now: NOW, vars: { digits: '42#' } }).requests;
    expect(digits!.params).toMatchObject({ Digits: '42#', CallStatus: 'in-progress' });
    expect(digits!.params!.SpeechResult).toBeUndefined();
    const [speech] = buildEvent(fixture, { now: NOW, vars: { speech: 'sales please' } }).requests;
    expect(speech!.params).toMatchObject({ SpeechResult: 'sales please' });
    expect(Number(speech!.params!.Confidence)).toBeGreaterThan(0);
    expect(speech!.params!.Digits).toBeUndefined();
    expect(() => buildEvent(fixture, { now: NOW, vars: { speech: 'x', digits: '1' } })).toThrow(
      /--digits and --speech exclude each other|--speech and --digits/,
    );
  });

  it('message-status: the sequence ends as asked, with ErrorCode and ErrorMessage when it fails', () => {
    const fixture = requireFixture('message-status');
    const delivered = buildEvent(fixture, { now: NOW }).requests;
    expect(delivered.map((r) => r.params!.MessageStatus)).toEqual(['accepted', 'queued', 'sent', 'delivered']);
    expect(delivered.every((r) => r.params!.SmsStatus === r.params!.MessageStatus)).toBe(true);
    expect(new Set(delivered.map((r) => r.params!.MessageSid)).size).toBe(1);
    expect(delivered[3]!.params!.RawDlrDoneDate).toBe('2611271000');
    expect(delivered[3]!.params!.ErrorCode).toBeUndefined();

    const undelivered = buildEvent(fixture, { now: NOW, vars: { finalStatus: 'undelivered' } }).requests;
    expect(undelivered.map((r) => r.step)).toEqual(['accepted', 'queued', 'sent', 'undelivered']);
    expect(undelivered[3]!.params).toMatchObject({
      MessageStatus: 'undelivered',
      ErrorCode: '30003',
      ErrorMessage: 'Unreachable destination handset',
    });

    const failed = buildEvent(fixture, { now: NOW, vars: { finalStatus: 'failed', errorCode: '30007' } }).requests;
    expect(failed.map((r) => r.step)).toEqual(['accepted', 'queued', 'failed']);
    expect(failed[2]!.params).toMatchObject({
      MessageStatus: 'failed',
      ErrorCode: '30007',
      ErrorMessage: 'Message filtered',
    });
    expect(() => buildEvent(fixture, { now: NOW, vars: { finalStatus: 'read' } })).toThrow(
      /choose one of delivered, undelivered, failed/,
    );
  });

  it('call-status: initiated, ringing, answered, completed with CallDuration and Duration in minutes', () => {
    const steps = buildEvent(requireFixture('call-status'), { now: NOW, vars: { duration: '61' } }).requests;
    expect(steps.map((r) => r.params!.CallStatus)).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    expect(steps.map((r) => r.params!.SequenceNumber)).toEqual(['0', '1', '2', '3']);
    expect(steps[3]!.params).toMatchObject({
      CallDuration: '61',
      Duration: '2',
      CallbackSource: 'call-progress-events',
    });
    expect(steps[0]!.params!.CallDuration).toBeUndefined();
    expect(steps[0]!.params!.Timestamp).toBe('Fri, 27 Nov 2026 10:00:00 +0000');
    expect(steps[1]!.params!.Timestamp).toBe('Fri, 27 Nov 2026 10:00:01 +0000');
  });

  it('debugger: Level, an ISO Timestamp and a Payload that is JSON', () => {
    const [event] = buildEvent(requireFixture('debugger'), {
      now: NOW,
      vars: { level: 'WARNING', errorCode: '12200' },
    }).requests;
    const p = event!.params!;
    expect(p).toMatchObject({
      Level: 'WARNING',
      Timestamp: '2026-11-27T10:00:00.000Z',
      PayloadType: 'application/json',
    });
    const payload = JSON.parse(p.Payload!) as {
      error_code: string;
      resource_sid: string;
      service_sid: null;
      more_info: Record<string, string>;
    };
    expect(payload.error_code).toBe('12200');
    expect(payload.resource_sid).toMatch(SID('SM'));
    expect(payload.service_sid).toBeNull();
    expect(payload.more_info.LogLevel).toBe('WARNING');
  });

  it('--param overrides or adds a field; for JSON it sets data.K or a dotted path', () => {
    const [sms] = buildEvent(requireFixture('sms'), {
      now: NOW,
      params: [
        ['Body', 'changed'],
        ['OptOutType', 'STOP'],
      ],
    }).requests;
    expect(sms!.params).toMatchObject({ Body: 'changed', OptOutType: 'STOP' });
    const [batch] = buildEvent(requireFixture('event-streams'), {
      now: NOW,
      params: [
        ['messageStatus', 'FAILED'],
        ['errorCode', '30003'],
        ['type', 'x'],
        ['data.numberOfSegments', '2'],
      ],
    }).requests;
    const events = batch!.json as Array<{ data: Record<string, unknown> }>;
    for (const e of events)
      expect(e.data).toMatchObject({ messageStatus: 'FAILED', errorCode: 30003, type: 'x', numberOfSegments: 2 });
  });

  it('a seed gives the same SIDs every run; without one they differ', () => {
    const a = buildEvent(requireFixture('call'), { now: NOW, seed: 7 }).requests[0]!.params!;
    const b = buildEvent(requireFixture('call'), { now: NOW, seed: 7 }).requests[0]!.params!;
    const c = buildEvent(requireFixture('call'), { now: NOW }).requests[0]!.params!;
    const d = buildEvent(requireFixture('call'), { now: NOW }).requests[0]!.params!;
    expect(a.CallSid).toBe(b.CallSid);
    expect(c.CallSid).not.toBe(d.CallSid);
  });

  it('the AccountSid comes from the credentials when given', () => {
    const account = 'AC' + 'ab'.repeat(16);
    const built = buildEvent(requireFixture('recording'), { now: NOW, accountSid: account });
    expect(built.requests[0]!.params!.AccountSid).toBe(account);
    expect(built.requests[0]!.params!.RecordingUrl).toContain(`/Accounts/${account}/Recordings/RE`);
  });

  it('reports flags that have no effect on the chosen sequence', () => {
    const built = buildEvent(requireFixture('message-status'), { now: NOW, vars: { errorCode: '30003' } });
    expect(built.unusedVars).toEqual(['errorCode']);
    expect(
      buildEvent(requireFixture('message-status'), { now: NOW, vars: { errorCode: '30003', finalStatus: 'failed' } })
        .unusedVars,
    ).toEqual([]);
  });
});

describe('signing', () => {
  const [sms] = buildEvent(requireFixture('sms'), { now: NOW, seed: 1 }).requests;

  it('--sign-for signs for the public URL while the request goes to the local one', () => {
    const out = signSynthetic(sms!, {
      to: 'http://127.0.0.1:3000/sms',
      signFor: 'https://abc.ngrok.app/sms',
      authToken: TOKEN,
    });
    expect(out.url).toBe('http://127.0.0.1:3000/sms');
    expect(out.signedFor).toBe('https://abc.ngrok.app/sms');
    const params = parseForm(out.body as string);
    expect(
      validateRequest(TOKEN, out.headers['X-Twilio-Signature'] as string, 'https://abc.ngrok.app/sms', params),
    ).toBe(true);
    expect(
      validateRequest(TOKEN, out.headers['X-Twilio-Signature'] as string, 'http://127.0.0.1:3000/sms', params),
    ).toBe(false);
  });

  it('GET puts the fields in the query string and signs the URL alone', () => {
    const [get] = buildEvent(requireFixture('sms'), { now: NOW, seed: 1, method: 'GET' }).requests;
    const out = signSynthetic(get!, { to: 'http://127.0.0.1:3000/sms?x=1', authToken: TOKEN });
    expect(out.body).toBeUndefined();
    expect(out.headers['Content-Type']).toBeUndefined();
    expect(out.url.startsWith('http://127.0.0.1:3000/sms?x=1&ToCountry=US&')).toBe(true);
    expect(validateRequest(TOKEN, out.headers['X-Twilio-Signature'] as string, out.url, {})).toBe(true);
    expect(() => buildEvent(requireFixture('event-streams'), { now: NOW, method: 'GET' })).toThrow(/always a POST/);
  });

  it('unsigned: no signature header, but JSON still carries bodySHA256', () => {
    expect(signSynthetic(sms!, { to: 'http://127.0.0.1/sms' }).headers['X-Twilio-Signature']).toBeUndefined();
    const [batch] = buildEvent(requireFixture('event-streams'), { now: NOW }).requests;
    const out = signSynthetic(batch!, { to: 'http://127.0.0.1/events' });
    expect(out.headers['X-Twilio-Signature']).toBeUndefined();
    expect(out.url).toMatch(/\?bodySHA256=[0-9a-f]{64}$/);
  });

  it('JSON with --sign-for: both URLs carry the body hash, the signature is for the public one', () => {
    const [batch] = buildEvent(requireFixture('event-streams'), { now: NOW }).requests;
    const out = signSynthetic(batch!, {
      to: 'http://127.0.0.1:9000/events',
      signFor: 'https://public.example.com/events',
      authToken: TOKEN,
    });
    const hash = new URL(out.url).searchParams.get('bodySHA256');
    expect(out.signedFor).toBe(`https://public.example.com/events?bodySHA256=${hash}`);
    expect(
      validateRequestWithBody(TOKEN, out.headers['X-Twilio-Signature'] as string, out.signedFor!, out.body as string),
    ).toBe(true);
  });
});

describe('template', () => {
  const ctx = (vars: RenderContext['vars'] = {}): RenderContext => ({
    vars,
    sids: new SidSource(seededRandom('t')),
    now: NOW,
    step: 2,
    used: new Set(),
  });

  it('renders variables, SIDs (same prefix and label: same SID), times, step, lookups and filters', () => {
    const c = ctx({ name: 'Ada', secs: '125', map: { a: 'Alpha' }, key: 'a' });
    expect(render('Hi {{name}} #{{step}}', c)).toBe('Hi Ada #2');
    expect(render('{{sid:SM}}', c)).toBe(render('{{sid:SM}}', c));
    expect(render('{{sid:SM:other}}', c)).not.toBe(render('{{sid:SM}}', c));
    expect(render('{{secs|minutes}}', c)).toBe('3');
    expect(render('{{lookup:map:key}}', c)).toBe('Alpha');
    expect(render('{{now:unix}}', c)).toBe(String(NOW.getTime() / 1000));
    expect([...c.used].sort()).toEqual(['key', 'map', 'name', 'secs']);
  });

  it('a field that is one missing variable is left out; inside text it renders empty', () => {
    const c = ctx({ gone: null });
    expect(render('{{gone}}', c)).toBeUndefined();
    expect(render({ a: '{{gone}}', b: 'x{{gone}}y' }, c)).toEqual({ b: 'xy' });
  });

  it('refuses malformed tokens (a bug in a fixture, not user input)', () => {
    expect(() => render('{{sid:sm}}', ctx())).toThrow(/two capital letters/);
    expect(() => render('{{now:week}}', ctx())).toThrow(/unknown time format/);
    expect(() => render('{{x|upper}}', ctx({ x: 'a' }))).toThrow(/unknown filter/);
  });

  it('formats times as Twilio does', () => {
    const t = new Date('2026-01-05T03:04:05.000Z');
    expect(formatTime(t, 'rfc2822')).toBe('Mon, 05 Jan 2026 03:04:05 +0000');
    expect(formatTime(t, 'dlr')).toBe('2601050304');
  });
});
