// Twilio's rules one by one, against small apps that answer fixed documents: each test names the
// page of Twilio's docs it follows.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { describeAnswer, simulateCall, simulateText } from '../../src/simulate/index.js';
import type { SimEvent } from '../../src/simulate/events.js';
import { parseForm } from '../../src/webhooks/form.js';
import { startIvrApp } from '../support/ivr-app.js';

interface Route {
  status?: number;
  type?: string;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}
interface Seen {
  method: string;
  path: string;
  query: string;
  params: Record<string, string | string[]>;
  headers: IncomingMessage['headers'];
}

const servers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

const xml = (inner: string): Route => ({ type: 'text/xml', body: `<Response>${inner}</Response>` });

async function docApp(routes: Record<string, Route | ((seen: Seen, n: number) => Route)>) {
  const seen: Seen[] = [];
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const [path, query = ''] = (req.url ?? '/').split('?') as [string, string?];
      const entry: Seen = {
        method: req.method ?? '',
        path,
        query,
        params: parseForm(Buffer.concat(chunks).toString()),
        headers: req.headers,
      };
      seen.push(entry);
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const found = routes[path];
      const route: Route =
        typeof found === 'function' ? found(entry, n) : (found ?? { status: 404, type: 'text/plain', body: 'nope' });
      const send = () =>
        res
          .writeHead(route.status ?? 200, { ...(route.type ? { 'content-type': route.type } : {}), ...route.headers })
          .end(route.body ?? '');
      if (route.delayMs) setTimeout(send, route.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const types = (events: SimEvent[]) => events.map((e) => e.type);
const errors = (events: SimEvent[]) =>
  events.filter((e): e is Extract<SimEvent, { type: 'error' }> => e.type === 'error');

describe('TwiML documents Twilio cannot run', () => {
  // https://www.twilio.com/docs/api/errors/12100 (Document parse failure), 11750 (body too large),
  // 12200 (schema validation: unknown verbs), 12300 (invalid Content-Type).
  it.each([
    ['unparsable XML', xml('<Say>Tom & Jerry</Say>'), 12100, /unescaped "&".*line 1/],
    [
      'a root that is not Response',
      { type: 'text/xml', body: '<response><Say>x</Say></response>' },
      12100,
      /root element is <response>/,
    ],
    [
      'an HTML error page served as text/html',
      { type: 'text/html', body: '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>' },
      12100,
      /HTML page, not TwiML: "502 Bad Gateway"/,
    ],
    ['an unknown verb', xml('<Say>a</Say><Speak>b</Speak>'), 12200, /unknown verb <Speak>/],
    ['a verb in the wrong case', xml('<say>a</say>'), 12200, /case-sensitive/],
    ['JSON', { type: 'application/json', body: '{"say":"hi"}' }, 12300, /JSON body/],
    ['over 64 kB', xml(`<Say>${'a'.repeat(70_000)}</Say>`), 11750, /bytes; Twilio stops at 65536/],
  ])('%s: the Twilio error, then the fallback with ErrorCode and ErrorUrl', async (_name, route, code, message) => {
    const app = await docApp({ '/voice': route as Route, '/fallback': xml('<Say>Sorry.</Say>') });
    const r = await simulateCall({
      app: { url: `${app.url}/voice`, fallback: { url: `${app.url}/fallback`, method: 'POST' } },
    });
    expect(errors(r.events)[0]).toMatchObject({
      code,
      message: expect.stringMatching(message),
      url: `${app.url}/voice`,
    });
    expect(app.seen[1]).toMatchObject({
      path: '/fallback',
      params: { ErrorCode: String(code), ErrorUrl: `${app.url}/voice` },
    });
    expect(r.ok).toBe(false);
  });

  it('the fallback is tried once: when it fails too, the application error ends the call', async () => {
    const app = await docApp({ '/voice': { status: 500 }, '/fallback': { status: 503 } });
    const r = await simulateCall({ app: { url: `${app.url}/voice`, fallback: { url: `${app.url}/fallback` } } });
    expect(errors(r.events).map((e) => e.code)).toEqual([11200, 11200]);
    expect(types(r.events)).toEqual(['request', 'error', 'request', 'error', 'say', 'end']);
    expect(r.end.reason).toBe('error');
  });
});

describe('HTTP as Twilio speaks it', () => {
  // https://www.twilio.com/docs/voice/twiml#redirects: "Twilio follows HTTP redirects".
  it('follows a 3xx to the new location; relative URLs then resolve against where the document came from', async () => {
    const app = await docApp({
      '/voice': { status: 302, headers: { location: '/ivr/start' } },
      '/ivr/start': xml('<Redirect>next</Redirect>'),
      '/ivr/next': xml('<Say>Moved.</Say>'),
    });
    const r = await simulateCall({ app: `${app.url}/voice` });
    expect(app.seen.map((s) => `${s.method} ${s.path}`)).toEqual(['POST /voice', 'GET /ivr/start', 'POST /ivr/next']);
    expect(r.events.filter((e) => e.type === 'request').map((e) => (e as { status: number }).status)).toEqual([
      302, 200, 200,
    ]);
    expect(r.ok).toBe(true);
  });

  it('method="GET" sends the parameters in the query string and signs the URL with them', async () => {
    const app = await docApp({
      '/voice': xml('<Redirect method="GET">/next?lang=en</Redirect>'),
      '/next': xml('<Hangup/>'),
    });
    const { validateRequest } = await import('twilio/lib/webhooks/webhooks.js');
    await simulateCall({ app: `${app.url}/voice`, authToken: 'tok' });
    const get = app.seen[1]!;
    expect(get.method).toBe('GET');
    expect(get.query).toMatch(/^lang=en&AccountSid=AC/);
    expect(validateRequest('tok', String(get.headers['x-twilio-signature']), `${app.url}/next?${get.query}`, {})).toBe(
      true,
    );
  });

  // https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides: rt (read timeout),
  // rc (retries) and rp (which failures are retried); a retry keeps its I-Twilio-Idempotency-Token.
  it('connection overrides: a 5xx retried rc times with the same idempotency token', async () => {
    const app = await docApp({ '/voice': (_s, n) => (n < 3 ? { status: 503 } : xml('<Say>Third time lucky.</Say>')) });
    const r = await simulateCall({ app: `${app.url}/voice#rc=2&rp=5xx` });
    expect(app.seen).toHaveLength(3);
    expect(new Set(app.seen.map((s) => s.headers['i-twilio-idempotency-token'])).size).toBe(1);
    expect(r.events.filter((e) => e.type === 'request').map((e) => (e as { attempt: number }).attempt)).toEqual([
      1, 2, 3,
    ]);
    expect(r.ok).toBe(true);
  });

  it('a read timeout (rt) is error 11200 saying Twilio gave up; the default is one try for it', async () => {
    const app = await docApp({ '/voice': { ...xml('<Say>late</Say>'), delayMs: 1500 } });
    const r = await simulateCall({ app: `${app.url}/voice#rt=300` });
    expect(errors(r.events)[0]).toMatchObject({
      code: 11200,
      message: expect.stringMatching(/no answer from 127\.0\.0\.1:\d+ within 0\.3 s/),
    });
    expect(app.seen).toHaveLength(1);
  });
});

describe('verbs', () => {
  // https://www.twilio.com/docs/voice/twiml/say: SSML inside <Say> is spoken as its text.
  it('Say with SSML reads the text in order; voice, language and loop are reported', async () => {
    const app = await docApp({
      '/voice': xml(
        '<Say voice="Polly.Amy" language="en-GB" loop="2">Hello <break time="1s"/>there, <emphasis>friend</emphasis>!</Say>',
      ),
    });
    const r = await simulateCall({ app: `${app.url}/voice` });
    expect(r.events[1]).toEqual({
      type: 'say',
      t: 0,
      text: 'Hello there, friend!',
      voice: 'Polly.Amy',
      language: 'en-GB',
      loop: 2,
    });
  });

  // https://www.twilio.com/docs/voice/twiml/play, /pause
  it('Play (url relative to the document, loop, digits) and Pause move the clock', async () => {
    const app = await docApp({
      '/ivr/voice': xml('<Play loop="3">music/hold.mp3</Play><Play digits="ww12"/><Pause length="7"/>'),
    });
    const r = await simulateCall({ app: `${app.url}/ivr/voice` });
    expect(r.events.slice(1, 4)).toEqual([
      { type: 'play', t: 0, url: `${app.url}/ivr/music/hold.mp3`, loop: 3 },
      { type: 'play', t: 0, loop: 1, digits: 'ww12' },
      { type: 'pause', t: 2, length: 7 },
    ]);
    expect(r.end).toMatchObject({ t: 9, duration: 9, reason: 'end-of-document' });
  });

  // https://www.twilio.com/docs/voice/twiml/gather#action: "If you do not provide an action ...
  // Twilio will make a POST request to the URL that houses the active TwiML"; actionOnEmptyResult.
  it('Gather without action posts to the current document; actionOnEmptyResult posts even on silence', async () => {
    const app = await docApp({
      '/voice': (s) =>
        s.params.Digits
          ? xml(`<Say>Got ${String(s.params.Digits)}</Say>`)
          : xml('<Gather finishOnKey="*"><Say>Code?</Say></Gather>'),
      '/empty': (s, n) => (n === 1 ? xml('<Gather actionOnEmptyResult="true" action="/after"/>') : xml('')),
      '/after': xml('<Say>after</Say>'),
    });
    const r = await simulateCall({ app: `${app.url}/voice`, inputs: [{ kind: 'press', digits: '42*9' }] });
    expect(app.seen[1]).toMatchObject({ path: '/voice', params: { Digits: '42', FinishedOnKey: '*' } });
    expect(r.events.filter((e) => e.type === 'say').at(-1)).toMatchObject({ text: 'Got 42' });
    const silent = await simulateCall({ app: `${app.url}/empty` });
    expect(app.seen.at(-1)!.path).toBe('/after');
    expect(silent.events.find((e) => e.type === 'gather')).toMatchObject({ result: null, timeout: 5 });
  });

  // https://www.twilio.com/docs/voice/twiml/dial: nouns; "If you don't provide an action URL ...
  // Twilio will continue with the next verb".
  it('Dial nouns are listed; without action the call goes on with the next verb', async () => {
    const app = await docApp({
      '/voice': xml(
        '<Dial timeout="15"><Number>+15551230000</Number><Client><Identity>alice</Identity></Client><Sip>sip:bob@example.com</Sip></Dial><Dial><Conference>room-7</Conference></Dial><Say>after</Say>',
      ),
    });
    const r = await simulateCall({ app: `${app.url}/voice`, inputs: [{ kind: 'dial', status: 'no-answer' }] });
    const dials = r.events.filter((e) => e.type === 'dial');
    expect(dials[0]).toMatchObject({
      to: ['+15551230000', 'client:alice', 'sip:bob@example.com'],
      outcome: 'no-answer',
      duration: 0,
    });
    expect(dials[0]).not.toHaveProperty('action');
    expect(dials[1]).toMatchObject({ to: ['conference:room-7'], outcome: 'completed', duration: 10 });
    expect(r.events.filter((e) => e.type === 'say').at(-1)).toMatchObject({ text: 'after' });
    // no-answer rang for the Dial's timeout (15 s), the conference lasted the default 10 s.
    expect(r.end.duration).toBe(25);
  });

  it('verbs twhook does not simulate are reported, and the call goes on where Twilio would', async () => {
    const app = await docApp({
      '/voice': xml(
        '<Start><Stream url="wss://x"/></Start><Say>a</Say><Connect action="/after"><Stream url="wss://x"/></Connect><Say>unreached</Say>',
      ),
      '/after': xml('<Pay/><Echo/>'),
    });
    const r = await simulateCall({ app: `${app.url}/voice`, hangupAfter: 60 });
    expect(r.events.filter((e) => e.type === 'unsupported').map((e) => (e as { verb: string }).verb)).toEqual([
      'Start',
      'Connect',
      'Pay',
      'Echo',
    ]);
    expect(r.events.some((e) => e.type === 'say' && e.text === 'unreached')).toBe(false);
    // <Echo> lasts until the caller hangs up.
    expect(r.end).toMatchObject({ reason: 'caller-hangup', duration: 60 });
  });

  it('Reject after another verb ends an answered call: completed', async () => {
    const app = await docApp({ '/voice': xml('<Say>hi</Say><Reject/>') });
    const r = await simulateCall({ app: `${app.url}/voice` });
    expect(r.end).toMatchObject({ status: 'completed', reason: 'reject' });
  });
});

describe('messaging verbs', () => {
  // https://www.twilio.com/docs/messaging/twiml/message: to, from, action ("verbs after <Message>
  // are unreachable"), Body and Media nouns; /redirect.
  it('Message to/from, action with the message status, and Redirect', async () => {
    const app = await docApp({
      '/sms': xml(
        '<Message to="+15550009999" from="+15017122661" action="/sent">Forwarded</Message><Message>unreached</Message>',
      ),
      '/sent': (s) => xml(`<Message>status ${String(s.params.MessageStatus)}</Message><Redirect>/last</Redirect>`),
      '/last': xml('<Message><Body>Bye</Body><Media>/img/x.gif</Media></Message>'),
    });
    const r = await simulateText({ app: `${app.url}/sms`, messages: [{ body: 'hello' }] });
    const messages = r.events.filter((e) => e.type === 'message');
    expect(messages).toEqual([
      { type: 'message', t: 0, from: '+15017122661', to: '+15550009999', body: 'Forwarded', media: [] },
      { type: 'message', t: 0, from: '+15017122661', to: '+15558675310', body: 'status sent', media: [] },
      { type: 'message', t: 0, from: '+15017122661', to: '+15558675310', body: 'Bye', media: [`${app.url}/img/x.gif`] },
    ]);
    expect(app.seen[1]!.params).toMatchObject({ Body: 'hello', MessageStatus: 'sent' });
  });

  it('a voice verb in a messaging answer is 12200', async () => {
    const app = await docApp({ '/sms': xml('<Say>hi</Say>') });
    const r = await simulateText({ app: `${app.url}/sms`, messages: [{ body: 'x' }] });
    expect(errors(r.events)[0]).toMatchObject({ code: 12200, message: '<Say> is not a messaging verb' });
  });
});

describe('describeAnswer', () => {
  it('what a caller would hear from one answer, without requests', () => {
    const events = describeAnswer(
      '<Response><Gather numDigits="1" action="menu"><Say>Press 1</Say></Gather><Dial action="/done">+15551230000</Dial><Redirect>/x</Redirect></Response>',
      'text/html; charset=utf-8',
      'voice',
      'https://app.example/ivr/voice',
    );
    expect(events).toEqual([
      { type: 'say', t: 0, text: 'Press 1', loop: 1 },
      {
        type: 'gather',
        t: 0,
        input: 'dtmf',
        numDigits: 1,
        finishOnKey: '#',
        timeout: 5,
        action: 'https://app.example/ivr/menu',
        result: null,
      },
      {
        type: 'dial',
        t: 0,
        to: ['+15551230000'],
        action: 'https://app.example/done',
        outcome: 'completed',
        duration: 0,
      },
      { type: 'redirect', t: 0, url: 'https://app.example/x', method: 'POST' },
    ]);
  });

  it('plain text and audio by channel, and errors', () => {
    expect(describeAnswer('Closed today', 'text/plain', 'voice')).toEqual([
      { type: 'say', t: 0, text: 'Closed today', loop: 1 },
      { type: 'hangup', t: 0 },
    ]);
    expect(describeAnswer('Thanks!', 'text/plain', 'messaging')).toEqual([
      { type: 'message', t: 0, from: '', to: '', body: 'Thanks!', media: [] },
    ]);
    expect(describeAnswer('ID3', 'audio/mpeg', 'voice', 'https://a/b.mp3').map((e) => e.type)).toEqual([
      'play',
      'hangup',
    ]);
    expect(describeAnswer('{}', 'application/json', 'messaging')).toEqual([
      expect.objectContaining({ type: 'error', code: 12300 }),
    ]);
  });
});

describe("the README's library example", () => {
  // Kept in step with README.md, "Simulator library" (the app URL is the test app's).
  it('runs as written against the test app', async () => {
    const app = await startIvrApp();
    servers.push(() => app.close());
    const { events, end, ok } = await simulateCall({
      app: { url: `${app.url}/voice`, fallback: { url: `${app.url}/fallback` } },
      authToken: undefined,
      inputs: [
        { kind: 'press', digits: '1' },
        { kind: 'dial', status: 'busy' },
      ],
    });
    expect(ok).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ type: 'dial', to: ['+15551230000'], outcome: 'busy' }));
    expect(events.filter((e) => e.type === 'say').at(-1)).toMatchObject({ text: expect.stringMatching(/busy/) });
    expect(end).toMatchObject({ reason: 'hangup', status: 'completed' });
    const text = await simulateText({ app: `${app.url}/sms`, messages: [{ body: 'hi' }, { body: '1' }] });
    const replies = text.events.flatMap((e) => (e.type === 'message' ? [e.body] : []));
    expect(replies).toEqual([expect.stringMatching(/Reply 1/), 'Your order has shipped.']);
  });
});
