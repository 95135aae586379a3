/**
 * What a webhook request is, from Twilio's documented parameters: inbound messages and calls
 * (which expect TwiML back), status callbacks, <Gather> results, recording status, Debugger
 * events and Event Streams deliveries (a JSON array of CloudEvents).
 */
import { parseForm, type FormParams } from './form.js';
import type { HeaderValues } from './signature.js';

export type WebhookKind =
  | 'inbound-sms'
  | 'inbound-mms'
  | 'inbound-call'
  | 'message-status'
  | 'call-status'
  | 'gather'
  | 'recording-status'
  | 'debugger'
  | 'event-streams'
  | 'unknown';

export const WEBHOOK_KINDS: readonly WebhookKind[] = [
  'inbound-sms',
  'inbound-mms',
  'inbound-call',
  'message-status',
  'call-status',
  'gather',
  'recording-status',
  'debugger',
  'event-streams',
  'unknown',
];

export interface ClassifyInput {
  method?: string;
  url: string;
  headers?: HeaderValues;
  /** The raw body as text (form or JSON). */
  body?: string;
}

export interface Classification {
  kind: WebhookKind;
  /** A short human summary: "+1555… → +1501…: Hello", "SM…9f2c delivered". */
  gist: string;
  /** Twilio waits for TwiML in the response: inbound SMS/MMS, inbound calls, <Gather> actions. */
  expectsTwiml: boolean;
  /**
   * The form parameters validateRequest signs: the parsed body of a form POST; empty for GET
   * (its parameters are in the URL, which is signed as is) and for JSON bodies.
   */
  params: FormParams;
}

const EMPTY: FormParams = Object.freeze(Object.create(null)) as FormParams;

function field(params: FormParams, query: FormParams | undefined, name: string): string | undefined {
  const value = params[name] ?? query?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** "+15551234567" → "+1555…": enough to tell numbers apart in a list, short enough for a row. */
function shortNumber(value: string | undefined): string {
  if (!value) return '?';
  return value.length > 8 ? `${value.slice(0, 5)}…` : value;
}

function shortSid(value: string | undefined): string {
  if (!value) return '?';
  return value.length > 8 ? `${value.slice(0, 2)}…${value.slice(-4)}` : value;
}

function clip(text: string, max = 40): string {
  // Cut before collapsing whitespace: a 1,600-character body costs no more than a short one.
  let flat = text.length > max * 4 ? text.slice(0, max * 4) : text;
  if (/\s\s|[^\S ]/.test(flat)) flat = flat.replace(/\s+/g, ' ');
  flat = flat.trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function headerValue(headers: HeaderValues | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

const FINAL_CALL_STATUSES = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);

/** Classifies a request. Cheap: one body parse, a few property lookups. */
export function classify(input: ClassifyInput): Classification {
  const body = input.body ?? '';
  const method = (input.method ?? 'POST').toUpperCase();
  const contentType = headerValue(input.headers, 'content-type') ?? '';
  const first = body.charCodeAt(0);
  // '[' or '{': JSON whatever the header says (Event Streams always sends JSON).
  if (first === 0x5b || first === 0x7b || contentType.includes('json')) {
    return classifyJson(body);
  }
  const params = method === 'GET' || method === 'HEAD' ? EMPTY : parseForm(body);
  let query: FormParams | undefined;
  const q = input.url.indexOf('?');
  if (method === 'GET' || method === 'HEAD' || q !== -1) {
    if (q !== -1) {
      const hash = input.url.indexOf('#', q);
      query = parseForm(input.url.slice(q + 1, hash === -1 ? undefined : hash));
    }
  }
  const get = (name: string) => field(params, query, name);

  if (get('Level') !== undefined && get('Payload') !== undefined && get('Sid') !== undefined) {
    return {
      kind: 'debugger',
      gist: debuggerGist(get('Level')!, get('Payload')!, get('PayloadType')),
      expectsTwiml: false,
      params,
    };
  }
  const recordingSid = get('RecordingSid');
  const recordingStatus = get('RecordingStatus');
  if (recordingSid && recordingStatus) {
    const duration = get('RecordingDuration');
    return {
      kind: 'recording-status',
      gist: `${shortSid(recordingSid)} ${recordingStatus}${duration ? ` (${duration}s)` : ''}`,
      expectsTwiml: false,
      params,
    };
  }
  const callSid = get('CallSid');
  const digits = get('Digits');
  const speech = get('SpeechResult');
  if (callSid && (digits !== undefined || speech !== undefined)) {
    const what = speech !== undefined ? `speech "${clip(speech, 30)}"` : `digits ${digits || '(none)'}`;
    return { kind: 'gather', gist: `${shortSid(callSid)} ${what}`, expectsTwiml: true, params };
  }
  const messageSid = get('MessageSid') ?? get('SmsSid') ?? get('SmsMessageSid');
  if (messageSid) {
    const messageStatus = get('MessageStatus');
    const smsStatus = get('SmsStatus');
    const msgBody = get('Body');
    const numMedia = Number(get('NumMedia') ?? '0') || 0;
    const isInbound =
      (messageStatus === undefined || messageStatus === 'received') &&
      (msgBody !== undefined || get('NumMedia') !== undefined) &&
      (smsStatus === undefined || smsStatus === 'received');
    if (isInbound) {
      const route = `${shortNumber(get('From'))} → ${shortNumber(get('To'))}`;
      if (numMedia > 0) {
        const text = msgBody ? `: ${clip(msgBody)} ` : ' ';
        return { kind: 'inbound-mms', gist: `${route}${text}[${numMedia} media]`, expectsTwiml: true, params };
      }
      return { kind: 'inbound-sms', gist: `${route}: ${clip(msgBody ?? '')}`, expectsTwiml: true, params };
    }
    const status = messageStatus ?? smsStatus;
    if (status) {
      const code = get('ErrorCode');
      return {
        kind: 'message-status',
        gist: `${shortSid(messageSid)} ${status}${code ? ` (${code})` : ''}`,
        expectsTwiml: false,
        params,
      };
    }
  }
  const callStatus = get('CallStatus');
  if (callSid && callStatus) {
    const isStatus =
      get('CallbackSource') !== undefined || get('SequenceNumber') !== undefined || FINAL_CALL_STATUSES.has(callStatus);
    if (isStatus) {
      const duration = get('CallDuration');
      return {
        kind: 'call-status',
        gist: `${shortSid(callSid)} ${callStatus}${duration ? ` (${duration}s)` : ''}`,
        expectsTwiml: false,
        params,
      };
    }
    return {
      kind: 'inbound-call',
      gist: `${shortNumber(get('From'))} → ${shortNumber(get('To'))}: ${callStatus}`,
      expectsTwiml: true,
      params,
    };
  }
  return { kind: 'unknown', gist: unknownGist(params, query), expectsTwiml: false, params };
}

function debuggerGist(level: string, payload: string, payloadType: string | undefined): string {
  let code = '';
  let message = '';
  if (payloadType === undefined || payloadType.includes('json')) {
    try {
      const parsed = JSON.parse(payload) as {
        error_code?: string | number;
        more_info?: { Msg?: string; msg?: string };
      };
      code = parsed.error_code !== undefined ? ` ${parsed.error_code}` : '';
      const msg = parsed.more_info?.Msg ?? parsed.more_info?.msg;
      message = msg ? `: ${clip(msg)}` : '';
    } catch {
      // A payload that is not JSON: the level alone.
    }
  }
  return `${level}${code}${message}`;
}

function unknownGist(params: FormParams, query: FormParams | undefined): string {
  const names = Object.keys(params).length ? Object.keys(params) : Object.keys(query ?? {});
  if (!names.length) return 'no parameters';
  return clip(
    `${names.length} parameter${names.length === 1 ? '' : 's'}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
    60,
  );
}

interface CloudEvent {
  type?: unknown;
  specversion?: unknown;
  data?: unknown;
}

/**
 * The parameters of a form body, when `classify` parsed the body as one (undefined for JSON
 * bodies, GET and HEAD): exactly parseForm(body), for verifyRequest's `params` option.
 */
export function bodyFormParams(c: Classification): FormParams | undefined {
  return c.params === EMPTY ? undefined : c.params;
}

function classifyJson(body: string): Classification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'unknown', gist: 'JSON body that does not parse', expectsTwiml: false, params: EMPTY };
  }
  const events = (Array.isArray(parsed) ? parsed : [parsed]) as CloudEvent[];
  const types = events.map((e) => (e && typeof e === 'object' && typeof e.type === 'string' ? e.type : undefined));
  if (events.length && types.every((t) => t?.startsWith('com.twilio'))) {
    const counts = new Map<string, number>();
    for (const t of types) counts.set(t!, (counts.get(t!) ?? 0) + 1);
    const summary = [...counts].map(([type, n]) => `${type} ×${n}`).join(', ');
    const gist =
      events.length === 1 ? `Event Streams event: ${types[0]}` : `Event Streams batch of ${events.length}: ${summary}`;
    return { kind: 'event-streams', gist: clip(gist, 120), expectsTwiml: false, params: EMPTY };
  }
  return {
    kind: 'unknown',
    gist: Array.isArray(parsed) ? `JSON array of ${events.length}` : 'JSON object',
    expectsTwiml: false,
    params: EMPTY,
  };
}

/**
 * Whether a request carries anything of Twilio's: a kind Twilio sends, its signature header, an
 * `I-Twilio-*` header, Twilio's user agent, or the AccountSid parameter Twilio puts in every
 * webhook. A HAR file records everything a browser or proxy saw (a `GET /favicon.ico`): what
 * has none of these is not a webhook to verify.
 */
export function looksLikeTwilio(input: ClassifyInput, classification: Classification): boolean {
  if (classification.kind !== 'unknown') return true;
  const headers = input.headers ?? {};
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (lower === 'x-twilio-signature' || lower.startsWith('i-twilio-')) return true;
  }
  if (/twilio/i.test(headerValue(input.headers, 'user-agent') ?? '')) return true;
  if (classification.params.AccountSid !== undefined) return true;
  const q = input.url.indexOf('?');
  return q !== -1 && /(^|&)(AccountSid|bodySHA256)=/.test(input.url.slice(q + 1));
}
