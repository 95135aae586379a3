/**
 * A webhook app on 127.0.0.1 that validates signatures the way a Node app using the twilio SDK
 * does: it rebuilds its URL from the Host header (or, when it trusts a proxy, X-Forwarded-Proto
 * and X-Forwarded-Host), then calls validateRequest / validateRequestWithBody. Invalid requests
 * get 403, as twilio.webhook() answers them. It records what it saw and how many requests were in
 * flight at once.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';
import { afterEach } from 'vitest';
import { parseForm } from '../../src/webhooks/form.js';

export interface SeenRequest {
  method: string;
  /** The URL the app rebuilt (what it validated). */
  url: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  params: Record<string, string | string[]>;
  valid: boolean;
}

export interface Reply {
  status: number;
  contentType?: string;
  body?: string;
}

export interface TwilioAppOptions {
  authToken: string;
  /** Rebuild the URL from X-Forwarded-Proto / X-Forwarded-Host (Express's trust proxy). */
  trustProxy?: boolean;
  /** Answer even when the signature is invalid (an app that does not check). */
  skipValidation?: boolean;
  /** The answer to a valid request; default TwiML for /sms, /voice, /gather, 204 otherwise. */
  reply?: (seen: SeenRequest) => Reply;
  /** Hold each answer until this many requests are in flight (or `holdMs` passed): shows the concurrency. */
  holdUntilInFlight?: number;
  holdMs?: number;
}

export interface TwilioApp {
  url: string;
  port: number;
  seen: SeenRequest[];
  maxInFlight: () => number;
  close: () => Promise<void>;
}

export function defaultReply(seen: SeenRequest): Reply {
  if (seen.path.startsWith('/sms'))
    return {
      status: 200,
      contentType: 'text/xml',
      body: '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Got it</Message></Response>',
    };
  if (seen.path.startsWith('/voice') || seen.path.startsWith('/gather')) {
    return {
      status: 200,
      contentType: 'text/xml',
      body: '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello</Say></Response>',
    };
  }
  return { status: 204 };
}

export async function startTwilioApp(options: TwilioAppOptions): Promise<TwilioApp> {
  const seen: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const waiting: Array<() => void> = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
    const proto = (options.trustProxy && first(req.headers['x-forwarded-proto'])) || 'http';
    const host = (options.trustProxy && first(req.headers['x-forwarded-host'])) || req.headers.host || '';
    const url = `${proto}://${host}${req.url ?? '/'}`;
    const method = req.method ?? 'GET';
    const params = method === 'POST' && !url.includes('bodySHA256') ? parseForm(body) : {};
    const signature = first(req.headers['x-twilio-signature']) ?? '';
    let valid: boolean;
    try {
      valid = url.includes('bodySHA256=')
        ? validateRequestWithBody(options.authToken, signature, url, body)
        : validateRequest(options.authToken, signature, url, params);
    } catch {
      valid = false;
    }
    const entry: SeenRequest = {
      method,
      url,
      path: (req.url ?? '/').split('?')[0]!,
      headers: req.headers,
      body,
      params,
      valid,
    };
    seen.push(entry);

    if (options.holdUntilInFlight) {
      if (inFlight >= options.holdUntilInFlight) waiting.splice(0).forEach((release) => release());
      else
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, options.holdMs ?? 2000);
        });
    }

    const reply =
      valid || options.skipValidation
        ? (options.reply ?? defaultReply)(entry)
        : { status: 403, contentType: 'text/plain', body: 'Twilio Request Validation Failed.' };
    inFlight--;
    if (reply.contentType) res.setHeader('content-type', reply.contentType);
    res.statusCode = reply.status;
    res.end(reply.body ?? '');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port with nothing listening: bound, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const running: TwilioApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.close()));
});

/** startTwilioApp, closed after the test. */
export async function useTwilioApp(options: TwilioAppOptions): Promise<TwilioApp> {
  const started = await startTwilioApp(options);
  running.push(started);
  return started;
}
