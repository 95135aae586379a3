/**
 * The inspecting forwarder: listens on loopback, passes each request to the local app byte for
 * byte (plus X-Forwarded-*), streams the answer back unchanged, and reports every exchange as a
 * `request` event. It never throws for a failed forward: the app being down, slow or broken is
 * something to show, and the session goes on.
 */
import { isUtf8 } from 'node:buffer';
import { timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Dispatcher, Pool } from 'undici';
import type { FormParams } from '../webhooks/form.js';
import { twilioErrorRef } from '../webhooks/twiml.js';
import { memoTwimlCheck } from '../webhooks/twiml-memo.js';
import type {
  ExchangeRequest,
  ExchangeResponse,
  HttpMessage,
  Outcome,
  RequestEvent,
  SignatureVerdict,
} from './events.js';
import { appPathOf, planPaths, publicPathOf, type PathPlan } from './paths.js';
import { formatBytes, formatMs } from '../ui/format.js';
import {
  BodyTooLarge,
  describeFailure,
  forward,
  forwardHeaders,
  headerValue,
  readBody,
  type Timeouts,
} from './forward.js';

export type { Timeouts } from './forward.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Twilio waits 15 s for an answer unless the URL's rt/tt overrides say otherwise. */
export const TWILIO_TIMEOUT_MS = 15_000;

/** What the proxy gives the payload classifier. */
export interface InspectInput {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body decoded as UTF-8 (decoded once per request for every reader). */
  text?: string;
}

export interface Inspection {
  kind: string;
  gist: string;
  expectsTwiml: boolean;
  /** Which TwiML the answer must be, when known. */
  channel?: 'voice' | 'messaging';
  /** The body's form parameters when the inspection parsed them: passed on to `verify`. */
  params?: FormParams;
}

/** What the proxy gives the signature check. */
export interface VerifyInput {
  method: string;
  /** The public URL Twilio requested, without credentials. */
  url: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body's form parameters, when the inspection parsed them (saves parsing it again). */
  params?: FormParams;
}

export interface ProxyOptions {
  /** The app: an origin, optionally with a base path (http://localhost:3000/api). */
  target: string;
  /** How the view names the app: "localhost:3000". */
  targetLabel?: string;
  /** Loopback only by default: the tunnel is the only way in. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  bodyLimit?: number;
  /** How much of each body events keep (the capture); the forward is always whole. */
  keepBytes?: number;
  /** Twilio's timeouts for a path (from the rt/tt overrides set on the URL that leads there). */
  timeoutsFor?: (path: string) => Timeouts;
  /** Refuse (403) requests whose verdict is not `valid`. Needs `verify`. */
  enforceSignatures?: boolean;
  basicAuth?: { username: string; password: string };
  inspect?: (input: InspectInput) => Inspection;
  /** Absent: every verdict is `unchecked`. */
  verify?: (input: VerifyInput) => SignatureVerdict;
  /** Wall clock for event times. */
  now?: () => Date;
  /** Called with each request's event, and what the proxy knows of it beyond the event. */
  onEvent: (event: RequestEvent, info: ExchangeInfo) => void;
}

/** What the proxy knows of a request beyond its event, for those who keep it (capture, inspector). */
export interface ExchangeInfo {
  /** When it arrived (the event's `time`). */
  readonly receivedAt: Date;
  /** What the inspection made of it, with the form it parsed. */
  readonly inspection: Inspection;
}

export interface ProxyServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** The public base URL (tunnel), for X-Forwarded-* and signature URLs. */
  setPublicUrl(url: string): void;
  /** Requests not yet answered. */
  inFlight(): number;
  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts them. */
  close(graceMs?: number): Promise<void>;
}

const IDEMPOTENCY_HEADER = 'i-twilio-idempotency-token';
/** Idempotency tokens remembered to recognise Twilio's retries (oldest forgotten first). */
export const MAX_REMEMBERED_TOKENS = 10_000;

export async function startProxy(options: ProxyOptions): Promise<ProxyServer> {
  const { Pool: PoolClass } = await import('undici');
  const target = new URL(options.target);
  const appBase = target.pathname.replace(/\/+$/, '');
  /** Before the public URL is known (tests talk to the proxy directly): the root of the Host it was asked for. */
  let plan: PathPlan | undefined;
  const targetLabel = options.targetLabel ?? target.host;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const keepBytes = options.keepBytes ?? Math.max(bodyLimit, DEFAULT_BODY_LIMIT);
  const now = options.now ?? (() => new Date());
  const timeoutsFor = options.timeoutsFor ?? (() => ({ readMs: TWILIO_TIMEOUT_MS, totalMs: TWILIO_TIMEOUT_MS }));
  const pool: Pool = new PoolClass(target.origin, { autoSelectFamily: true, keepAliveTimeout: 4_000 });
  const basic = options.basicAuth
    ? Buffer.from(
        'Basic ' + Buffer.from(`${options.basicAuth.username}:${options.basicAuth.password}`).toString('base64'),
      )
    : undefined;

  let publicUrl: URL | undefined;
  /** The public URL without its trailing slashes, and the X-Forwarded-* it implies: set once. */
  let publicBaseText: string | undefined;
  let forwardedProto = '';
  let forwardedHost = '';
  let nextId = 1;
  let inFlight = 0;
  const tokens = new Map<string, number>();
  // The app answers most requests with the same few documents: each is parsed once.
  const twimlCheck = memoTwimlCheck();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const id = nextId++;
    const received = now();
    const time = received.toISOString();
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const publicBase = publicBaseText ?? `http://${req.headers.host ?? '127.0.0.1'}`;
    // One path on both sides (src/dev/paths.ts): the URL Twilio signed is the public origin and
    // the request's public path; the app receives that same path.
    const publicPath = plan ? publicPathOf(plan, path) : path;
    const url = (plan ? plan.publicOrigin : publicBase) + publicPath;
    const appPath = appPathOf(plan ?? { publicOrigin: '', publicBase: '', appBase }, publicPath);

    let body: Buffer;
    let tooLarge = false;
    let cutShort = false;
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > bodyLimit) {
      tooLarge = true;
      body = Buffer.alloc(0);
    } else {
      body = await readBody(req, bodyLimit).catch((err: Error) => {
        if (err instanceof BodyTooLarge) tooLarge = true;
        else cutShort = true; // the caller hung up mid-body: there is no whole request to forward
        return Buffer.alloc(0);
      });
    }

    // What the request is and whether its signature holds matter only to the event (and to
    // --enforce-signatures): worked out while the app works on the request when possible.
    // The body is decoded once for every reader (classification, the signature, the event), and
    // parsed once: the inspection's form parameters go to the signature check.
    let text: string | undefined;
    const bodyText = () => (text ??= body.toString('utf8'));
    let inspection: Inspection | undefined;
    const inspected = () =>
      (inspection ??= safeInspect(options.inspect, { method, path, headers: req.headers, body, text: bodyText() }));
    const verdictNow = () =>
      verdictOf(options.verify, { method, url, path, headers: req.headers, body, params: inspected().params });
    const token = headerValue(req.headers[IDEMPOTENCY_HEADER]);
    let retryOf: number | undefined;
    if (token) {
      retryOf = tokens.get(token);
      if (retryOf === undefined) {
        if (tokens.size >= MAX_REMEMBERED_TOKENS) tokens.delete(tokens.keys().next().value!);
        tokens.set(token, id);
      }
    }

    const base = () => ({
      type: 'request' as const,
      id,
      time,
      kind: inspected().kind,
      gist: inspected().gist,
      expectsTwiml: inspected().expectsTwiml,
      idempotencyToken: token,
      retryOf,
      warnings: [] as string[],
    });
    const requestRecord = (): ExchangeRequest => {
      const m = message(pairs(req.rawHeaders), body, keepBytes, body.length, text);
      return {
        method,
        path,
        url,
        remoteAddress: req.socket.remoteAddress,
        headers: m.headers,
        body: m.body,
        bodyEncoding: m.bodyEncoding,
        bytes: m.bytes,
        truncated: m.truncated,
      };
    };
    const finish = (fields: {
      outcome: Outcome;
      status: number;
      response?: ExchangeResponse;
      failure?: string;
      verdict: SignatureVerdict;
    }) => {
      const event: RequestEvent = {
        ...base(),
        request: requestRecord(),
        ...fields,
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
      };
      if (fields.outcome !== 'answered' && fields.outcome !== 'challenged') {
        event.twilioError = twilioErrorRef(11200);
      }
      options.onEvent(event, { receivedAt: received, inspection: inspected() });
    };

    if (tooLarge) {
      const limit = formatBytes(bodyLimit);
      refuseBody(req, res, 413, `twhook: request body over ${limit}\n`, bodyLimit);
      finish({
        outcome: 'too-large',
        status: 413,
        failure: `body over the ${limit} limit: refused with 413`,
        verdict: uncheckedVerdict('the body was refused'),
      });
      return;
    }

    if (cutShort) {
      res.destroy();
      finish({
        outcome: 'caller-gone',
        status: 499,
        failure: 'the caller hung up before the request body was complete: not forwarded',
        verdict: uncheckedVerdict('the request was incomplete'),
      });
      return;
    }

    if (basic) {
      const given = headerValue(req.headers.authorization);
      if (!given || !safeEqual(Buffer.from(given), basic)) {
        res.setHeader('WWW-Authenticate', 'Basic realm="twhook"');
        reply(res, 401, 'twhook: credentials required\n');
        finish({
          outcome: 'challenged',
          status: 401,
          failure: given
            ? 'wrong basic-auth credentials: 401'
            : 'no credentials: 401 (Twilio retries with those in the URL)',
          verdict: verdictNow(),
        });
        return;
      }
    }

    let verdict: SignatureVerdict | undefined;
    if (options.enforceSignatures) {
      verdict = verdictNow();
      if (verdict.status !== 'valid') {
        reply(res, 403, 'twhook: invalid or missing X-Twilio-Signature\n');
        finish({ outcome: 'forbidden', status: 403, failure: `refused with 403: ${verdict.reason}`, verdict });
        return;
      }
    }

    const timeouts = timeoutsFor(path);
    const forwarding = forward(
      pool,
      {
        method: method as Dispatcher.HttpMethod,
        path: appPath,
        headers: publicUrl
          ? forwardHeaders(req, forwardedProto, forwardedHost, publicBase)
          : forwardHeaders(req, undefined, undefined, publicBase),
        body: body.length || !['GET', 'HEAD'].includes(method) ? body : null,
        headersTimeout: timeouts.readMs,
        bodyTimeout: timeouts.readMs,
      },
      res,
      keepBytes,
      timeouts.totalMs,
    );
    verdict ??= verdictNow();
    const result = await forwarding;
    const responseBody = result.kept.length === 1 ? result.kept[0]! : Buffer.concat(result.kept, result.keptBytes);
    const headers = result.rawHeaders ? pairs(result.rawHeaders) : undefined;
    if (!result.error) {
      // The event goes out in the same tick as the end of the answer, so whoever got the answer
      // can rely on the event being there.
      res.end();
      let contentType: string | undefined;
      for (const [n, v] of headers!) {
        if (n.length === 12 && n.toLowerCase() === 'content-type') {
          contentType = v;
          break;
        }
      }
      const m = message(headers!, responseBody, keepBytes, result.bytes);
      const response: ExchangeResponse = {
        status: result.status!,
        contentType,
        headers: m.headers,
        body: m.body,
        bodyEncoding: m.bodyEncoding,
        bytes: m.bytes,
        truncated: m.truncated,
      };
      finishAnswered(result.status!, response, verdict, inspected(), responseBody, result.bytes > result.keptBytes);
    } else {
      const failure = describeFailure(result.error, result.abortReason, targetLabel, timeouts, path);
      if (res.headersSent) res.destroy();
      else reply(res, failure.status, `twhook: ${failure.message}\n`);
      const response = headers
        ? { status: result.status!, ...message(headers, responseBody, keepBytes, result.bytes) }
        : undefined;
      finish({
        outcome: failure.outcome,
        status: result.status ?? failure.status,
        response,
        failure: failure.message,
        verdict,
      });
    }

    function finishAnswered(
      status: number,
      response: ExchangeResponse,
      verdict: SignatureVerdict,
      inspection: Inspection,
      responseBody: Buffer,
      truncated: boolean,
    ) {
      const latency = performance.now() - started;
      // Written out, in the key order of finish() (the --json output): no spreads on the hot path.
      const event: RequestEvent = {
        type: 'request',
        id,
        time,
        kind: inspection.kind,
        gist: inspection.gist,
        expectsTwiml: inspection.expectsTwiml,
        idempotencyToken: token,
        retryOf,
        warnings: [],
        request: requestRecord(),
        outcome: 'answered',
        status,
        response,
        verdict,
        latencyMs: Math.round(latency * 10) / 10,
      };
      if (inspection.expectsTwiml && !truncated) {
        event.twiml = twimlCheck.check({
          status,
          contentType: response.contentType,
          body: responseBody,
          channel: inspection.channel,
        });
        if (event.twiml.twilioError) event.twilioError = event.twiml.twilioError;
      } else if (status >= 400) {
        event.twilioError = twilioErrorRef(11200);
      }
      if ((status === 401 || status === 403) && verdict.status === 'valid') {
        event.warnings.push(refusedValid(status, url, likelyAppUrl(url, appPath, publicPath, target)));
      }
      const limit = Math.min(timeouts.readMs, timeouts.totalMs);
      if (latency > limit / 2) {
        event.warnings.push(`slow: ${formatMs(latency)} of the ${formatMs(limit)} Twilio waits`);
      }
      options.onEvent(event, { receivedAt: received, inspection });
    }
  };

  const server: Server = createServer((req, res) => {
    inFlight++;
    handle(req, res)
      .catch((err: Error) => {
        // A bug in the proxy itself: answer something rather than hang the caller.
        if (!res.headersSent) reply(res, 500, `twhook: proxy failure: ${err.message}\n`);
        else res.destroy();
      })
      .finally(() => inFlight--);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    setPublicUrl(value) {
      publicUrl = new URL(value);
      publicUrl.username = '';
      publicUrl.password = '';
      publicBaseText = publicUrl.href.replace(/\/+$/, '');
      plan = planPaths(publicBaseText, options.target);
      forwardedProto = publicUrl.protocol.replace(/:$/, '');
      forwardedHost = publicUrl.host;
    },
    inFlight: () => inFlight,
    async close(graceMs = 2_000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = performance.now() + graceMs;
      while (inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      // The requests just cut settle (and send their events) on the next turns: wait for them,
      // briefly, so no event arrives after close() resolved.
      const cutDeadline = performance.now() + 1_000;
      while (inFlight > 0 && performance.now() < cutDeadline) await new Promise((r) => setTimeout(r, 5));
      await closed;
      await pool.destroy().catch(() => undefined);
    },
  };
}

/**
 * The URL an app that refuses a correctly signed request most likely checked the signature
 * against: with a path of its own, the public URL with that path; else the URL without the
 * tunnel's https (an app that does not trust X-Forwarded-Proto sees http); else its own address.
 */
function likelyAppUrl(signedUrl: string, appPath: string, publicPath: string, target: URL): string {
  const signed = new URL(signedUrl);
  if (appPath !== publicPath) return signed.origin + appPath;
  if (signed.protocol === 'https:') return `http://${signed.host}${appPath}`;
  return `${target.origin}${appPath}`;
}

function refusedValid(status: number, signedUrl: string, appUrl: string): string {
  return `the app refused a correctly signed request (${status}): Twilio signed ${signedUrl}; the app most likely validated against ${appUrl}`;
}

/** How long, and how many more bytes, a refused body is read and dropped before its connection closes. */
const LINGER_MS = 2_000;
const LINGER_MIN_BYTES = 1024 * 1024;

/**
 * Answers a request whose body is refused without losing the answer. Closing a connection while
 * bytes of the caller's body are still unread makes the kernel send a reset, which can discard the
 * answer before the caller reads it (a test saw EPIPE and no 413). So, as web servers' "lingering
 * close" does, the rest of the body is read and dropped until it ends, or for a bounded time and
 * size, and only then is the connection closed.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse, status: number, text: string, limit: number): void {
  reply(res, status, text);
  if (req.complete) return;
  const socket = req.socket;
  let dropped = 0;
  const close = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > Math.max(limit, LINGER_MIN_BYTES)) close();
  });
  // The body ended: the connection is a kept-alive one again, for the caller to reuse or close.
  req.once('end', () => clearTimeout(timer));
  req.resume();
}

function reply(res: ServerResponse, status: number, text: string, close = false): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (close) res.setHeader('Connection', 'close');
  res.end(text);
}

function verdictOf(verify: ProxyOptions['verify'], input: VerifyInput): SignatureVerdict {
  if (!verify) return uncheckedVerdict('unchecked (set TWILIO_AUTH_TOKEN)');
  try {
    return verify(input);
  } catch (err) {
    return { status: 'invalid', reason: `could not check: ${(err as Error).message}` };
  }
}

function uncheckedVerdict(reason: string): SignatureVerdict {
  return { status: 'unchecked', reason };
}

function safeInspect(inspect: ProxyOptions['inspect'], input: InspectInput): Inspection {
  if (!inspect) return { kind: 'unknown', gist: '', expectsTwiml: false };
  try {
    return inspect(input);
  } catch {
    return { kind: 'unknown', gist: '', expectsTwiml: false };
  }
}

/** `text`: the whole body already decoded as UTF-8, if it was. `headers` is masked in place. */
function message(
  headers: [string, string][],
  body: Buffer,
  keepBytes: number,
  bytes = body.length,
  text?: string,
): HttpMessage {
  const kept = body.length > keepBytes ? body.subarray(0, keepBytes) : body;
  const utf8 = isUtf8(kept);
  for (const pair of headers) {
    if (pair[0].length === 13 && pair[0].toLowerCase() === 'authorization') pair[1] = maskAuthorization(pair[1]);
  }
  return {
    headers,
    body: utf8 ? (text !== undefined && kept === body ? text : kept.toString('utf8')) : kept.toString('base64'),
    bodyEncoding: utf8 ? 'utf8' : 'base64',
    bytes,
    truncated: bytes > kept.length,
  };
}

function maskAuthorization(value: string): string {
  const scheme = value.split(' ')[0];
  return `${scheme} [redacted]`;
}

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
