// The simulator's messaging engine against a real app on 127.0.0.1, each rule against Twilio's
// messaging docs (https://www.twilio.com/docs/messaging/twiml).
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { simulateText } from '../../src/simulate/index.js';
import { conversationJar, CONVERSATION_TTL_MS } from '../../src/simulate/cookies.js';
import type { SimEvent } from '../../src/simulate/events.js';
import { startIvrApp, type IvrApp } from '../support/ivr-app.js';

const TOKEN = '12345678901234567890123456789012';
let app: IvrApp;
afterEach(async () => app?.close());

const replies = (events: SimEvent[]) =>
  events.filter((e) => e.type === 'message').map((e) => (e as { body: string }).body);

describe('simulateText', () => {
  // https://www.twilio.com/docs/messaging/guides/webhook-request: MessageSid, SmsSid,
  // SmsMessageSid, AccountSid, From, To, Body, NumMedia, NumSegments, MediaUrlN, MediaContentTypeN.
  it('sends each message with the parameters Twilio sends, signed, and reads the replies', async () => {
    app = await startIvrApp({ authToken: TOKEN });
    const r = await simulateText({
      app: `${app.url}/sms`,
      authToken: TOKEN,
      messages: [{ body: 'hi', media: ['https://example.com/cat.png'] }],
    });
    expect(app.seen[0]!.valid).toBe(true);
    const p = app.seen[0]!.params;
    expect(p).toMatchObject({
      Body: 'hi',
      NumMedia: '1',
      NumSegments: '1',
      MediaUrl0: 'https://example.com/cat.png',
      MediaContentType0: 'image/png',
      SmsStatus: 'received',
      From: '+15558675310',
      To: '+15017122661',
    });
    expect(p.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(p.SmsSid).toBe(p.MessageSid);
    expect(p.SmsMessageSid).toBe(p.MessageSid);
    expect(r.events.map((e) => e.type)).toEqual(['inbound', 'request', 'message', 'end']);
    expect(r.events[2]).toMatchObject({
      from: '+15017122661',
      to: '+15558675310',
      body: 'Hi! Reply 1 for order status, 2 for opening hours.',
      media: [],
    });
    expect(r.ok).toBe(true);
  });

  // https://www.twilio.com/docs/messaging/twiml (cookies): Twilio keeps a conversation's cookies
  // per From/To pair for four hours; twhook keeps them across runs in a file with mode 0600.
  it('keeps the conversation cookie across messages and across runs; newConversation forgets it', async () => {
    app = await startIvrApp({ authToken: TOKEN });
    const dir = mkdtempSync(join(tmpdir(), 'twhook-sim-'));
    const cookieFile = join(dir, 'simulate', 'conversations.json');
    const first = await simulateText({
      app: `${app.url}/sms`,
      authToken: TOKEN,
      cookieFile,
      messages: [{ body: 'hi' }],
    });
    expect(replies(first.events)).toEqual(['Hi! Reply 1 for order status, 2 for opening hours.']);
    expect(statSync(cookieFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(cookieFile, 'utf8')).toContain('+15558675310|+15017122661');
    const second = await simulateText({
      app: `${app.url}/sms`,
      authToken: TOKEN,
      cookieFile,
      messages: [{ body: '2' }],
    });
    expect(replies(second.events)).toEqual(['We are open 9 to 5.']);
    expect(second.events.find((e) => e.type === 'message')).toMatchObject({ media: ['https://example.com/hours.png'] });
    expect(app.seen[1]!.headers.cookie).toBe('step=menu');
    const fresh = await simulateText({
      app: `${app.url}/sms`,
      authToken: TOKEN,
      cookieFile,
      newConversation: true,
      messages: [{ body: '2' }],
    });
    expect(replies(fresh.events)).toEqual(['Hi! Reply 1 for order status, 2 for opening hours.']);
    // Another sender is another conversation.
    const other = await simulateText({
      app: `${app.url}/sms`,
      authToken: TOKEN,
      cookieFile,
      from: '+15550001111',
      messages: [{ body: '1' }],
    });
    expect(replies(other.events)).toEqual(['Hi! Reply 1 for order status, 2 for opening hours.']);
  });

  it('forgets a conversation four hours after its last message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'twhook-sim-'));
    const file = join(dir, 'c.json');
    const at = new Date('2026-01-01T10:00:00Z');
    const c = conversationJar({ file, from: 'a', to: 'b', now: at });
    c.jar.setCookieSync('step=menu', 'http://127.0.0.1/sms');
    c.save(at);
    expect(
      conversationJar({ file, from: 'a', to: 'b', now: new Date(at.getTime() + CONVERSATION_TTL_MS - 1000) }).resumed,
    ).toBe(true);
    expect(
      conversationJar({ file, from: 'a', to: 'b', now: new Date(at.getTime() + CONVERSATION_TTL_MS) }).resumed,
    ).toBe(false);
  });

  // https://www.twilio.com/docs/messaging/twiml#twilio-understands-mime-types: text/plain is sent
  // back as a message; an empty 204 sends nothing.
  it('text/plain is the reply; 204 is no reply', async () => {
    app = await startIvrApp({ authToken: TOKEN });
    const plain = await simulateText({ app: `${app.url}/sms-plain`, authToken: TOKEN, messages: [{ body: 'yo' }] });
    expect(replies(plain.events)).toEqual(['Got "yo"']);
    const silent = await simulateText({ app: `${app.url}/sms-silent`, authToken: TOKEN, messages: [{ body: 'yo' }] });
    expect(silent.events.map((e) => e.type)).toEqual(['inbound', 'request', 'end']);
    expect(silent.ok).toBe(true);
  });

  // https://www.twilio.com/docs/messaging/guides/track-outbound-message-status: queued, sent,
  // delivered (or undelivered with an ErrorCode).
  it('reports delivery to the status callback in Twilio order', async () => {
    app = await startIvrApp({ authToken: TOKEN });
    const r = await simulateText({
      app: { url: `${app.url}/sms`, statusCallback: { url: `${app.url}/message-status` } },
      authToken: TOKEN,
      delivery: 'undelivered',
      messages: [{ body: 'hi' }],
    });
    const callbacks = r.events.filter((e) => e.type === 'callback') as Array<Extract<SimEvent, { type: 'callback' }>>;
    expect(callbacks.map((c) => c.params.MessageStatus)).toEqual(['queued', 'sent', 'undelivered']);
    expect(callbacks[2]!.params.ErrorCode).toBe('30003');
    expect(callbacks.every((c) => c.kind === 'message-status' && c.status === 204)).toBe(true);
  });

  it('a 500 goes to the fallback with ErrorCode and ErrorUrl; without one, an error and no reply', async () => {
    app = await startIvrApp({ authToken: TOKEN });
    const r = await simulateText({
      app: { url: `${app.url}/broken`, fallback: { url: `${app.url}/sms-plain` } },
      authToken: TOKEN,
      messages: [{ body: 'x' }],
    });
    expect(r.events.find((e) => e.type === 'error')).toMatchObject({ code: 11200 });
    expect(app.seen[1]!.params).toMatchObject({ ErrorCode: '11200', ErrorUrl: `${app.url}/broken`, Body: 'x' });
    expect(replies(r.events)).toEqual(['Got "x"']);
    expect(r.ok).toBe(false);
    const bare = await simulateText({ app: `${app.url}/json`, authToken: TOKEN, messages: [{ body: 'x' }] });
    expect(bare.events.map((e) => e.type)).toEqual(['inbound', 'request', 'error', 'end']);
  });
});
