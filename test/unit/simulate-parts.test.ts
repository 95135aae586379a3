import { describe, expect, it } from 'vitest';
import { rfc2822, SimClock } from '../../src/simulate/clock.js';
import { mediaType, messageParams, newSid, segments } from '../../src/simulate/params.js';
import { readGather, readMessage, readRecord, readRedirect, readSay } from '../../src/simulate/verbs.js';
import { parseXml, type XmlElement } from '../../src/webhooks/twiml.js';

const el = (source: string): XmlElement => {
  const r = parseXml(source);
  if (!r.ok) throw new Error(r.error);
  return r.root;
};

describe('simulated clock', () => {
  it('advances without waiting; realtime waits for real (a lower bound only)', async () => {
    const clock = new SimClock({ start: new Date('2026-01-01T00:00:00Z') });
    const before = performance.now();
    await clock.advance(3600);
    expect(performance.now() - before).toBeLessThan(1000);
    expect(clock.t).toBe(3600);
    expect(rfc2822(clock.now())).toBe('Thu, 01 Jan 2026 01:00:00 +0000');
    const real = new SimClock({ realtime: true });
    const started = performance.now();
    await real.advance(0.05);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });
});

describe('verb defaults, as Twilio documents them', () => {
  // https://www.twilio.com/docs/voice/twiml/gather#attributes: input dtmf, finishOnKey #, timeout 5, method POST.
  it('Gather', () => {
    expect(readGather(el('<Gather/>'), 'https://a.example/voice')).toEqual({
      input: 'dtmf',
      finishOnKey: '#',
      timeout: 5,
      action: 'https://a.example/voice',
      method: 'POST',
      actionOnEmptyResult: false,
    });
    expect(
      readGather(
        el('<Gather input="dtmf speech" finishOnKey="" numDigits="4" method="get" action="next"/>'),
        'https://a.example/ivr/voice',
      ),
    ).toMatchObject({
      input: 'dtmf speech',
      finishOnKey: '',
      numDigits: 4,
      method: 'GET',
      action: 'https://a.example/ivr/next',
    });
  });
  // https://www.twilio.com/docs/voice/twiml/record#attributes: timeout 5, finishOnKey 1234567890*#, maxLength 3600.
  it('Record', () => {
    expect(readRecord(el('<Record/>'), 'https://a.example/voice')).toMatchObject({
      action: 'https://a.example/voice',
      timeout: 5,
      finishOnKey: '1234567890*#',
      maxLength: 3600,
      recordingStatusCallbackEvent: ['completed'],
    });
  });
  it('Message: text, or Body and Media nouns', () => {
    expect(readMessage(el('<Message to="+1">Hi <b/>there</Message>'), 'https://a.example/sms')).toMatchObject({
      body: 'Hi there',
      media: [],
      to: '+1',
    });
    expect(
      readMessage(el('<Message><Body>A</Body><Media>p.png</Media></Message>'), 'https://a.example/x/sms'),
    ).toMatchObject({ body: 'A', media: ['https://a.example/x/p.png'] });
  });
});

describe('verb readings kept per element', () => {
  it('resolve against the document each reading names, and read a changed element afresh', () => {
    const doc = el('<Response><Redirect method="GET">next</Redirect><Say loop="2">Hi  there</Say></Response>');
    const [redirect, say] = doc.children as [XmlElement, XmlElement];
    expect(readRedirect(redirect, 'http://a.test/x/voice')).toEqual({ url: 'http://a.test/x/next', method: 'GET' });
    expect(readRedirect(redirect, 'http://b.test/y/menu')).toEqual({ url: 'http://b.test/y/next', method: 'GET' });
    expect(readRedirect(redirect, 'http://a.test/x/voice')).toEqual({ url: 'http://a.test/x/next', method: 'GET' });
    expect(readSay(say)).toEqual({ text: 'Hi there', voice: undefined, language: undefined, loop: 2 });
    const other = el('<Say loop="3">Bye</Say>');
    expect(readSay(other).loop).toBe(3);
  });
});

describe('SIDs', () => {
  it('are the prefix and 32 hex digits, and never repeat', () => {
    const sids = Array.from({ length: 2000 }, () => newSid('CA'));
    for (const sid of sids.slice(0, 5)) expect(sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(new Set(sids).size).toBe(sids.length);
  });
});

describe('message parameters', () => {
  it('segments: 160 GSM-7 characters, 153 when split; 70 UCS-2, 67 when split', () => {
    expect(segments('a'.repeat(160))).toBe(1);
    expect(segments('a'.repeat(161))).toBe(2);
    expect(segments('é'.repeat(160))).toBe(1);
    expect(segments('😀'.repeat(70))).toBe(1);
    expect(segments('😀'.repeat(71))).toBe(2);
  });
  it('media content types and numbered parameters', () => {
    expect(mediaType('https://x/a.PNG?size=2')).toBe('image/png');
    const p = messageParams({ accountSid: 'AC1', from: '+1', to: '+2' }, 'SM1', 'hi', [
      'https://x/a.gif',
      'https://x/b.mp4',
    ]);
    expect(p).toMatchObject({
      NumMedia: '2',
      MediaUrl0: 'https://x/a.gif',
      MediaContentType0: 'image/gif',
      MediaUrl1: 'https://x/b.mp4',
      MediaContentType1: 'video/mp4',
    });
  });
});
