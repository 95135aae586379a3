/**
 * The simulator's requests to the app, made the way Twilio makes them: form-encoded (GET puts the
 * parameters in the query string), signed with X-Twilio-Signature by the same code as `trigger`
 * (signRequest), with I-Twilio-Idempotency-Token (the same on every retry of one request) and
 * Twilio's User-Agent, carrying the conversation's cookies, following 3xx redirects as a browser
 * does, and honouring the URL's connection overrides (#rt=…&rc=…&rp=…&tt=…): read timeout,
 * retries, total time. Twilio's default is a 15 s timeout and one retry of a failed connection.
 * A URL with `user:password@` is answered as Twilio does (credentials.ts): without the
 * credentials first, with Digest or Basic auth after a 401 challenge, then logged in for the rest of the call.
 */
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { CookieJar } from 'tough-cookie';
import {
  encodeBody,
  newCaptureId,
  normalizeHeaders,
  redactHeaders,
  redactUrl,
  type CaptureRecord,
} from '../capture/format.js';
import { errorCode } from '../net/error-code.js';
import { encodeForm } from '../webhooks/form.js';
import { effectiveOverrides, inspectOverrides, VOICE_CEILING_MS, type Overrides } from '../webhooks/overrides.js';
import { signRequest } from '../webhooks/signature.js';
import { rebaseUrl } from '../webhooks/url.js';
import type { SimClock } from './clock.js';
import { cookieHeader, storeCookies } from './cookies.js';
import { loginFor, maskPasswords, staleDigest, urlCredentials, type Login } from './credentials.js';
import type { RequestSimEvent } from './events.js';
import type { Params } from './params.js';

export const TWILIO_USER_AGENT = 'TwilioProxy/1.1';
/** Answers are read up to this size; TwiML stops at 64 kB, the rest only needs to be known as too big. */
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_REDIRECTS = 10;
const NO_BYTES = Buffer.alloc(0);
const NO_HEADERS: Record<string, string | string[] | undefined> = Object.freeze({});

export interface SimRequest {
  /** Absolute; a #fragment carries connection overrides and is never sent or signed. */
  url: string;
  method: 'GET' | 'POST';
  params: Params;
  /** A call's request: voice's 15 s ceiling applies to every attempt. */
  voice?: boolean;
  /** TwiML fetches emit a `request` event per attempt; callbacks are reported by the caller. */
  emit?: boolean;
}

export interface SimAnswer {
  status: number;
  contentType?: string;
  body: Buffer;
  /** The URL that answered, after redirects (the base of relative URLs in its TwiML). */
  url: string;
  /** A 401 asking for HTTP authentication of a URL that carries no credentials to answer it with. */
  asksForCredentials?: true;
}

export type SimResponse =
  { answer: SimAnswer; failure?: undefined } | { answer?: undefined; failure: string; status: number };

export interface AppHttpOptions {
  authToken?: string;
  publicUrl?: string;
  clock: SimClock;
  emit: (event: RequestSimEvent) => void;
  onExchange?: (record: CaptureRecord) => void;
  signal?: AbortSignal;
  /** Share one connection pool between simulations (test --jobs, the bench). */
  dispatcher?: Dispatcher;
}

export interface AppHttp {
  send(request: SimRequest, jar: CookieJar): Promise<SimResponse>;
  /** HTTP requests made so far (redirect hops and retries included). */
  readonly count: number;
  close(): Promise<void>;
}

export async function createAppHttp(options: AppHttpOptions): Promise<AppHttp> {
  const owned = options.dispatcher
    ? undefined
    : new (await import('undici')).Agent({ keepAliveTimeout: 4_000, connect: { timeout: 10_000 } });
  const dispatcher: Dispatcher = options.dispatcher ?? owned!;
  let count = 0;
  /** Hosts (and users) that challenged: Twilio stays logged in (Basic or Digest) for the call. */
  const loggedIn = new Map<string, Login>();

  const attempt = async (
    url: string,
    method: 'GET' | 'POST',
    params: Params,
    token: string,
    timeoutMs: number,
    jar: CookieJar,
    emit: boolean,
    attemptNo: number,
  ) => {
    const query = method === 'GET' ? encodeForm(params) : '';
    const credentials = urlCredentials(url);
    const signedUrl = appendQuery(stripHash(url), query);
    const sendUrl = credentials.authorization ? appendQuery(stripHash(credentials.bare), query) : signedUrl;
    const login = credentials.realm !== undefined ? loggedIn.get(credentials.realm) : undefined;
    let body: string | undefined;
    const headers: Record<string, string> = {
      'user-agent': TWILIO_USER_AGENT,
      accept: '*/*',
      'cache-control': 'max-age=259200',
      'x-home-region': 'us1',
      'i-twilio-idempotency-token': token,
    };
    if (method === 'POST') headers['content-type'] = 'application/x-www-form-urlencoded';
    if (login) headers.authorization = login.header(method, splitOrigin(sendUrl).path);
    const signFor = options.publicUrl ? publicSignedUrl(signedUrl, options.publicUrl) : signedUrl;
    if (options.authToken) {
      // signRequest encodes the form it signs: that is the body sent (one encoding per request).
      const signed = signRequest({
        authToken: options.authToken,
        url: signFor,
        params: method === 'GET' ? {} : params,
      });
      headers['x-twilio-signature'] = signed.signature;
      if (method === 'POST') body = signed.body;
    } else if (method === 'POST') {
      body = encodeForm(params);
    }
    const cookie = cookieHeader(jar, sendUrl);
    if (cookie) headers.cookie = cookie;

    count++;
    const started = performance.now();
    const receivedAt = options.onExchange ? options.clock.now() : undefined;
    let status = 0;
    let contentType: string | undefined;
    let responseHeaders: Record<string, string | string[] | undefined> = NO_HEADERS;
    let bytes: Buffer = NO_BYTES;
    let failure: { kind: 'connect' | 'read' | 'other'; message: string } | undefined;
    try {
      const { origin, path } = splitOrigin(sendUrl);
      const answer = await exchange(
        dispatcher,
        { origin, path, method, headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
        options.signal,
      );
      status = answer.status;
      responseHeaders = answer.headers;
      const ct = answer.headers['content-type'];
      contentType = Array.isArray(ct) ? ct[0] : ct;
      bytes = answer.body;
      storeCookies(jar, answer.headers['set-cookie'], sendUrl);
    } catch (err) {
      failure = describeFailure(err, sendUrl, timeoutMs, options.signal);
    }
    const ms = Math.round(performance.now() - started);
    if (emit) {
      // Assigned in the order --json prints them (object spreads here cost more than the rest of the event).
      const event: RequestSimEvent = {
        type: 'request',
        t: options.clock.t,
        url: credentials.authorization ? maskPasswords(signedUrl) : sendUrl,
        method,
        params,
        status,
      } as RequestSimEvent;
      if (contentType) event.contentType = contentType;
      event.ms = ms;
      event.attempt = attemptNo;
      if (login) event.auth = login.scheme;
      options.emit(event);
    }
    if (options.onExchange && receivedAt) {
      const record: CaptureRecord = {
        v: 1,
        id: newCaptureId(receivedAt),
        receivedAt: receivedAt.toISOString(),
        method,
        url: signFor.indexOf('@') === -1 ? signFor : redactUrl(signFor),
        headers: redactHeaders(
          normalizeHeaders({
            host: hostOf(signFor),
            ...headers,
            ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
          }),
        ),
        ...encodeBody(body),
        ...(status
          ? { response: { status, headers: normalizeHeaders(responseHeaders), ...encodeBody(bytes), ms } }
          : {}),
        ...(attemptNo > 1 ? { note: `retry ${attemptNo - 1} (same I-Twilio-Idempotency-Token)` } : {}),
      };
      options.onExchange(record);
    }
    // A 401 with a challenge: log in (or, for a stale Digest nonce, again) and send it again.
    let challenged = false;
    if (!failure && status === 401 && credentials.realm !== undefined) {
      const challenge = responseHeaders['www-authenticate'];
      const next =
        !login || (login.scheme === 'digest' && staleDigest(challenge)) ? loginFor(challenge, credentials) : undefined;
      if (next) {
        loggedIn.set(credentials.realm, next);
        challenged = true;
      }
    }
    return { status, contentType, bytes, headers: responseHeaders, signedUrl, failure, challenged };
  };

  return {
    get count() {
      return count;
    },
    async send(request, jar) {
      const { overrides } = inspectOverrides(request.url);
      const o = effectiveOverrides(overrides ?? ({} as Overrides));
      let readTimeout = o.readTimeout;
      const total = request.voice ? Math.min(o.totalTimeout, VOICE_CEILING_MS) : o.totalTimeout;
      if (request.voice) readTimeout = Math.min(readTimeout, VOICE_CEILING_MS);
      const token = randomUUID();
      const started = performance.now();
      let url = request.url;
      let method = request.method;
      let params = request.params;
      let hops = 0;
      let challenges = 0;
      for (let attemptNo = 1; ;) {
        const timeLeft = Math.max(100, total - (performance.now() - started));
        const r = await attempt(
          url,
          method,
          params,
          token,
          Math.min(readTimeout, timeLeft),
          jar,
          request.emit ?? false,
          attemptNo,
        );
        // The app asked for the URL's credentials: the same request again with them (not a retry).
        if (r.challenged && ++challenges <= 2) continue;
        const location = r.headers.location;
        if (!r.failure && r.status >= 300 && r.status < 400 && location && r.status !== 304) {
          if (++hops > MAX_REDIRECTS) return { failure: `more than ${MAX_REDIRECTS} redirects`, status: r.status };
          // Resolved against the URL with its credentials: a relative Location keeps them, as a browser's.
          url = new URL(Array.isArray(location) ? location[0]! : location, r.signedUrl).href;
          // As browsers do: 303, and 301/302 after a POST, continue with a GET without the form.
          if (r.status === 303 || ((r.status === 301 || r.status === 302) && method === 'POST')) {
            method = 'GET';
            params = {};
          }
          continue;
        }
        const retryable = r.failure
          ? (r.failure.kind === 'connect' && allows(o.retryPolicy, 'ct')) ||
            (r.failure.kind === 'read' && allows(o.retryPolicy, 'rt'))
          : (r.status >= 400 && r.status < 500 && allows(o.retryPolicy, '4xx')) ||
            (r.status >= 500 && allows(o.retryPolicy, '5xx'));
        const canRetry =
          retryable && attemptNo <= o.retryCount && performance.now() - started < total && !options.signal?.aborted;
        if (canRetry) {
          attemptNo++;
          continue;
        }
        if (r.failure) return { failure: r.failure.message, status: 0 };
        const answer: SimAnswer = { status: r.status, contentType: r.contentType, body: r.bytes, url };
        if (r.status === 401 && r.headers['www-authenticate'] && urlCredentials(url).authorization === undefined)
          answer.asksForCredentials = true;
        return { answer };
      }
    },
    async close() {
      if (owned) await owned.close().catch(() => undefined);
    },
  };
}

interface Exchanged {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * One request through undici's dispatch API: the answer's chunks come straight to the handler (no
 * stream per answer, which was a third of the engine's CPU per request), kept up to 1 MiB.
 */
function exchange(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal?: AbortSignal,
): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    dispatcher.dispatch(options, new ExchangeHandler(resolve, reject, signal));
  });
}

/** One object per request, its methods on the prototype (a handler of closures was five more allocations). */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  private chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = NO_HEADERS;
  private onAbort: (() => void) | undefined;

  constructor(
    private readonly resolve: (answer: Exchanged) => void,
    private readonly reject: (err: unknown) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    const signal = this.signal;
    if (!signal) return;
    const onAbort = () => controller.abort(new Error('aborted'));
    this.onAbort = onAbort;
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return; // 100 Continue and other interim answers
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.size < MAX_BODY_BYTES) this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    this.done();
    const chunks = this.chunks;
    this.resolve({
      status: this.status,
      headers: this.headers,
      body: chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? NO_BYTES : Buffer.concat(chunks),
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.done();
    this.reject(err);
  }

  private done(): void {
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
  }
}

function allows(policy: readonly string[], kind: string): boolean {
  return policy.includes(kind) || policy.includes('all');
}

function stripHash(url: string): string {
  const i = url.indexOf('#');
  return i < 0 ? url : url.slice(0, i);
}

function appendQuery(url: string, query: string): string {
  if (!query) return url;
  return `${url}${url.includes('?') ? (url.endsWith('?') || url.endsWith('&') ? '' : '&') : '?'}${query}`;
}

const origins = new Map<string, { origin: string; path: string }>();

function splitOrigin(url: string): { origin: string; path: string } {
  let parts = origins.get(url);
  if (parts) return parts;
  const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^#]*)/i.exec(url);
  if (!match) throw new TypeError(`not an absolute URL: ${url}`);
  const path = match[2] || '/';
  parts = { origin: match[1]!, path: path.startsWith('/') ? path : `/${path}` };
  if (origins.size >= 4096) origins.clear();
  origins.set(url, parts);
  return parts;
}

/**
 * The URL signed under --public-url: rebased onto the public base; the request URL's credentials
 * stay when the base has none of its own (they are part of the URL configured at Twilio).
 */
function publicSignedUrl(url: string, base: string): string {
  const rebased = rebaseUrl(url, base);
  if (url.indexOf('@') === -1 || base.indexOf('@') !== -1) return rebased;
  const info = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@]*@)/i.exec(url)?.[1];
  return info ? rebased.replace(/^([a-z][a-z0-9+.-]*:\/\/)/i, `$1${info}`) : rebased;
}

function hostOf(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^/?#]*)/i.exec(url)?.[1] ?? '';
}

function describeFailure(
  err: unknown,
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): { kind: 'connect' | 'read' | 'other'; message: string } {
  const code = errorCode(err);
  const host = hostOf(url);
  if (signal?.aborted) return { kind: 'other', message: 'stopped before the answer came' };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'read', message: `no answer from ${host} within ${timeoutMs / 1000} s: Twilio gives up` };
  }
  if (code === 'ECONNREFUSED' || code === 'EADDRNOTAVAIL')
    return { kind: 'connect', message: `nothing listening on ${host}` };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { kind: 'connect', message: `could not connect to ${host} in time` };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'connect', message: `cannot resolve ${host}` };
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')
    return { kind: 'other', message: `${host} closed the connection before answering` };
  return {
    kind: 'other',
    message: `the request to ${host} failed: ${err instanceof Error ? err.message : String(err)}`,
  };
}
