/**
 * Sending webhook requests to an app, for `replay` and `trigger`: undici (imported lazily, so
 * `--help` never pays for it) with one keep-alive pool per origin, Twilio's 15 s timeout, and the
 * answer read whole up to a limit. A failure to connect is a result, not a throw: the caller
 * shows it next to the others.
 */
import type { Dispatcher } from 'undici';

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

export async function createSender(options: SenderOptions = {}): Promise<Sender> {
  const { Agent } = await import('undici');
  const timeoutMs = options.timeoutMs ?? TWILIO_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const agent = new Agent({
    connections: options.connections ?? null,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 4_000,
    autoSelectFamily: true,
  });
  // Splitting the URL once per origin and path keeps the hot loop free of URL parsing.
  const split = (url: string): { origin: string; path: string } => {
    const match = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^#]*)/i.exec(url);
    if (!match) throw new TypeError(`not an absolute URL: ${url}`);
    const path = match[2] || '/';
    return { origin: match[1]!, path: path.startsWith('/') ? path : `/${path}` };
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
    async send(request, signal) {
      const started = performance.now();
      watch(signal);
      try {
        if (aborted) throw new Error('aborted');
        const { origin, path } = split(request.url);
        const response = await agent.request({
          origin,
          path,
          method: request.method as Dispatcher.HttpMethod,
          headers: request.headers,
          body: request.body,
        });
        const { body, truncated } = await readLimited(response.body, maxBodyBytes);
        const contentType = response.headers['content-type'];
        return {
          answer: {
            status: response.statusCode,
            headers: response.headers,
            contentType: Array.isArray(contentType) ? contentType[0] : contentType,
            body,
            truncated,
            ms: performance.now() - started,
          },
        };
      } catch (err) {
        return { failure: describeFailure(err, request.url, timeoutMs, performance.now() - started, aborted) };
      }
    },
    async close() {
      for (const [signal, onAbort] of watched) signal.removeEventListener('abort', onAbort);
      watched.clear();
      await (aborted ? Promise.resolve() : agent.close());
    },
  };
}

/** The body up to `limit` bytes; the rest is read and dropped, so the connection can be reused. */
function readLimited(body: Dispatcher.ResponseData['body'], limit: number): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    body.on('data', (chunk: Buffer) => {
      if (size + chunk.length > limit) {
        truncated = true;
        if (size < limit) chunks.push(chunk.subarray(0, limit - size));
        size = limit;
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    body.once('end', () => resolve({ body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), truncated }));
    body.once('error', reject);
  });
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
    return { code, message: `no answer within ${timeoutMs / 1000} s: Twilio would have given up`, ms };
  }
  if (code === 'ECONNREFUSED' || code === 'EADDRNOTAVAIL') return { code, message: `nothing listening on ${where}`, ms };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { code, message: `cannot resolve ${where}`, ms };
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return { code, message: `${where} closed the connection before answering`, ms };
  const text = err instanceof Error ? err.message : String(err);
  return { code: code ?? 'error', message: `the request to ${where} failed: ${text}`, ms };
}

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    // Happy eyeballs: every address refused.
    const inner = (current as { errors?: unknown[] }).errors?.[0];
    current = (current as { cause?: unknown }).cause ?? inner;
  }
  return undefined;
}
