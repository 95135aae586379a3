/**
 * The inspector's Replay, Replay with edits and Copy as curl. The request is signed here, on the
 * server, with the session's auth token (src/replay/prepare.ts, which signs through the SDK):
 * the page sends only the edits and gets back the answer, never the token.
 *
 * In `dev`, a replay goes to the proxy signed for the public URL, as if Twilio sent it through the
 * tunnel: the app sees a valid signature, and the replay shows in the list like any request.
 * In `inspect`, it goes to --to, signed for it.
 */
import { randomUUID } from 'node:crypto';
import { bodyBytes, bodyText, header, redactUrl, type CaptureRecord } from '../capture/format.js';
import { compareWithCapture } from '../send/compare.js';
import type { Sender } from '../send/http.js';
import { isJsonRequest, prepareReplay, type PreparedRequest, type SigningMode } from '../replay/prepare.js';
import { encodeForm } from '../webhooks/form.js';
import { checkTwimlAnswer, type TwimlCheck } from '../webhooks/twiml.js';
import type { InspectorEntry } from './store.js';

export interface ReplayTarget {
  /** Where replays are sent: the dev proxy, or --to. */
  sendTo: string;
  /** The base URL the signature is made for: the public URL, or --to. */
  signFor: string;
  /** Where a copied curl command sends the request (the public URL in dev). */
  curlTo: string;
  /** Stays on the server. Without one, replays carry the captured signature. */
  authToken?: string;
  /** dev --basic-auth: replays carry the credentials, and are signed for the URL with them. */
  basicAuth?: { username: string; password: string };
  /** "the app, through the dev proxy" */
  label: string;
  /** dev: replays carry X-Twhook-Replay (the id replayed), so the list can tell them from Twilio's. */
  markReplays?: boolean;
}

/** What the page may change before a replay. */
export interface ReplayEdits {
  /** The form parameters, in order, replacing the captured ones. */
  params?: [string, string][];
  /** A raw body (JSON requests) replacing the captured one. */
  body?: string;
}

export interface ReplayAnswer {
  status: number;
  ms: number;
  contentType?: string;
  headers: [string, string][];
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  truncated: boolean;
}

export interface ReplayOutcome {
  /** The request as sent (the signature masked). */
  sent: { method: string; url: string; signedFor?: string; headers: [string, string][]; body: string };
  answer?: ReplayAnswer;
  failure?: { code: string; message: string };
  twiml?: TwimlCheck;
  captured: { status: number; contentType?: string; body: string } | null;
  /** Whether status and body are what was captured (null: nothing to compare). */
  sameStatus: boolean | null;
  sameBody: boolean | null;
  notes: string[];
}

/** Checks the edits the page sent; throws a TypeError naming the problem. */
export function parseEdits(value: unknown): ReplayEdits {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError('the edits must be a JSON object');
  const v = value as { params?: unknown; body?: unknown };
  const edits: ReplayEdits = {};
  if (v.params !== undefined) {
    if (
      !Array.isArray(v.params) ||
      !v.params.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string')
    ) {
      throw new TypeError('"params" must be a list of [name, value] string pairs');
    }
    edits.params = v.params as [string, string][];
  }
  if (v.body !== undefined) {
    if (typeof v.body !== 'string') throw new TypeError('"body" must be a string');
    edits.body = v.body;
  }
  return edits;
}

function edited(record: CaptureRecord, edits: ReplayEdits): { record: CaptureRecord; changed: boolean } {
  let body: string | undefined;
  if (edits.body !== undefined) body = edits.body;
  else if (edits.params) body = encodeForm(edits.params);
  if (body === undefined || body === bodyText(record)) return { record, changed: false };
  const { bodyBase64: _b, ...rest } = record;
  return { record: { ...rest, ...(body ? { body } : {}) }, changed: true };
}

function withCredentials(base: string, auth: ReplayTarget['basicAuth']): string {
  if (!auth) return base;
  const url = new URL(base);
  url.username = encodeURIComponent(auth.username);
  url.password = encodeURIComponent(auth.password);
  return url.href.replace(/\/+$/, '');
}

/** The request a replay (or a curl command) sends, signed on the server. */
export function prepareFor(
  entry: InspectorEntry,
  target: ReplayTarget,
  edits: ReplayEdits,
  to: string,
): { prepared: PreparedRequest; notes: string[] } {
  const { record, changed } = edited(entry.record, edits);
  const notes: string[] = [];
  const signFor = withCredentials(target.signFor, target.basicAuth);
  let mode: SigningMode = to === signFor ? 'resign' : 'sign-for';
  if (!target.authToken) {
    mode = 'keep';
    notes.push(
      changed
        ? 'no auth token: sent with the captured signature, which does not match the edited parameters (set TWILIO_AUTH_TOKEN to re-sign)'
        : 'no auth token: sent with the captured signature (set TWILIO_AUTH_TOKEN to re-sign)',
    );
  }
  const prepared = prepareReplay(record, {
    to,
    mode,
    ...(mode === 'sign-for' ? { signFor } : {}),
    ...(target.authToken ? { authToken: target.authToken } : {}),
    // A new token: the app (and the dev proxy) must not take a replay for Twilio's retry.
    newIdempotencyToken: () => `replay-${randomUUID()}`,
  });
  if (target.markReplays) prepared.headers['x-twhook-replay'] = entry.summary.id;
  if (target.basicAuth) {
    prepared.headers['authorization'] =
      `Basic ${Buffer.from(`${target.basicAuth.username}:${target.basicAuth.password}`).toString('base64')}`;
  }
  return { prepared, notes };
}

function headerPairs(headers: Record<string, string | string[] | undefined>): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push([name, maskHeader(name, v)]);
  }
  return out;
}

/** Header values the page shows: the signature masked, credentials never. */
export function maskHeader(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'x-twilio-signature')
    return value.length > 8 ? `${value.slice(0, 4)}…${value.slice(-2)} (masked)` : '(masked)';
  if (lower === 'authorization' || lower === 'proxy-authorization' || lower === 'cookie' || lower === 'set-cookie') {
    const scheme = /^\s*(\S+)\s+\S/.exec(value)?.[1];
    return scheme && lower.endsWith('authorization') ? `${scheme} [redacted]` : '[redacted]';
  }
  return value;
}

/** Sends one replay and compares the answer with the captured one. */
export async function replayEntry(
  entry: InspectorEntry,
  target: ReplayTarget,
  edits: ReplayEdits,
  sender: Sender,
): Promise<ReplayOutcome> {
  const { prepared, notes } = prepareFor(entry, target, edits, target.sendTo);
  const result = await sender.send(prepared);
  const captured = entry.record.response;
  const sentBody =
    prepared.body === undefined
      ? ''
      : typeof prepared.body === 'string'
        ? prepared.body
        : Buffer.from(prepared.body).toString('utf8');
  const outcome: ReplayOutcome = {
    // URLs as a capture shows them: the basic-auth password never reaches the page.
    sent: {
      method: prepared.method,
      url: redactUrl(prepared.url),
      ...(prepared.signedFor ? { signedFor: redactUrl(prepared.signedFor) } : {}),
      headers: headerPairs(prepared.headers),
      body: sentBody,
    },
    captured: captured
      ? {
          status: captured.status,
          ...(header(captured.headers, 'content-type')
            ? { contentType: header(captured.headers, 'content-type') }
            : {}),
          body: bodyText(captured),
        }
      : null,
    sameStatus: null,
    sameBody: null,
    notes,
  };
  if (result.failure) {
    outcome.failure = { code: result.failure.code, message: result.failure.message };
    return outcome;
  }
  const a = result.answer;
  const utf8 = (() => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(a.body);
      return true;
    } catch {
      return false;
    }
  })();
  outcome.answer = {
    status: a.status,
    ms: Math.round(a.ms),
    ...(a.contentType ? { contentType: a.contentType } : {}),
    headers: headerPairs(a.headers),
    body: utf8 ? a.body.toString('utf8') : a.body.toString('base64'),
    bodyEncoding: utf8 ? 'utf8' : 'base64',
    truncated: a.truncated,
  };
  if (entry.channel)
    outcome.twiml = checkTwimlAnswer({
      status: a.status,
      contentType: a.contentType ?? null,
      body: a.body,
      channel: entry.channel,
    });
  const comparison = compareWithCapture(
    a,
    captured
      ? ({
          status: captured.status,
          body: captured.body !== undefined || captured.bodyBase64 !== undefined ? bodyBytes(captured) : undefined,
        } as { status: number; body?: Buffer })
      : undefined,
  );
  outcome.sameStatus = comparison.statusSame;
  outcome.sameBody = comparison.bodySame;
  return outcome;
}

const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** A curl command that sends the request, signed (by the server) for where it goes. */
export function curlCommand(
  entry: InspectorEntry,
  target: ReplayTarget,
  edits: ReplayEdits,
): { command: string; notes: string[] } {
  // The command is shown in the page: it must not carry the basic-auth password.
  const curlTarget: ReplayTarget = { ...target, signFor: target.curlTo };
  const { prepared, notes } = prepareFor(entry, { ...curlTarget, basicAuth: undefined }, edits, target.curlTo);
  if (target.basicAuth && target.authToken) {
    // Signed for the URL with the credentials, as Twilio signs it; the password itself is left
    // for the user to fill in.
    const signed = prepareFor(entry, curlTarget, edits, withCredentials(target.curlTo, target.basicAuth));
    prepared.headers['x-twilio-signature'] = signed.prepared.headers['x-twilio-signature']!;
    notes.push('set TWHOOK_BASIC_PASSWORD to the --basic-auth password before running it');
  }
  // A --to with credentials: the command says where the password goes, without it.
  let url = prepared.url;
  let user = target.basicAuth?.username;
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed?.username || parsed?.password) {
    user ??= decodeURIComponent(parsed.username);
    parsed.username = '';
    parsed.password = '';
    url = parsed.href;
    if (!target.basicAuth) notes.push('set TWHOOK_BASIC_PASSWORD to the password of the URL before running it');
  }
  const lines = [`curl -sS -i -X ${prepared.method} ${shellQuote(url)}`];
  for (const [name, value] of Object.entries(prepared.headers)) {
    // curl sets Host and Content-Length itself; a compressed answer would print as binary.
    if (name === 'host' || name === 'authorization' || name === 'accept-encoding' || name === 'x-twhook-replay')
      continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`-H ${shellQuote(`${name}: ${v}`)}`);
  }
  if (user !== undefined) lines.push(`-u ${shellQuote(user + ':')}"$TWHOOK_BASIC_PASSWORD"`);
  if (prepared.body !== undefined) {
    const text = typeof prepared.body === 'string' ? prepared.body : Buffer.from(prepared.body).toString('utf8');
    lines.push(`--data-binary ${shellQuote(text)}`);
  }
  return { command: lines.join(' \\\n  '), notes };
}

export { isJsonRequest };
