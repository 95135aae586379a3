/**
 * Forwarding one request to the local app (as Stripe keeps endpoint.go apart from proxy.go): the
 * request headers it sends, reading the caller's body under a limit, streaming the app's answer
 * back, and saying in one line why a forward failed. startProxy (server.ts) keeps the lifecycle.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher, Pool } from 'undici';
import type { Outcome } from './events.js';
import { errorCode, isUnreadableReply, oneLine } from '../net/error-code.js';
import { formatMs } from '../ui/format.js';

export interface Timeouts {
  /** Time allowed until the app's first byte (Twilio's rt). */
  readMs: number;
  /** Time allowed for the whole answer (Twilio's tt). */
  totalMs: number;
}

const DROP_REQUEST_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'expect',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-for',
]);
const DROP_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection']);

export class TotalTimeout extends Error {
  override readonly name = 'TotalTimeout';
}

export class CallerGone extends Error {
  override readonly name = 'CallerGone';
}

export interface Forwarded {
  status?: number;
  /** Response header names and values as received (latin1, byte for byte). */
  rawHeaders?: string[];
  /** The first `keepBytes` of the body, for the event. */
  kept: Buffer[];
  keptBytes: number;
  /** Size of the whole body. */
  bytes: number;
  error?: unknown;
  abortReason?: unknown;
}

/**
 * Sends the request to the app and streams its answer into `res` as it comes (undici's dispatch
 * API: no intermediate streams). Resolves when the answer is complete or failed; never rejects.
 * The caller ends `res` on success.
 */
export function forward(
  pool: Pool,
  options: Dispatcher.DispatchOptions,
  res: ServerResponse,
  keepBytes: number,
  totalMs: number,
): Promise<Forwarded> {
  return new Promise((resolve) => {
    const result: Forwarded = { kept: [], keptBytes: 0, bytes: 0 };
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    const abort = (reason: Error) => {
      if (settled || result.abortReason) return;
      result.abortReason = reason;
      controller?.abort(reason);
    };
    const timer = setTimeout(() => abort(new TotalTimeout()), totalMs);
    const onClose = () => {
      if (!res.writableFinished) abort(new CallerGone());
    };
    const onDrain = () => controller?.resume();
    res.on('close', onClose);
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      res.off('close', onClose);
      res.off('drain', onDrain);
      if (error) result.error = error;
      resolve(result);
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (result.abortReason) c.abort(result.abortReason as Error);
      },
      onResponseStart(c, statusCode, _headers, statusMessage) {
        if (statusCode < 200) return;
        const raw = (c.rawHeaders ?? []) as (Buffer | string)[];
        const all = raw.map((v) => (typeof v === 'string' ? v : v.toString('latin1')));
        const sent: string[] = [];
        for (let i = 0; i + 1 < all.length; i += 2) {
          if (!DROP_RESPONSE_HEADERS.has(all[i]!.toLowerCase())) sent.push(all[i]!, all[i + 1]!);
        }
        result.status = statusCode;
        result.rawHeaders = all;
        try {
          res.writeHead(statusCode, statusMessage || undefined, sent);
        } catch (err) {
          c.abort(err as Error);
        }
      },
      onResponseData(c, chunk) {
        result.bytes += chunk.length;
        if (result.keptBytes < keepBytes) {
          const part =
            result.keptBytes + chunk.length > keepBytes ? chunk.subarray(0, keepBytes - result.keptBytes) : chunk;
          result.kept.push(part);
          result.keptBytes += part.length;
        }
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', onDrain);
        }
      },
      onResponseEnd() {
        settle();
      },
      onResponseError(_c, err) {
        settle(err);
      },
    };
    try {
      pool.dispatch(options, handler);
    } catch (err) {
      settle(err);
    }
  });
}

export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** `proto` and `host`: the public URL's, worked out once when it was set; else from `publicBase`. */
export function forwardHeaders(
  req: IncomingMessage,
  proto: string | undefined,
  host: string | undefined,
  publicBase: string,
): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!DROP_REQUEST_HEADERS.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  }
  if (proto === undefined) {
    try {
      const base = new URL(publicBase);
      proto = base.protocol.replace(/:$/, '');
      host = base.host;
    } catch {
      // A Host header that names no host ("a b", "["): nothing to say about the public URL.
    }
  }
  const priorFor = headerValue(req.headers['x-forwarded-for']);
  const remote = req.socket.remoteAddress ?? '127.0.0.1';
  if (proto !== undefined) out.push('X-Forwarded-Proto', proto, 'X-Forwarded-Host', host!);
  out.push('X-Forwarded-For', priorFor ? `${priorFor}, ${remote}` : remote);
  return out;
}

export function describeFailure(
  err: unknown,
  abortReason: unknown,
  target: string,
  timeouts: Timeouts,
  path: string,
): { outcome: Outcome; status: number; message: string } {
  if (abortReason instanceof CallerGone)
    return { outcome: 'caller-gone', status: 499, message: 'the caller hung up before the answer was complete' };
  const code = errorCode(err);
  if (abortReason instanceof TotalTimeout) {
    return {
      outcome: 'timeout',
      status: 504,
      message: `${target} did not finish answering within ${formatMs(timeouts.totalMs)} (Twilio's total timeout for ${path}): Twilio gives up`,
    };
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return {
      outcome: 'timeout',
      status: 504,
      message: `${target} did not answer within ${formatMs(timeouts.readMs)} (Twilio's read timeout for ${path}): Twilio gives up`,
    };
  }
  if (code === 'ECONNREFUSED' || code === 'EADDRNOTAVAIL') {
    return { outcome: 'app-down', status: 502, message: `nothing listening on ${target}: start your app` };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return { outcome: 'app-down', status: 502, message: `cannot resolve ${target}` };
  const text = oneLine(err);
  // The app answered, and whatever it did for the request may be done: not the same as "down".
  if (isUnreadableReply(err, code)) {
    return {
      outcome: 'app-error',
      status: 502,
      message: `${target} answered with a reply that is not valid HTTP (${text}): the request may have been carried out`,
    };
  }
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    return {
      outcome: 'app-error',
      status: 502,
      message: `${target} closed the connection before answering (${code}): the request may have been carried out`,
    };
  }
  return {
    outcome: 'app-error',
    status: 502,
    message: `the connection to ${target} failed: ${code ? `${code} ` : ''}${text}`.trim(),
  };
}

export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
