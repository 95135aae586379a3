/**
 * describeAnswer: what a caller would hear, or a texter would read, from one answer of the app,
 * without making any request (the inspector shows it beside each captured answer). Verbs that
 * wait for the caller show no result; action, Redirect and waitUrl are named, not followed.
 */
import { inspectTwimlAnswer, type XmlElement } from '../webhooks/twiml.js';
import type { SimEvent } from './events.js';
import {
  readDial,
  readEnqueue,
  readGather,
  readMessage,
  readPause,
  readPlay,
  readRecord,
  readRedirect,
  readSay,
} from './verbs.js';

export type Channel = 'voice' | 'messaging';

/**
 * The events one answer produces, at t 0, for a 200 answer with this body and content type.
 * `url` is the request's URL, the base of relative URLs (default http://localhost/).
 */
export function describeAnswer(
  body: string | Uint8Array,
  contentType: string | undefined,
  channel: Channel,
  url = 'http://localhost/',
): SimEvent[] {
  const inspection = inspectTwimlAnswer({ status: 200, contentType, body, channel });
  const events: SimEvent[] = [];
  if (!inspection.check.ok) {
    const error = inspection.check.twilioError ?? { code: 12100, message: 'Document parse failure' };
    events.push({ type: 'error', t: 0, code: error.code, message: inspection.check.problems[0] ?? error.message, url });
    return events;
  }
  if (inspection.kind === 'audio')
    return [
      { type: 'play', t: 0, url, loop: 1 },
      { type: 'hangup', t: 0 },
    ];
  if (inspection.kind === 'text') {
    const text = inspection.text ?? '';
    if (channel === 'voice')
      return [
        { type: 'say', t: 0, text: text.replace(/\s+/g, ' ').trim(), loop: 1 },
        { type: 'hangup', t: 0 },
      ];
    return [{ type: 'message', t: 0, from: '', to: '', body: text, media: [] }];
  }
  for (const el of inspection.root?.children ?? []) {
    if (channel === 'voice') describeVoiceVerb(el, url, events);
    else describeMessagingVerb(el, url, events);
  }
  return events;
}

function describeVoiceVerb(el: XmlElement, url: string, events: SimEvent[]): void {
  switch (el.name) {
    case 'Say': {
      const say = readSay(el);
      events.push({
        type: 'say',
        t: 0,
        text: say.text,
        ...(say.voice ? { voice: say.voice } : {}),
        ...(say.language ? { language: say.language } : {}),
        loop: say.loop,
      });
      return;
    }
    case 'Play': {
      const play = readPlay(el, url);
      events.push({
        type: 'play',
        t: 0,
        ...(play.url ? { url: play.url } : {}),
        loop: play.loop,
        ...(play.digits ? { digits: play.digits } : {}),
      });
      return;
    }
    case 'Pause':
      events.push({ type: 'pause', t: 0, ...readPause(el) });
      return;
    case 'Gather': {
      for (const child of el.children) describeVoiceVerb(child, url, events);
      const g = readGather(el, url);
      events.push({
        type: 'gather',
        t: 0,
        input: g.input,
        ...(g.numDigits ? { numDigits: g.numDigits } : {}),
        finishOnKey: g.finishOnKey,
        timeout: g.timeout,
        action: g.action,
        result: null,
      });
      return;
    }
    case 'Record': {
      const r = readRecord(el, url);
      events.push({ type: 'record', t: 0, action: r.action, maxLength: r.maxLength, result: { duration: 0 } });
      return;
    }
    case 'Dial': {
      const d = readDial(el, url);
      events.push({
        type: 'dial',
        t: 0,
        to: d.to,
        ...(d.action ? { action: d.action } : {}),
        outcome: 'completed',
        duration: 0,
      });
      return;
    }
    case 'Enqueue': {
      const q = readEnqueue(el, url);
      events.push({ type: 'enqueue', t: 0, queue: q.queue, ...(q.waitUrl ? { waitUrl: q.waitUrl } : {}), result: '' });
      return;
    }
    case 'Redirect': {
      const r = readRedirect(el, url);
      if (r) events.push({ type: 'redirect', t: 0, url: r.url, method: r.method });
      return;
    }
    case 'Hangup':
      events.push({ type: 'hangup', t: 0 });
      return;
    case 'Reject':
      events.push({ type: 'reject', t: 0, reason: el.attributes.reason?.trim() === 'busy' ? 'busy' : 'rejected' });
      return;
    case 'Leave':
      return;
    default:
      events.push({ type: 'unsupported', t: 0, verb: el.name });
  }
}

function describeMessagingVerb(el: XmlElement, url: string, events: SimEvent[]): void {
  if (el.name === 'Message') {
    const m = readMessage(el, url);
    events.push({ type: 'message', t: 0, from: m.from ?? '', to: m.to ?? '', body: m.body, media: m.media });
  } else if (el.name === 'Redirect') {
    const r = readRedirect(el, url);
    if (r) events.push({ type: 'redirect', t: 0, url: r.url, method: r.method });
  } else {
    events.push({ type: 'unsupported', t: 0, verb: el.name });
  }
}
