/**
 * Sending webhook requests to an app, for `replay`, `trigger`, `demo` and the inspector: undici
 * (imported lazily, so `--help` never pays for it) with one keep-alive pool per origin, Twilio's
 * 15 s timeout, and the answer read whole up to a limit. A failure to connect is a result, not a
 * throw: the caller shows it next to the others.
 */
import type { Dispatcher } from 'undici';
import { errorCode, isUnreadableReply, oneLine } from '../net/error-code.js';
import { formatMs } from '../ui/format.js';

export interface OutgoingRequest {
  method: string;
  /** The URL the request is sent to (query string included). */
  url: string;
  /** Header values as sent; a header repeated in the capture stays an array. */
  headers: Record<string, string | string[]>;
  body?: string | Uint8Array;
  /** The URL the X-Twilio-Signature was computed for, when signed. */
  signedFor?: string;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  contentType?: string;
  /** The body's first `maxBodyBytes` bytes. */
  body: Buffer;
  /** True when the body was longer than the limit and cut. */
  truncated: boolean;
  ms: number;
}

export interface SendFailure {
  /** A network code (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT...) or 'aborted'. */
  code: string;
  message: string;
  ms: number;
}

export type SendResult = { answer: Answer; failure?: undefined } | { answer?: undefined; failure: SendFailure };

export interface SenderOptions {
  /** Connections per origin (replay's --concurrency). */
  connections?: number;
  /** Twilio gives up after 15 s without an answer. */
  timeoutMs?: number;
  /** Answers are kept up to this size (Twilio reads at most 64 kB of TwiML). Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface Sender {
  send(request: OutgoingRequest, signal?: AbortSignal): Promise<SendResult>;
  close(): Promise<void>;
}

export const TWILIO_TIMEOUT_MS = 15_000;

/**
 * undici's Agent alone: its index also loads fetch, WebSocket, the cache and cookies, about 120 ms
 * of CPU at start that a replay of a few thousand requests would spend again in full (undici
 * has no `exports` map, so the file is reachable; the index is the fallback should it move).
 */
async function loadAgent(): Promise<typeof import('undici').Agent> {
  const path: string = 'undici/lib/dispatcher/agent.js';
  try {
    return ((await import(path)) as { default: typeof import('undici').Agent }).default;
  } catch {
    return (await import('undici')).Agent;
  }
}

export async function createSender(options: SenderOptions = {}): Promise<Sender> {
  const Agent = await loadAgent();
  const timeoutMs = options.timeoutMs ?? TWILIO_TIMEOUT_MS;
  const limit = options.maxBodyBytes ?? 1024 * 1024;
  const agent = new Agent({
    connections: options.connections ?? null,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 4_000,
    autoSelectFamily: true,
  });
  // Splitting each URL once (a replay sends the same few webhook URLs) keeps the hot loop free
  // of URL parsing.
  const splits = new Map<string, { origin: string; path: string }>();
  const split = (url: string): { origin: string; path: string } => {
    let parts = splits.get(url);
    if (parts) return parts;
    const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^#]*)/i.exec(url);
    if (!match) throw new TypeError(`not an absolute URL: ${url}`);
    const path = match[2] || '/';
    parts = { origin: match[1]!, path: path.startsWith('/') ? path : `/${path}` };
    if (splits.size >= 4096) splits.clear();
    splits.set(url, parts);
    return parts;
  };

  // One listener for the whole run (not one per request): an abort tears the pool down, and
  // every request in flight fails at once.
  let aborted: AbortSignal | undefined;
  const watched = new Map<AbortSignal, () => void>();
  const watch = (signal: AbortSignal | undefined) => {
    if (!signal || watched.has(signal)) return;
    const onAbort = () => {
      aborted = signal;
      void agent.destroy().catch(() => {});
    };
    watched.set(signal, onAbort);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  };

  return {
    send(request, signal) {
      const started = performance.now();
      watch(signal);
      return new Promise<SendResult>((resolve) => {
        const fail = (err: unknown) =>
          resolve({ failure: describeFailure(err, request.url, timeoutMs, performance.now() - started, aborted) });
        if (aborted) return fail(new Error('aborted'));
        // undici's dispatch API: no stream per answer, the chunks come straight to the handler.
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        let status = 0;
        let headers: Record<string, string | string[] | undefined> = {};
        const handler: Dispatcher.DispatchHandler = {
          // Its presence tells undici this handler speaks the controller API.
          onRequestStart() {},
          onResponseStart(_controller, statusCode, responseHeaders) {
            if (statusCode < 200) return; // 100 Continue and other interim answers
            status = statusCode;
            headers = responseHeaders;
          },
          onResponseData(_controller, chunk) {
            if (size + chunk.length > limit) {
              truncated = true;
              if (size < limit) chunks.push(chunk.subarray(0, limit - size));
              size = limit;
              return; // keep draining, so the connection can be reused
            }
            chunks.push(chunk);
            size += chunk.length;
          },
          onResponseEnd() {
            const contentType = headers['content-type'];
            resolve({
              answer: {
                status,
                headers,
                contentType: Array.isArray(contentType) ? contentType[0] : contentType,
                body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
                truncated,
                ms: performance.now() - started,
              },
            });
          },
          onResponseError(_controller, err) {
            fail(err);
          },
        };
        try {
          const { origin, path } = split(request.url);
          agent.dispatch(
            {
              origin,
              path,
              method: request.method as Dispatcher.HttpMethod,
              headers: request.headers,
              body: request.body,
            },
            handler,
          );
        } catch (err) {
          fail(err);
        }
      });
    },
    async close() {
      for (const [signal, onAbort] of watched) signal.removeEventListener('abort', onAbort);
      watched.clear();
      await (aborted ? Promise.resolve() : agent.close());
    },
  };
}

/** Failures that mean nothing answers at the target (not a slow or broken app). */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** What to do about a failed send, for a command's closing error line: by what failed, not one advice for all. */
export function failureAdvice(failure: SendFailure): string {
  if (UNREACHABLE_CODES.has(failure.code)) return 'start your app, or point --to at it';
  if (failure.code === 'UND_ERR_HEADERS_TIMEOUT' || failure.code === 'UND_ERR_BODY_TIMEOUT')
    return 'the app is running but slow: make it answer sooner, or raise --timeout';
  if (failure.message.includes('may have been carried out')) return 'check what the app did before sending it again';
  return "check the app's log";
}

function describeFailure(err: unknown, url: string, timeoutMs: number, ms: number, signal?: AbortSignal): SendFailure {
  const code = errorCode(err);
  let where = url;
  try {
    where = new URL(url).host;
  } catch {
    // keep the URL as given
  }
  if (signal?.aborted) return { code: 'aborted', message: 'stopped before the answer came', ms };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { code, message: `${where} did not answer within ${formatMs(timeoutMs)}: Twilio would have given up`, ms };
  }
  if (code === 'ECONNREFUSED' || code === 'EADDRNOTAVAIL')
    return { code, message: `nothing listening on ${where}`, ms };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { code, message: `cannot resolve ${where}`, ms };
  const text = oneLine(err);
  // An answer came: whatever the app did for the request may be done, so it is no "cannot reach".
  if (isUnreadableReply(err, code)) {
    return {
      code: code ?? 'HPE_INVALID',
      message: `${where} answered with a reply that is not valid HTTP (${text}): the request may have been carried out`,
      ms,
    };
  }
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')
    return {
      code,
      message: `${where} closed the connection before answering: the request may have been carried out`,
      ms,
    };
  return { code: code ?? 'error', message: `the request to ${where} failed: ${text}`, ms };
}
