// The simulator's call engine against a real app on 127.0.0.1 (test/support/ivr-app.ts), rule by
// rule, each against Twilio's TwiML docs (https://www.twilio.com/docs/voice/twiml/<verb>).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { simulateCall, APPLICATION_ERROR_MESSAGE } from '../../src/simulate/index.js';
import type { SimEvent } from '../../src/simulate/events.js';
import { startIvrApp, type IvrApp } from '../support/ivr-app.js';
import type { CaptureRecord } from '../../src/capture/format.js';
import { verifyRequest } from '../../src/webhooks/signature.js';

const TOKEN = '12345678901234567890123456789012';
let app: IvrApp;
afterEach(async () => app?.close());

async function ivr(options: { publicUrl?: string } = {}): Promise<IvrApp> {
  app = await startIvrApp({ authToken: TOKEN, ...options });
  return app;
}

function only<T extends SimEvent['type']>(events: SimEvent[], type: T): Array<Extract<SimEvent, { type: T }>> {
  return events.filter((e): e is Extract<SimEvent, { type: T }> => e.type === type);
}

const says = (events: SimEvent[]) => only(events, 'say').map((e) => e.text);
const paths = (a: IvrApp) => a.seen.map((s) => s.path);

describe('simulateCall: requests as Twilio makes them', () => {
  // https://www.twilio.com/docs/voice/twiml#request-parameters; signatures as
  // https://www.twilio.com/docs/usage/security#validating-requests
  it('sends the call parameters, signed, with Twilio headers; CallStatus ringing then in-progress', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '4' },
        { kind: 'speak', text: 'my bill' },
      ],
    });
    expect(r.ok).toBe(true);
    expect(a.seen.every((s) => s.valid)).toBe(true);
    const first = a.seen[0]!;
    expect(first.params).toMatchObject({
      CallStatus: 'ringing',
      Direction: 'inbound',
      From: '+15558675310',
      To: '+15017122661',
      Caller: '+15558675310',
      Called: '+15017122661',
      ApiVersion: '2010-04-01',
    });
    expect(first.params.CallSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(first.headers['user-agent']).toBe('TwilioProxy/1.1');
    expect(first.headers['i-twilio-idempotency-token']).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(
      a.seen.slice(1).every((s) => s.params.CallStatus === 'in-progress' && s.params.CallSid === first.params.CallSid),
    ).toBe(true);
    // The answers are text/html (Express's res.send): TwiML, as Twilio's docs say.
    expect(only(r.events, 'request').every((e) => e.contentType?.startsWith('text/html'))).toBe(true);
  });

  it('goes unsigned without an auth token, and signs for publicUrl when given', async () => {
    const a = await ivr({ publicUrl: 'https://example.ngrok.app' });
    await simulateCall({ app: `${a.url}/plain`, authToken: TOKEN, publicUrl: 'https://example.ngrok.app' });
    expect(a.seen[0]!.valid).toBe(true);
    await simulateCall({ app: `${a.url}/plain` });
    expect(a.seen[1]!.headers['x-twilio-signature']).toBeUndefined();
  });

  // https://www.twilio.com/docs/voice/twiml#cookies: "Twilio accepts HTTP cookies and will include
  // them in each request, just like a normal web browser" (within the call).
  it('keeps cookies within a call, and a new call starts without them', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '1' },
        { kind: 'dial', status: 'busy' },
      ],
    });
    expect(a.seen[1]!.headers.cookie).toBe('caller=%2B15558675310');
    expect(says(r.events)).toContain('Connecting you to sales, +15558675310.');
    await simulateCall({ app: `${a.url}/voice`, authToken: TOKEN });
    expect(a.seen.at(-1)!.headers.cookie).toBeUndefined();
  });

  // https://www.twilio.com/docs/voice/twiml/gather: "If no input is received before timeout,
  // Twilio will ... continue on to the next verb"; the action defaults to the current document.
  it('Gather: the key goes to action as Digits; no input falls through to the next verb', async () => {
    const a = await ivr();
    const timedOut = await simulateCall({ app: `${a.url}/voice`, authToken: TOKEN });
    expect(says(timedOut.events)).toEqual([
      expect.stringMatching(/^Welcome to Acme/),
      'We did not get your choice. Goodbye.',
    ]);
    expect(only(timedOut.events, 'gather')[0]).toMatchObject({
      input: 'dtmf',
      numDigits: 1,
      finishOnKey: '#',
      timeout: 4,
      action: `${a.url}/menu`,
      result: null,
    });
    expect(timedOut.end).toMatchObject({ reason: 'end-of-document', status: 'completed', requests: 1 });
    // The prompt (about 8 s) and the 4 s timeout moved the simulated clock.
    expect(timedOut.end.duration).toBeGreaterThanOrEqual(12);
  });

  it('Gather: numDigits takes the first keys; finishOnKey ends input and is reported as FinishedOnKey', async () => {
    const a = await ivr();
    await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '9' },
        { kind: 'press', digits: '12' },
      ],
    });
    expect(a.seen.filter((s) => s.path === '/menu').map((s) => s.params.Digits)).toEqual(['9', '1']);
  });

  // https://www.twilio.com/docs/voice/twiml/gather#input: speech results arrive as SpeechResult and Confidence.
  it('Gather input="speech": SpeechResult and Confidence; a relative Redirect resolves against the document', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '4' },
        { kind: 'speak', text: 'my bill' },
      ],
    });
    expect(paths(a)).toEqual(['/voice', '/menu', '/speech', '/heard']);
    expect(only(r.events, 'redirect')[0]).toEqual({
      type: 'redirect',
      t: expect.any(Number),
      url: `${a.url}/speech`,
      method: 'POST',
    });
    expect(a.seen[3]!.params).toMatchObject({ SpeechResult: 'my bill', Confidence: expect.stringMatching(/^0\.\d+$/) });
    expect(says(r.events).at(-1)).toBe('You said: my bill.');
    expect(r.end.reason).toBe('hangup');
  });

  it('an input that does not fit where the call is is a usage error', async () => {
    const a = await ivr();
    await expect(
      simulateCall({ app: `${a.url}/voice`, authToken: TOKEN, inputs: [{ kind: 'speak', text: 'sales' }] }),
    ).rejects.toThrow(/input 1 \(speak "sales"\) does not fit: the call is at <Gather input="dtmf">/);
  });
});

describe('simulateCall: capture records', () => {
  // `--capture` writes these; `twhook verify` must call every one valid.
  it('onExchange gives one capture record per request, signed for the URL it names', async () => {
    const a = await ivr({ publicUrl: 'https://example.ngrok.app' });
    const records: CaptureRecord[] = [];
    await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      publicUrl: 'https://example.ngrok.app',
      inputs: [
        { kind: 'press', digits: '4' },
        { kind: 'speak', text: 'hi' },
      ],
      onExchange: (r) => records.push(r),
    });
    expect(records.map((r) => new URL(r.url).pathname)).toEqual(['/voice', '/menu', '/speech', '/heard']);
    for (const record of records) {
      expect(record.url.startsWith('https://example.ngrok.app/')).toBe(true);
      expect(record.response?.status).toBe(200);
      const verdict = verifyRequest({
        url: record.url,
        signature: String(record.headers['x-twilio-signature']),
        body: record.body ?? '',
        authTokens: [TOKEN],
      });
      expect(verdict.valid).toBe(true);
    }
  });
});

// https://www.twilio.com/docs/usage/security#http-authentication: "Twilio supports HTTP Basic and
// Digest Authentication ... https://username:password@www.myserver.com/my_secure_document ... Twilio
// will authenticate to your web server using the provided username and password and will remain
// logged in for the duration of the call". Twilio answers a 401 challenge; the helper libraries'
// tests ("should validate urls with credentials") sign the URL with its user:pass@.
describe('simulateCall: a URL with credentials', () => {
  const PASSWORD = 'Sim+Pa55/w@rd';
  const encoded = encodeURIComponent(PASSWORD);
  const basic = Buffer.from(`twilio:${PASSWORD}`).toString('base64');

  async function guarded(password = PASSWORD): Promise<{ a: IvrApp; url: string }> {
    app = await startIvrApp({ authToken: TOKEN, basicAuth: { user: 'twilio', password }, signedWithCredentials: true });
    return { a: app, url: `http://twilio:${encoded}@127.0.0.1:${app.port}` };
  }

  it('answers the 401 challenge with Basic auth, stays logged in, and signs the URL with its credentials', async () => {
    const { a, url } = await guarded();
    const records: CaptureRecord[] = [];
    const r = await simulateCall({
      app: { url: `${url}/voice`, statusCallback: { url: `${url}/status` } },
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '1' },
        { kind: 'dial', status: 'busy' },
      ],
      onExchange: (record) => records.push(record),
    });
    expect(r.ok).toBe(true);
    expect(says(r.events).at(-1)).toBe('Sales is busy. Please call again.');
    // The first request goes without credentials and is challenged; the same request goes again
    // with them (same idempotency token); every later one is sent logged in.
    expect(a.seen.map((s) => s.authorized)).toEqual([false, true, true, true, true]);
    expect(a.seen[0]!.headers.authorization).toBeUndefined();
    expect(a.seen[1]!.headers.authorization).toBe(`Basic ${basic}`);
    expect(a.seen[1]!.headers['i-twilio-idempotency-token']).toBe(a.seen[0]!.headers['i-twilio-idempotency-token']);
    expect(a.seen.every((s) => s.valid)).toBe(true);
    const requests = only(r.events, 'request');
    expect(requests.map((e) => [e.status, e.auth, e.attempt])).toEqual([
      [401, undefined, 1],
      [200, 'basic', 1],
      [200, 'basic', 1],
      [200, 'basic', 1],
    ]);
    expect(requests[0]!.url).toBe(`http://twilio:***@127.0.0.1:${a.port}/voice`);
    expect(only(r.events, 'callback')[0]).toMatchObject({
      status: 204,
      url: `http://twilio:***@127.0.0.1:${a.port}/status`,
    });
    // The password is in no event and no capture record, in any encoding.
    const shown = JSON.stringify(r.events) + JSON.stringify(records);
    for (const form of [PASSWORD, encoded, basic]) expect(shown).not.toContain(form);
    expect(records[1]!.headers.authorization).toBe('Basic [redacted]');
    expect(records[1]!.url).toBe(`http://twilio:***@127.0.0.1:${a.port}/voice`);
  });

  it('a Digest challenge is answered with Digest (RFC 7616), nc counting up while logged in', async () => {
    app = await startIvrApp({
      authToken: TOKEN,
      basicAuth: { user: 'twilio', password: PASSWORD },
      digest: true,
      signedWithCredentials: true,
    });
    const url = `http://twilio:${encoded}@127.0.0.1:${app.port}`;
    const r = await simulateCall({
      app: `${url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '1' },
        { kind: 'dial', status: 'busy' },
      ],
    });
    expect(r.ok).toBe(true);
    expect(app.seen.map((s) => s.authorized)).toEqual([false, true, true, true]);
    expect(app.seen.slice(1).map((s) => /nc=(\w+)/.exec(String(s.headers.authorization))?.[1])).toEqual([
      '00000001',
      '00000002',
      '00000003',
    ]);
    expect(app.seen.every((s) => s.valid)).toBe(true);
    expect(only(r.events, 'request').map((e) => e.auth)).toEqual([undefined, 'digest', 'digest', 'digest']);
    expect(JSON.stringify(r.events)).not.toContain(encoded);
  });

  it('wrong credentials: the second 401 is error 11200, not another try', async () => {
    const { a } = await guarded();
    const r = await simulateCall({ app: `http://twilio:nope@127.0.0.1:${a.port}/voice`, authToken: TOKEN });
    expect(a.seen.map((s) => s.authorized)).toEqual([false, false]);
    expect(only(r.events, 'error')[0]).toMatchObject({
      code: 11200,
      url: `http://twilio:***@127.0.0.1:${a.port}/voice`,
    });
    expect(r.ok).toBe(false);
    // Without credentials in the URL, no Authorization header: the 401 is the error.
    const bare = await simulateCall({ app: `http://127.0.0.1:${a.port}/voice`, authToken: TOKEN });
    expect(a.seen.slice(2).map((s) => s.headers.authorization)).toEqual([undefined]);
    expect(only(bare.events, 'error')[0]!.code).toBe(11200);
    // Only the URL without credentials is told how to give them; wrong ones are the app's refusal.
    expect(only(bare.events, 'error')[0]!.message).toMatch(/asks for HTTP authentication: give the user and password/);
    expect(only(r.events, 'error')[0]!.message).not.toMatch(/asks for HTTP authentication/);
  });

  it('the fallback gets ErrorUrl without the credentials', async () => {
    const { a, url } = await guarded();
    const r = await simulateCall({
      app: { url: `${url}/broken`, fallback: { url: `${url}/fallback` } },
      authToken: TOKEN,
    });
    const fallback = a.seen.find((s) => s.path === '/fallback')!;
    expect(fallback.params.ErrorUrl).toBe(`http://127.0.0.1:${a.port}/broken`);
    expect(fallback.authorized).toBe(true);
    expect(JSON.stringify(r.events)).not.toContain(encoded);
  });
});

describe('simulateCall: Dial, Record, Enqueue', () => {
  // https://www.twilio.com/docs/voice/twiml/dial#action: DialCallStatus, DialCallSid, DialCallDuration.
  it('Dial with an action: the outcome goes to action; verbs after the Dial are not reached', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '1' },
        { kind: 'dial', status: 'completed', seconds: 42 },
      ],
    });
    expect(only(r.events, 'dial')[0]).toMatchObject({
      to: ['+15551230000'],
      action: `${a.url}/dial-done`,
      outcome: 'completed',
      duration: 42,
    });
    const done = a.seen.find((s) => s.path === '/dial-done')!;
    expect(done.params).toMatchObject({
      DialCallStatus: 'completed',
      DialCallDuration: '42',
      DialCallSid: expect.stringMatching(/^CA/),
    });
    expect(says(r.events)).not.toContain('Unreachable after a Dial with an action.');
    expect(says(r.events).at(-1)).toBe('Your call lasted 42 seconds. Goodbye.');
  });

  it('Dial busy: DialCallStatus busy, no DialCallDuration', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '1' },
        { kind: 'dial', status: 'busy' },
      ],
    });
    const done = a.seen.find((s) => s.path === '/dial-done')!;
    expect(done.params.DialCallStatus).toBe('busy');
    expect(done.params.DialCallDuration).toBeUndefined();
    expect(says(r.events)).toContain('Sales is busy. Please call again.');
  });

  // https://www.twilio.com/docs/voice/twiml/dial#record: record-from-answer (or -ringing, -dual);
  // the recording goes to recordingStatusCallback (RecordingSource DialVerb) and the action gets
  // RecordingUrl, RecordingSid and RecordingDuration.
  it('Dial record: the recording goes to recordingStatusCallback and to action', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/dial-record`,
      authToken: TOKEN,
      inputs: [{ kind: 'dial', status: 'completed', seconds: 42 }],
    });
    expect(only(r.events, 'dial')[0]).toMatchObject({
      outcome: 'completed',
      duration: 42,
      recording: { duration: 42, channels: 2 },
    });
    const callbacks = only(r.events, 'callback').filter((c) => c.kind === 'recording');
    expect(callbacks.map((c) => c.params.RecordingStatus)).toEqual(['in-progress', 'completed']);
    const completed = callbacks[1]!.params;
    expect(completed).toMatchObject({
      RecordingDuration: '42',
      RecordingChannels: '2',
      RecordingSource: 'DialVerb',
      CallSid: a.seen[0]!.params.CallSid,
    });
    expect(callbacks[0]!.params.RecordingSid).toBe(completed.RecordingSid);
    const done = a.seen.find((s) => s.path === '/dial-done')!.params;
    expect(done).toMatchObject({
      DialCallStatus: 'completed',
      DialCallDuration: '42',
      RecordingSid: completed.RecordingSid,
      RecordingUrl: completed.RecordingUrl,
      RecordingDuration: '42',
    });
    expect(done.RecordingUrl).toMatch(
      /^https:\/\/api\.twilio\.com\/2010-04-01\/Accounts\/AC\w+\/Recordings\/RE\w{32}$/,
    );
    expect(a.seen.find((s) => s.path === '/recording-status')!.valid).toBe(true);

    // record-from-ringing records the ringing too: a call nobody answers leaves the ringing (timeout 20 s).
    const ringing = await simulateCall({
      app: `${a.url}/dial-record-ringing`,
      authToken: TOKEN,
      inputs: [{ kind: 'dial', status: 'no-answer' }],
    });
    expect(only(ringing.events, 'dial')[0]).toMatchObject({
      outcome: 'no-answer',
      recording: { duration: 20, channels: 1 },
    });
    expect(a.seen.at(-1)!.params).toMatchObject({ DialCallStatus: 'no-answer', RecordingDuration: '20' });
    // Without record, nothing of the kind.
    const plain = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [{ kind: 'press', digits: '1' }],
    });
    expect(only(plain.events, 'dial')[0]!.recording).toBeUndefined();
    expect(a.seen.at(-1)!.params.RecordingUrl).toBeUndefined();
  });

  // https://www.twilio.com/docs/voice/twiml/number#url: the url's TwiML runs for the called party
  // when they answer, before the parties are connected; the caller hears ringing meanwhile.
  it('Number url: the whisper runs on the called party leg (leg callee), then the parties are connected', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/dial-whisper`,
      authToken: TOKEN,
      inputs: [
        { kind: 'dial', status: 'completed', seconds: 30 },
        { kind: 'press', digits: '1' },
      ],
    });
    const parent = a.seen[0]!.params.CallSid;
    const whisper = a.seen.find((s) => s.path === '/whisper')!;
    expect(whisper.valid).toBe(true);
    expect(whisper.params).toMatchObject({
      ParentCallSid: parent,
      Direction: 'outbound-dial',
      CallStatus: 'in-progress',
      From: '+15017122661',
      To: '+15551230000',
    });
    expect(whisper.params.CallSid).toMatch(/^CA\w{32}$/);
    expect(whisper.params.CallSid).not.toBe(parent);
    expect(a.seen.find((s) => s.path === '/whisper-choice')!.params).toMatchObject({
      Digits: '1',
      ParentCallSid: parent,
    });
    const done = a.seen.find((s) => s.path === '/dial-done')!.params;
    expect(done).toMatchObject({
      DialCallStatus: 'completed',
      DialCallSid: whisper.params.CallSid,
      DialCallDuration: '30',
    });
    // The callee's events say so; the caller's do not.
    const callee = r.events.filter((e) => e.leg === 'callee');
    expect(callee.map((e) => e.type)).toEqual(['request', 'say', 'gather', 'request', 'say']);
    expect(only(callee, 'say').map((e) => e.text)).toEqual([
      'Call from Acme support. Press 1 to accept.',
      'Connecting.',
    ]);
    expect(
      only(r.events, 'say')
        .filter((e) => !e.leg)
        .map((e) => e.text),
    ).toEqual(['Please hold.', 'Your call lasted 30 seconds. Goodbye.']);
    expect(r.ok).toBe(true);
  });

  it('Number url: a Hangup in the whisper declines the call: the Dial ends not answered', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/dial-whisper`,
      authToken: TOKEN,
      inputs: [{ kind: 'dial', status: 'completed', seconds: 30 }],
    });
    expect(only(r.events, 'hangup')[0]).toMatchObject({ leg: 'callee' });
    expect(only(r.events, 'dial')[0]).toMatchObject({ outcome: 'no-answer', duration: 0 });
    expect(a.seen.find((s) => s.path === '/dial-done')!.params.DialCallStatus).toBe('no-answer');
    expect(says(r.events).at(-1)).toBe('Sales is no-answer. Please call again.');
    expect(r.end.reason).toBe('hangup');
  });

  // https://www.twilio.com/docs/voice/twiml/record: RecordingUrl, RecordingSid, RecordingDuration,
  // Digits; "if Twilio receives an empty recording, it will not make a request to the action URL".
  it('Record: the recording goes to action and to recordingStatusCallback; an empty one falls through', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '2' },
        { kind: 'record', seconds: 12, digits: '#' },
      ],
    });
    expect(only(r.events, 'record')[0]).toMatchObject({
      action: `${a.url}/recorded`,
      maxLength: 30,
      result: { duration: 12, digits: '#' },
    });
    const recorded = a.seen.find((s) => s.path === '/recorded')!;
    expect(recorded.params).toMatchObject({
      RecordingDuration: '12',
      Digits: '#',
      RecordingSid: expect.stringMatching(/^RE/),
      RecordingUrl: expect.stringMatching(/^https:\/\/api\.twilio\.com\/2010-04-01\/Accounts\/AC\w+\/Recordings\/RE/),
    });
    const callback = only(r.events, 'callback').find((c) => c.kind === 'recording')!;
    expect(callback.params).toMatchObject({
      RecordingStatus: 'completed',
      RecordingDuration: '12',
      RecordingSource: 'RecordVerb',
    });
    expect(callback.status).toBe(204);

    const empty = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '2' },
        { kind: 'wait', seconds: 10 },
      ],
    });
    expect(says(empty.events).at(-1)).toBe('We got no message.');
  });

  // https://www.twilio.com/docs/voice/twiml/record: action gets Digits "hangup" when the caller hung up;
  // the call is over, so that answer is not run.
  it('Record: a caller who hangs up while recording still sends the recording to action', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [{ kind: 'press', digits: '2' }, { kind: 'hangup' }],
    });
    expect(only(r.events, 'record')[0]!.result).toMatchObject({ digits: 'hangup' });
    const recorded = a.seen.find((s) => s.path === '/recorded')!;
    expect(recorded.params).toMatchObject({ Digits: 'hangup', CallStatus: 'completed' });
    expect(says(r.events).some((text) => text.startsWith('Thanks, we got'))).toBe(false);
    expect(r.events.at(-1)).toMatchObject({ type: 'end', status: 'completed' });
  });

  it('Record: maxLength caps the duration', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '2' },
        { kind: 'record', seconds: 300 },
      ],
    });
    expect(only(r.events, 'record')[0]!.result.duration).toBe(30);
  });

  // https://www.twilio.com/docs/voice/twiml/enqueue: the waitUrl is requested with QueuePosition,
  // QueueSid, QueueTime, AvgQueueTime, CurrentQueueSize, MaxQueueSize; action gets QueueResult.
  it('Enqueue: waitUrl with its queue parameters, then action with QueueResult bridged', async () => {
    const a = await ivr();
    const r = await simulateCall({ app: `${a.url}/voice`, authToken: TOKEN, inputs: [{ kind: 'press', digits: '3' }] });
    const hold = a.seen.find((s) => s.path === '/hold')!;
    expect(Object.keys(hold.params)).toEqual(
      expect.arrayContaining([
        'QueuePosition',
        'QueueSid',
        'QueueTime',
        'AvgQueueTime',
        'CurrentQueueSize',
        'MaxQueueSize',
      ]),
    );
    expect(only(r.events, 'play')[0]).toMatchObject({ url: 'https://example.com/hold.mp3' });
    expect(only(r.events, 'enqueue')[0]).toMatchObject({
      queue: 'support',
      waitUrl: `${a.url}/hold`,
      result: 'bridged',
    });
    expect(a.seen.find((s) => s.path === '/queue-done')!.params).toMatchObject({
      QueueResult: 'bridged',
      QueueSid: hold.params.QueueSid,
    });
  });

  // https://www.twilio.com/docs/voice/twiml/enqueue#waiturl: the waitUrl's TwiML "will be executed in
  // a loop" while the caller waits (Play, Say, Pause, Hangup, Redirect, Leave, Gather allowed).
  it('Enqueue: waitUrl requested again each time its TwiML ends, QueueTime grown, until the agent dequeues', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '3' },
        { kind: 'dequeue', after: 70, seconds: 20 },
      ],
    });
    const holds = a.seen.filter((s) => s.path === '/hold');
    // Each round: "You are number 1 in the queue." then the hold music (30 s, its length unknown).
    expect(holds).toHaveLength(3);
    const times = holds.map((h) => Number(h.params.QueueTime));
    expect(times[0]).toBe(0);
    expect(times[1]).toBeGreaterThan(30);
    expect(times[2]).toBeGreaterThan(times[1]!);
    expect(new Set(holds.map((h) => h.params.QueueSid)).size).toBe(1);
    // The agent came mid-music in the third round.
    expect(only(r.events, 'enqueue')).toEqual([
      expect.objectContaining({ queue: 'support', result: 'bridged', queueTime: 70, duration: 20 }),
    ]);
    expect(a.seen.find((s) => s.path === '/queue-done')!.params).toMatchObject({
      QueueResult: 'bridged',
      QueueTime: '70',
    });
    expect(r.end.duration).toBeGreaterThanOrEqual(90);
    expect(r.ok).toBe(true);

    // A waitUrl that loops without time passing stops at maxRequests, as any TwiML loop.
    const loop = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      maxRequests: 12,
      inputs: [{ kind: 'press', digits: '8' }],
    });
    expect(loop.end.reason).toBe('loop');
    expect(only(loop.events, 'error')[0]!.code).toBe(0);
    expect(says(loop.events)).not.toContain('After the queue.');
  });

  it('Enqueue: a Gather in the hold music takes the next press; its action may <Leave>', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '6' },
        { kind: 'press', digits: '0' },
      ],
    });
    expect(a.seen.find((s) => s.path === '/hold-choice')!.params).toMatchObject({
      Digits: '0',
      QueueTime: expect.stringMatching(/^\d+$/),
    });
    expect(only(r.events, 'enqueue')[0]).toMatchObject({ result: 'leave', queueTime: expect.any(Number) });
    expect(says(r.events).slice(-2)).toEqual(['Leaving the queue.', 'Queue result: leave.']);
  });

  it('Enqueue: a Hangup in the hold music, or the caller hanging up, tells action QueueResult hangup', async () => {
    const a = await ivr();
    const r = await simulateCall({ app: `${a.url}/voice`, authToken: TOKEN, inputs: [{ kind: 'press', digits: '7' }] });
    expect(only(r.events, 'enqueue')[0]).toMatchObject({ result: 'hangup' });
    expect(a.seen.at(-1)!.params).toMatchObject({ QueueResult: 'hangup', CallStatus: 'completed' });
    // The call is over: the action's answer is not played.
    expect(says(r.events)).not.toContain('Queue result: hangup.');
    expect(r.end.reason).toBe('hangup');

    const gone = await simulateCall({
      app: `${a.url}/voice`,
      authToken: TOKEN,
      hangupAfter: 50,
      inputs: [
        { kind: 'press', digits: '3' },
        { kind: 'dequeue', after: 300 },
      ],
    });
    expect(only(gone.events, 'enqueue')[0]).toMatchObject({ result: 'hangup' });
    expect(gone.end).toMatchObject({ reason: 'caller-hangup', duration: 50 });
    expect(a.seen.at(-1)!.path).toBe('/queue-done');
    expect(a.seen.at(-1)!.params.QueueResult).toBe('hangup');
  });

  it('Leave in the waitUrl leaves the queue: QueueResult leave', async () => {
    const a = await ivr();
    const r = await simulateCall({ app: `${a.url}/voice`, authToken: TOKEN, inputs: [{ kind: 'press', digits: '5' }] });
    expect(only(r.events, 'enqueue')[0]!.result).toBe('leave');
    expect(says(r.events).at(-1)).toBe('Queue result: leave.');
  });
});

describe('simulateCall: answers and errors', () => {
  // https://www.twilio.com/docs/voice/twiml#twilio-understands-mime-types
  it('text/plain is read aloud, audio is played, then the call hangs up', async () => {
    const a = await ivr();
    const plain = await simulateCall({ app: `${a.url}/plain`, authToken: TOKEN });
    expect(plain.events.map((e) => e.type)).toEqual(['request', 'say', 'hangup', 'end']);
    expect(says(plain.events)).toEqual(['We are closed today.']);
    expect(plain.ok).toBe(true);
    const audio = await simulateCall({ app: `${a.url}/audio`, authToken: TOKEN });
    expect(audio.events.map((e) => e.type)).toEqual(['request', 'play', 'hangup', 'end']);
    expect(only(audio.events, 'play')[0]!.url).toBe(`${a.url}/audio`);
  });

  // https://www.twilio.com/docs/voice/api/call-resource#fallbackurl: on an error Twilio requests
  // the fallback URL with ErrorCode and ErrorUrl.
  it('a 500 is error 11200, then the fallback URL with ErrorCode and ErrorUrl', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: { url: `${a.url}/broken`, fallback: { url: `${a.url}/fallback` } },
      authToken: TOKEN,
    });
    expect(only(r.events, 'error')[0]).toMatchObject({ code: 11200, url: `${a.url}/broken` });
    expect(a.seen[1]!.params).toMatchObject({ ErrorCode: '11200', ErrorUrl: `${a.url}/broken`, CallStatus: 'ringing' });
    expect(says(r.events)).toEqual(['Something went wrong: error 11200.']);
    expect(r.ok).toBe(false);
  });

  it('without a fallback the caller hears the application error and the call ends', async () => {
    const a = await ivr();
    const r = await simulateCall({ app: `${a.url}/json`, authToken: TOKEN });
    expect(only(r.events, 'error')[0]).toMatchObject({ code: 12300 });
    expect(says(r.events)).toEqual([APPLICATION_ERROR_MESSAGE]);
    expect(r.end).toMatchObject({ reason: 'error', status: 'completed' });
    const missing = await simulateCall({ app: `${a.url}/nowhere`, authToken: TOKEN });
    expect(only(missing.events, 'error')[0]).toMatchObject({ code: 11200, message: expect.stringContaining('404') });
  });

  it('a TwiML loop stops at maxRequests with an error event', async () => {
    const a = await ivr();
    const r = await simulateCall({ app: `${a.url}/loop`, authToken: TOKEN, maxRequests: 5 });
    expect(only(r.events, 'request')).toHaveLength(5);
    expect(only(r.events, 'error')[0]).toMatchObject({ code: 0, message: expect.stringContaining('loop') });
    expect(r.end).toMatchObject({ reason: 'loop', requests: 5 });
    expect(r.ok).toBe(false);
  });

  // https://www.twilio.com/docs/voice/twiml/reject: "The call ends with a status of busy or no-answer".
  it('Reject as the first verb: the call is not answered and ends busy', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: { url: `${a.url}/reject`, statusCallback: { url: `${a.url}/status` } },
      authToken: TOKEN,
    });
    expect(only(r.events, 'reject')[0]!.reason).toBe('busy');
    expect(r.end).toMatchObject({ status: 'busy', duration: 0, reason: 'reject' });
    expect(only(r.events, 'callback')[0]!.params).toMatchObject({ CallStatus: 'busy', CallDuration: '0' });
  });

  it('nothing listening: error 11200 naming the address', async () => {
    const a = await ivr();
    const url = `${a.url}/voice`;
    await a.close();
    const r = await simulateCall({ app: url });
    expect(only(r.events, 'error')[0]!.message).toMatch(/nothing listening on 127\.0\.0\.1:\d+/);
    // Twilio retries a failed connection once by default (rc=1, rp=ct).
    expect(only(r.events, 'request').map((e) => e.attempt)).toEqual([1, 2]);
  });
});

describe('simulateCall: status callbacks and the clock', () => {
  // https://www.twilio.com/docs/voice/api/call-resource#statuscallback: CallStatus, CallDuration,
  // SequenceNumber, Timestamp, CallbackSource.
  it('sends the requested status events in order with SequenceNumber, Timestamp and CallDuration', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: {
        url: `${a.url}/voice`,
        statusCallback: { url: `${a.url}/status` },
        statusEvents: ['initiated', 'ringing', 'answered', 'completed'],
      },
      authToken: TOKEN,
      inputs: [
        { kind: 'press', digits: '1' },
        { kind: 'dial', status: 'completed', seconds: 60 },
      ],
    });
    const callbacks = only(r.events, 'callback');
    expect(callbacks.map((c) => c.params.CallStatus)).toEqual(['initiated', 'ringing', 'in-progress', 'completed']);
    expect(callbacks.map((c) => c.params.SequenceNumber)).toEqual(['0', '1', '2', '3']);
    expect(
      callbacks.every((c) => c.params.CallbackSource === 'call-progress-events' && /\+0000$/.test(c.params.Timestamp!)),
    ).toBe(true);
    const completed = callbacks[3]!.params;
    expect(Number(completed.CallDuration)).toBe(r.end.duration);
    expect(r.end.duration).toBeGreaterThanOrEqual(60);
    expect(r.events.at(-1)!.type).toBe('end');
  });

  it('only completed by default; hangupAfter ends the call when the simulated clock gets there', async () => {
    const a = await ivr();
    const r = await simulateCall({
      app: { url: `${a.url}/voice`, statusCallback: { url: `${a.url}/status` } },
      authToken: TOKEN,
      hangupAfter: 3,
    });
    expect(only(r.events, 'callback').map((c) => c.params.CallStatus)).toEqual(['completed']);
    expect(r.end).toMatchObject({ reason: 'caller-hangup', duration: 3 });
  });
});

describe('simulateCall: --realtime and stopping a call', () => {
  // --realtime waits for real; the simulated clock decides how long. A recording sleep shows the
  // waits go through it (no wall-clock assertion).
  it('realtime: every wait of the simulated clock goes through sleep; without it nothing sleeps', async () => {
    const a = await ivr();
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    const r = await simulateCall({ app: `${a.url}/pause`, authToken: TOKEN, realtime: true, sleep });
    expect(r.ok).toBe(true);
    // "Hold on." (0.8 s), the Pause (3 s), the Gather's timeout (2 s), "Done." (0.4 s).
    expect(slept).toEqual([800, 3000, 2000, 400]);
    expect(slept.reduce((sum, ms) => sum + ms, 0)).toBe(r.end.t * 1000);
    slept.length = 0;
    const simulated = await simulateCall({ app: `${a.url}/pause`, authToken: TOKEN, sleep });
    expect(simulated.end.t).toBe(r.end.t);
    expect(slept).toEqual([]);
  });

  it('stopped during a realtime wait: the call ends at once with end aborted, no more requests', async () => {
    const a = await ivr();
    const controller = new AbortController();
    // The Pause's wait is where Ctrl-C comes: it only ends by the abort; the others pass at once.
    const sleep = (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        if (ms !== 3000) return resolve();
        signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        controller.abort();
      });
    const r = await simulateCall({
      app: { url: `${a.url}/pause`, statusCallback: { url: `${a.url}/status` } },
      authToken: TOKEN,
      realtime: true,
      sleep,
      signal: controller.signal,
    });
    expect(r.end).toMatchObject({ type: 'end', status: 'canceled', reason: 'aborted', requests: 1 });
    expect(r.events.map((e) => e.type)).toEqual(['request', 'say', 'pause', 'end']);
    expect(r.ok).toBe(false);
    // Stopped is not the app's failure, and no status callback goes after it.
    expect(paths(a)).toEqual(['/pause']);
  });

  it('stopped while a request is out: the request is dropped, no error 11200, no fallback', async () => {
    const a = await ivr();
    const controller = new AbortController();
    const done = simulateCall({
      app: { url: `${a.url}/hang`, fallback: { url: `${a.url}/fallback` } },
      authToken: TOKEN,
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(a.seen).toHaveLength(1));
    controller.abort();
    const r = await done;
    expect(r.end).toMatchObject({ status: 'canceled', reason: 'aborted' });
    expect(only(r.events, 'error')).toEqual([]);
    expect(says(r.events)).toEqual([]);
    expect(paths(a)).toEqual(['/hang']);
    await vi.waitFor(() => expect(a.seen[0]!.gone).toBe(true));
  });
});
