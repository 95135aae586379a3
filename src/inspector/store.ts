/**
 * What the web inspector knows: the last N requests (a dev session's, or read from capture files),
 * each as its capture record plus what twhook made of it (kind, gist, verdict, TwiML check), and
 * the conversation it belongs to. Memory is bounded: older requests are dropped (the capture file
 * keeps them all) and the page says how many.
 */
import { bodyText, header, redactHeaders, redactUrl, type CaptureRecord } from '../capture/format.js';
import type { RequestEvent, SignatureVerdict } from '../dev/events.js';
import { describeRecord } from '../replay/select.js';
import type { FormParams } from '../webhooks/form.js';
import { capturedCredentials, verifyWithBasicAuth, type BasicAuth } from '../webhooks/basic-auth.js';
import { checkTwimlAnswer, type TwilioErrorRef, type TwimlCheck } from '../webhooks/twiml.js';

/** How many requests the inspector keeps in memory by default. */
export const DEFAULT_KEEP = 1000;

/** One conversation: a call (with its Gathers, Redirects, status callbacks) or the messages between two numbers. */
export interface Conversation {
  /** `call:CA…`, `message:SM…` or `pair:+1555…|+1666…`. */
  key: string;
  type: 'call' | 'messages';
  /** "Call +15551234567 → +15017122661", "+15551234567 ↔ +15017122661". */
  label: string;
}

/** One line of the list (`GET /api/requests`): the fields the issue names, plus what the page draws. */
export interface RequestSummary {
  id: string;
  /** 1, 2, 3... in arrival (or file) order. */
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  kind: string;
  gist: string;
  verdict: { status: SignatureVerdict['status']; reason: string };
  /** The answer the caller got; null when none was captured. */
  response: { status: number; ms: number | null } | null;
  /** dev only: what became of the request at the proxy (answered, app-down, timeout...). */
  outcome?: string;
  failure?: string;
  /** The id of the request Twilio retried (same idempotency token). */
  retryOf?: string;
  /** The id of the request this one replays (sent from the inspector). */
  replayOf?: string;
  expectsTwiml: boolean;
  /** The TwiML check passed (true), failed (false), or did not apply (absent). */
  twimlOk?: boolean;
  twilioError?: TwilioErrorRef;
  contentType?: string;
  conversation?: Conversation;
  warnings?: string[];
}

export interface InspectorEntry {
  summary: RequestSummary;
  /** Credentials redacted, as in a capture file. */
  record: CaptureRecord;
  twiml?: TwimlCheck;
  channel?: 'voice' | 'messaging';
  /** The parsed form, kept for records read from files; a dev session's is parsed when asked for. */
  params?: FormParams;
}

/** What a dev session's inspection made of a request (src/dev/server.ts's Inspection). */
export interface EventInspection {
  expectsTwiml: boolean;
  channel?: 'voice' | 'messaging';
  params?: FormParams;
}

export type StoreEvent = { type: 'request'; request: RequestSummary } | { type: 'dropped'; dropped: number };

export interface StoreOptions {
  keep?: number;
}

export class InspectorStore {
  private readonly entries = new Map<string, InspectorEntry>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private seq = 0;
  readonly keep: number;
  /** Requests no longer in memory. */
  dropped = 0;

  constructor(options: StoreOptions = {}) {
    this.keep = Math.max(1, options.keep ?? DEFAULT_KEEP);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every entry in memory, oldest first. */
  list(): InspectorEntry[] {
    return [...this.entries.values()];
  }

  get(id: string): InspectorEntry | undefined {
    return this.entries.get(id);
  }

  /**
   * A dev session's request, with the record the session built for it and, when the session
   * gives it, what its inspection made of the request (its form parsed once, not again here).
   */
  addEvent(event: RequestEvent, record: CaptureRecord, inspection?: EventInspection): InspectorEntry {
    const safe = safeRecord(record);
    let channel: 'voice' | 'messaging' | false;
    let params: FormParams | undefined;
    if (inspection) {
      channel = inspection.expectsTwiml ? (inspection.channel ?? 'messaging') : false;
      params = inspection.params;
    } else {
      const described = describeRecord(safe);
      channel = described.expectsTwiml;
      params = described.params;
    }
    // Assigned in the key order of addRecord's summaries (no spreads: one summary a request);
    // expectsTwiml comes after the optional fields before it.
    const summary = {
      id: safe.id,
      seq: ++this.seq,
      receivedAt: event.time,
      method: event.request.method,
      path: event.request.path,
      kind: event.kind,
      gist: event.gist,
      verdict: { status: event.verdict.status, reason: event.verdict.reason },
      response: { status: event.status, ms: Math.round(event.latencyMs) },
      outcome: event.outcome,
    } as RequestSummary;
    if (event.failure) summary.failure = event.failure;
    if (safe.retryOf) summary.retryOf = safe.retryOf;
    const replayOf = header(safe.headers, 'x-twhook-replay');
    if (replayOf) summary.replayOf = replayOf;
    summary.expectsTwiml = event.expectsTwiml;
    if (event.twiml) summary.twimlOk = event.twiml.ok;
    if (event.twilioError) summary.twilioError = event.twilioError;
    if (event.response?.contentType) summary.contentType = event.response.contentType;
    if (event.warnings.length) summary.warnings = event.warnings;
    const conversation = conversationOf(params, safe);
    if (conversation) summary.conversation = conversation;
    // Not the parsed form: a session keeps the last thousand entries, each would hold a few dozen
    // more objects for the collector to copy and promote; a page that opens one parses its body.
    const entry: InspectorEntry = { summary, record: safe };
    if (event.twiml) entry.twiml = event.twiml;
    if (channel) entry.channel = channel;
    return this.put(entry);
  }

  /** A record read from a capture file: classified, verified (with `authTokens`) and checked here. */
  addRecord(record: CaptureRecord, authTokens: readonly string[] = [], basicAuth?: BasicAuth): InspectorEntry {
    const safe = safeRecord(record);
    const seq = this.seq + 1;
    if (!safe.id || this.entries.has(safe.id)) safe.id = `${safe.id || 'req'}-${seq}`;
    const described = describeRecord(safe);
    const response = safe.response;
    let twiml: TwimlCheck | undefined;
    if (described.expectsTwiml && response) {
      twiml = checkTwimlAnswer({
        status: response.status,
        contentType: header(response.headers, 'content-type') ?? null,
        body: bodyText(response),
        channel: described.expectsTwiml,
      });
    }
    let path = safe.url;
    try {
      const url = new URL(safe.url);
      path = url.pathname + url.search;
    } catch {
      // A relative URL is its own path.
    }
    const summary: RequestSummary = {
      id: safe.id,
      seq: ++this.seq,
      receivedAt: safe.receivedAt,
      method: safe.method,
      path,
      kind: described.kind,
      gist: described.gist,
      verdict: recordVerdict(safe, described.params, authTokens, basicAuth),
      response: response ? { status: response.status, ms: response.ms ?? null } : null,
      ...(safe.note ? { failure: safe.note } : {}),
      ...(safe.retryOf ? { retryOf: safe.retryOf } : {}),
      ...(header(safe.headers, 'x-twhook-replay') ? { replayOf: header(safe.headers, 'x-twhook-replay') } : {}),
      expectsTwiml: !!described.expectsTwiml,
      ...(twiml ? { twimlOk: twiml.ok, ...(twiml.twilioError ? { twilioError: twiml.twilioError } : {}) } : {}),
      ...(response && header(response.headers, 'content-type')
        ? { contentType: header(response.headers, 'content-type') }
        : {}),
    };
    const conversation = conversationOf(described.params, safe);
    if (conversation) summary.conversation = conversation;
    return this.put({
      summary,
      record: safe,
      ...(twiml ? { twiml } : {}),
      ...(described.expectsTwiml ? { channel: described.expectsTwiml } : {}),
      ...(described.params ? { params: described.params } : {}),
    });
  }

  /** Calls `listener` with every new request and drop; returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private put(entry: InspectorEntry): InspectorEntry {
    this.entries.set(entry.summary.id, entry);
    let dropped = 0;
    while (this.entries.size > this.keep) {
      this.entries.delete(this.entries.keys().next().value!);
      dropped++;
    }
    this.dropped += dropped;
    for (const listener of this.listeners) {
      listener({ type: 'request', request: entry.summary });
      if (dropped) listener({ type: 'dropped', dropped: this.dropped });
    }
    return entry;
  }
}

const RESPONSE_SECRET_HEADERS = ['set-cookie', 'authorization'];

/**
 * The record as a capture file would hold it: no password in the URL, no Authorization value.
 * The record itself when it holds none (a dev session's records never do): the store changes
 * nothing in it.
 */
function safeRecord(record: CaptureRecord): CaptureRecord {
  const url = record.url.indexOf('@') === -1 ? record.url : redactUrl(record.url);
  const credentialedUrl = record.credentialedUrl === undefined ? undefined : redactUrl(record.credentialedUrl);
  const headers = redactHeaders(record.headers);
  const response = record.response;
  const responseHeaders = response?.headers && redactHeaders(response.headers, RESPONSE_SECRET_HEADERS);
  if (
    url === record.url &&
    credentialedUrl === record.credentialedUrl &&
    headers === record.headers &&
    responseHeaders === response?.headers
  )
    return record;
  const copy: CaptureRecord = { ...record, url, headers };
  if (credentialedUrl !== undefined) copy.credentialedUrl = credentialedUrl;
  if (response?.headers) copy.response = { ...response, headers: responseHeaders };
  return copy;
}

function recordVerdict(
  record: CaptureRecord,
  params: FormParams | undefined,
  authTokens: readonly string[],
  basicAuth: BasicAuth | undefined,
): RequestSummary['verdict'] {
  if (!authTokens.length)
    return {
      status: 'unchecked',
      reason: 'no auth token to check signatures with: set TWILIO_AUTH_TOKEN or pass --auth-token',
    };
  try {
    new URL(record.url);
  } catch {
    return { status: 'unchecked', reason: `the captured URL ${JSON.stringify(record.url)} is not absolute` };
  }
  // The verdict dev's live view gave, with the credentials of its --basic-auth session if given.
  const v = verifyWithBasicAuth(
    {
      url: record.url,
      signature: header(record.headers, 'x-twilio-signature'),
      body: record.bodyBase64 !== undefined ? Buffer.from(record.bodyBase64, 'base64') : (record.body ?? ''),
      headers: record.headers,
      authTokens,
      method: record.method,
      ...(params ? { params } : {}),
    },
    capturedCredentials(record, basicAuth),
  );
  return { status: v.verdict, reason: v.reason ?? (v.valid ? 'signature matches' : 'invalid signature') };
}

function param(params: FormParams | undefined, query: URLSearchParams | undefined, name: string): string | undefined {
  const value = params?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first ?? query?.get(name) ?? undefined;
}

/**
 * The conversation of a request. A call is its CallSid (a <Dial>ed child call joins its parent's);
 * messages go by the two numbers, whichever way they flow, so a reply's status callbacks sit with
 * the message that started it; a message without numbers goes by its MessageSid.
 */
export function conversationOf(
  params: FormParams | undefined,
  record: Pick<CaptureRecord, 'url' | 'method'>,
): Conversation | undefined {
  let query: URLSearchParams | undefined;
  const q = record.url.indexOf('?');
  if (q !== -1) query = new URLSearchParams(record.url.slice(q + 1).split('#')[0]);
  const get = (name: string) => param(params, query, name);
  const from = get('From');
  const to = get('To');
  const callSid = get('ParentCallSid') ?? get('CallSid');
  if (callSid) {
    const direction = get('Direction');
    const route = from && to ? ` ${from} → ${to}` : '';
    return {
      key: `call:${callSid}`,
      type: 'call',
      label: `Call${direction?.startsWith('outbound') ? ' (outbound)' : ''}${route}`,
    };
  }
  const messageSid = get('MessageSid') ?? get('SmsSid') ?? get('SmsMessageSid');
  if (!messageSid) return undefined;
  if (from && to) {
    const [a, b] = [strip(from), strip(to)].sort();
    return { key: `pair:${a}|${b}`, type: 'messages', label: `Messages ${a} ↔ ${b}` };
  }
  return { key: `message:${messageSid}`, type: 'messages', label: `Message ${messageSid}` };
}

/** "whatsapp:+1555" and "+1555" are the same party. */
function strip(number: string): string {
  return number.replace(/^[a-z]+:/i, '');
}
