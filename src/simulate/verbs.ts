/**
 * Reading TwiML verbs into what the simulator shows: each function takes an element and the
 * document's URL and gives the verb's settings with Twilio's defaults filled in. Shared by the
 * engine (voice.ts, messaging.ts) and describeAnswer (describe.ts). Defaults as Twilio's verb pages
 * state them: https://www.twilio.com/docs/voice/twiml/{say,play,pause,gather,record,dial,enqueue,redirect}.
 */
import { textContent, type XmlElement } from '../webhooks/twiml.js';

/**
 * A reader that keeps its last reading of each element: the simulator runs the same parsed
 * documents (shared between calls, frozen) call after call, and reading a verb (its text, its
 * URLs resolved with new URL) is pure in the element and the document's URL. Callers copy the
 * fields they use and never change a reading.
 */
function remembered<T>(read: (el: XmlElement, docUrl: string) => T): (el: XmlElement, docUrl?: string) => T {
  const last = new WeakMap<XmlElement, { docUrl: string; value: T }>();
  return (el, docUrl = '') => {
    const seen = last.get(el);
    if (seen !== undefined && seen.docUrl === docUrl) return seen.value;
    const value = read(el, docUrl);
    last.set(el, { docUrl, value });
    return value;
  };
}

export function attr(el: XmlElement, name: string): string | undefined {
  const v = el.attributes[name];
  return v === undefined ? undefined : v.trim();
}

export function intAttr(el: XmlElement, name: string, fallback: number): number {
  const raw = attr(el, name);
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : fallback;
}

export function boolAttr(el: XmlElement, name: string, fallback: boolean): boolean {
  const raw = attr(el, name)?.toLowerCase();
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return fallback;
}

export function methodAttr(el: XmlElement, name = 'method', fallback: 'GET' | 'POST' = 'POST'): 'GET' | 'POST' {
  const raw = attr(el, name)?.toUpperCase();
  return raw === 'GET' || raw === 'POST' ? raw : fallback;
}

/** A relative or absolute URL from TwiML, resolved against the current document as a browser would. */
export function resolveUrl(ref: string, base: string): string {
  try {
    return new URL(ref, base).href;
  } catch {
    return ref;
  }
}

/** `action`, or the current document's URL when it is absent or empty (Gather, Record). */
export function actionOrDocument(el: XmlElement, docUrl: string): string {
  const action = attr(el, 'action');
  return action ? resolveUrl(action, docUrl) : docUrl;
}

export function optionalAction(el: XmlElement, docUrl: string, name = 'action'): string | undefined {
  const action = attr(el, name);
  return action ? resolveUrl(action, docUrl) : undefined;
}

export interface SayVerb {
  text: string;
  voice?: string;
  language?: string;
  loop: number;
}

export const readSay: (el: XmlElement) => SayVerb = remembered(function readSay(el: XmlElement): SayVerb {
  return {
    text: textContent(el),
    voice: attr(el, 'voice') || undefined,
    language: attr(el, 'language') || undefined,
    loop: intAttr(el, 'loop', 1),
  };
});

export interface PlayVerb {
  url?: string;
  loop: number;
  digits?: string;
}

export const readPlay = remembered(function readPlay(el: XmlElement, docUrl: string): PlayVerb {
  const text = textContent(el);
  const digits = attr(el, 'digits');
  return {
    ...(text ? { url: resolveUrl(text, docUrl) } : {}),
    loop: intAttr(el, 'loop', 1),
    ...(digits ? { digits } : {}),
  };
});

export const readPause: (el: XmlElement) => { length: number } = remembered(function readPause(el: XmlElement) {
  return { length: intAttr(el, 'length', 1) };
});

export interface GatherVerb {
  input: string;
  numDigits?: number;
  finishOnKey: string;
  timeout: number;
  action: string;
  method: 'GET' | 'POST';
  actionOnEmptyResult: boolean;
}

export const readGather = remembered(function readGather(el: XmlElement, docUrl: string): GatherVerb {
  const numDigits = intAttr(el, 'numDigits', 0);
  const finishOnKey = el.attributes.finishOnKey;
  return {
    input: (attr(el, 'input') || 'dtmf').split(/\s+/).filter(Boolean).join(' '),
    ...(numDigits > 0 ? { numDigits } : {}),
    // finishOnKey="" turns the key off; absent means '#'.
    finishOnKey: finishOnKey === undefined ? '#' : finishOnKey.trim(),
    timeout: intAttr(el, 'timeout', 5),
    action: actionOrDocument(el, docUrl),
    method: methodAttr(el),
    actionOnEmptyResult: boolAttr(el, 'actionOnEmptyResult', false),
  };
});

export interface RecordVerb {
  action: string;
  method: 'GET' | 'POST';
  timeout: number;
  finishOnKey: string;
  maxLength: number;
  recordingStatusCallback?: string;
  recordingStatusCallbackMethod: 'GET' | 'POST';
  recordingStatusCallbackEvent: string[];
}

export function readRecord(el: XmlElement, docUrl: string): RecordVerb {
  const finishOnKey = el.attributes.finishOnKey;
  return {
    action: actionOrDocument(el, docUrl),
    method: methodAttr(el),
    timeout: intAttr(el, 'timeout', 5),
    finishOnKey: finishOnKey === undefined ? '1234567890*#' : finishOnKey.trim(),
    maxLength: intAttr(el, 'maxLength', 3600),
    recordingStatusCallback: optionalAction(el, docUrl, 'recordingStatusCallback'),
    recordingStatusCallbackMethod: methodAttr(el, 'recordingStatusCallbackMethod'),
    recordingStatusCallbackEvent: (attr(el, 'recordingStatusCallbackEvent') || 'completed')
      .split(/[\s,]+/)
      .filter(Boolean),
  };
}

export interface DialVerb {
  to: string[];
  action?: string;
  method: 'GET' | 'POST';
  timeout: number;
  timeLimit: number;
  callerId?: string;
  /** The first noun's kind: number, client, sip, conference, queue, … */
  kind: string;
  /** do-not-record, record-from-answer, record-from-ringing, and their -dual forms. */
  record: string;
  recordingStatusCallback?: string;
  recordingStatusCallbackMethod: 'GET' | 'POST';
  recordingStatusCallbackEvent: string[];
  /**
   * The first party's `url` (<Number>, <Client>, <Sip>): TwiML run for the called party when they
   * answer, before the parties are connected (a whisper).
   */
  whisper?: { to: string; url: string; method: 'GET' | 'POST' };
}

const RECORD_MODES = [
  'do-not-record',
  'record-from-answer',
  'record-from-ringing',
  'record-from-answer-dual',
  'record-from-ringing-dual',
];

/** Dial's record attribute: `true` is the old spelling of record-from-answer. */
function recordMode(el: XmlElement): string {
  const raw = attr(el, 'record')?.toLowerCase();
  if (raw === 'true') return 'record-from-answer';
  return raw && RECORD_MODES.includes(raw) ? raw : 'do-not-record';
}

const DIAL_NOUNS: Record<string, string> = {
  Number: '',
  Client: 'client:',
  Sip: '',
  Conference: 'conference:',
  Queue: 'queue:',
  Sim: 'sim:',
  Application: 'application:',
  WhatsApp: 'whatsapp:',
};

export function readDial(el: XmlElement, docUrl: string): DialVerb {
  const to: string[] = [];
  let kind = 'number';
  const nouns = el.children.filter((child) => child.name in DIAL_NOUNS);
  if (!nouns.length) {
    const text = textContent(el);
    if (text) to.push(text);
  }
  nouns.forEach((noun, i) => {
    // <Client><Identity>alice</Identity><Parameter …/></Client>, or <Client>alice</Client>.
    const identity = noun.name === 'Client' ? noun.children.find((c) => c.name === 'Identity') : undefined;
    const target = textContent(identity ?? { ...noun, content: noun.content.filter((c) => typeof c === 'string') });
    const prefix = DIAL_NOUNS[noun.name]!;
    to.push(target.startsWith(prefix) ? target : prefix + target);
    if (i === 0) kind = noun.name.toLowerCase();
  });
  const first = nouns[0];
  const whisperUrl =
    first && ['Number', 'Client', 'Sip'].includes(first.name) ? optionalAction(first, docUrl, 'url') : undefined;
  return {
    to,
    action: optionalAction(el, docUrl),
    method: methodAttr(el),
    timeout: intAttr(el, 'timeout', 30),
    timeLimit: intAttr(el, 'timeLimit', 14400),
    callerId: attr(el, 'callerId') || undefined,
    kind,
    record: recordMode(el),
    recordingStatusCallback: optionalAction(el, docUrl, 'recordingStatusCallback'),
    recordingStatusCallbackMethod: methodAttr(el, 'recordingStatusCallbackMethod'),
    recordingStatusCallbackEvent: (attr(el, 'recordingStatusCallbackEvent') || 'completed')
      .split(/[\s,]+/)
      .filter(Boolean),
    ...(whisperUrl && first ? { whisper: { to: to[0]!, url: whisperUrl, method: methodAttr(first) } } : {}),
  };
}

export interface EnqueueVerb {
  queue: string;
  action?: string;
  method: 'GET' | 'POST';
  waitUrl?: string;
  waitUrlMethod: 'GET' | 'POST';
}

export function readEnqueue(el: XmlElement, docUrl: string): EnqueueVerb {
  const task = el.children.find((c) => c.name === 'Task');
  const queue = task ? (attr(el, 'workflowSid') ?? 'task') : textContent(el);
  return {
    queue,
    action: optionalAction(el, docUrl),
    method: methodAttr(el),
    waitUrl: optionalAction(el, docUrl, 'waitUrl'),
    waitUrlMethod: methodAttr(el, 'waitUrlMethod'),
  };
}

export const readRedirect = remembered(function readRedirect(
  el: XmlElement,
  docUrl: string,
): { url: string; method: 'GET' | 'POST' } | undefined {
  const text = textContent(el);
  return text ? { url: resolveUrl(text, docUrl), method: methodAttr(el) } : undefined;
});

export interface MessageVerb {
  body: string;
  media: string[];
  to?: string;
  from?: string;
  action?: string;
  method: 'GET' | 'POST';
  statusCallback?: string;
}

export function readMessage(el: XmlElement, docUrl: string): MessageVerb {
  const bodies = el.children.filter((c) => c.name === 'Body');
  const media = el.children.filter((c) => c.name === 'Media').map((m) => resolveUrl(textContent(m), docUrl));
  // Text directly inside <Message> is the body unless <Body> is used.
  const body = bodies.length
    ? bodies.map(textContent).join('')
    : textContent({ ...el, content: el.content.filter((c) => typeof c === 'string') });
  return {
    body,
    media,
    to: attr(el, 'to') || undefined,
    from: attr(el, 'from') || undefined,
    action: optionalAction(el, docUrl),
    method: methodAttr(el),
    statusCallback: optionalAction(el, docUrl, 'statusCallback'),
  };
}

/** Rough speaking time of a <Say>: about 2.5 words a second. */
export function sayingSeconds(text: string): number {
  const words = text.split(/\s+/).filter(Boolean).length;
  return Math.round((words / 2.5) * 10) / 10;
}
