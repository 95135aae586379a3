/**
 * A small Twilio app for the simulator's tests (and `twhook call` / `text` / `test`): an IVR menu,
 * a speech Gather, a Record, a Dial with an action, an Enqueue with a waitUrl, cookies, relative
 * Redirects, a 500 with a fallback, a TwiML loop, plain-text and audio answers, and an SMS bot that
 * keeps its state in a cookie. It answers the way Express's res.send does (Content-Type text/html;
 * charset=utf-8), as Twilio's own samples do, and checks X-Twilio-Signature with the SDK when
 * given an auth token (403 otherwise). No test framework import: a CLI test can start it too.
 *
 * Menu (POST /voice): 1 sales (Dial +15551230000, action dial-done), 2 voicemail (Record, action
 * /recorded, recordingStatusCallback /recording-status), 3 support queue (Enqueue support, waitUrl
 * /hold, action /queue-done), 4 speech (Redirect to "speech", relative), 5 leave the queue (Enqueue
 * with waitUrl /hold-leave), 6 the queue with a Gather in its hold music (press 0 to leave), 7 a queue
 * whose hold music hangs up, 8 a queue whose waitUrl redirects to itself (a loop), 9 start over
 * (Redirect to /voice); anything else: "not an option". Started elsewhere: /dial-record and
 * /dial-record-ringing (a recorded Dial), /dial-whisper (a <Number url> whisper the called party
 * accepts with 1).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateRequest } from 'twilio/lib/webhooks/webhooks.js';
import { parseForm } from '../../src/webhooks/form.js';

export interface IvrSeen {
  method: string;
  path: string;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** undefined when the app has no auth token to check with. */
  valid?: boolean;
  /** With basicAuth: whether the request carried the right credentials (a 401 otherwise). */
  authorized?: boolean;
  /** The client closed the connection before an answer was sent (GET /hang never answers). */
  gone?: boolean;
}

export interface IvrApp {
  url: string;
  port: number;
  seen: IvrSeen[];
  close(): Promise<void>;
}

const EXPRESS_HTML = 'text/html; charset=utf-8';

function xml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

function twiml(inner: string): { status: number; type: string; body: string } {
  return {
    status: 200,
    type: EXPRESS_HTML,
    body: `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`,
  };
}

function cookies(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name) out[name] = decodeURIComponent(rest.join('='));
  }
  return out;
}

interface Answer {
  status: number;
  type?: string;
  body?: string;
  headers?: Record<string, string | string[]>;
}

function route(path: string, p: Record<string, string>, jar: Record<string, string>): Answer {
  switch (path) {
    case '/voice': {
      const again = jar.caller ? ' Welcome back.' : '';
      return {
        ...twiml(
          `<Gather numDigits="1" action="/menu" timeout="4"><Say voice="Polly.Joanna">Welcome to Acme.${again} Press 1 for sales, 2 to leave a message, 3 for support, 4 to talk to us.</Say></Gather>` +
            '<Say>We did not get your choice. Goodbye.</Say>',
        ),
        headers: { 'set-cookie': `caller=${encodeURIComponent(p.From ?? '')}; Path=/; HttpOnly` },
      };
    }
    case '/menu':
      switch (p.Digits) {
        case '1':
          return twiml(
            `<Say>Connecting you to sales, ${xml(jar.caller ?? 'stranger')}.</Say><Dial action="dial-done" timeout="20" callerId="+15017122661">+15551230000</Dial><Say>Unreachable after a Dial with an action.</Say>`,
          );
        case '2':
          return twiml(
            '<Say>Leave a message after the beep.</Say><Record action="/recorded" maxLength="30" finishOnKey="#" recordingStatusCallback="/recording-status"/><Say>We got no message.</Say>',
          );
        case '3':
          return twiml('<Enqueue waitUrl="/hold" action="/queue-done">support</Enqueue>');
        case '4':
          return twiml('<Redirect>speech</Redirect>');
        case '5':
          return twiml('<Enqueue waitUrl="/hold-leave" action="/queue-done">support</Enqueue>');
        case '6':
          return twiml('<Enqueue waitUrl="/hold-gather" action="/queue-done">support</Enqueue>');
        case '7':
          return twiml('<Enqueue waitUrl="/hold-hangup" action="/queue-done">support</Enqueue>');
        case '8':
          return twiml('<Enqueue waitUrl="/hold-loop">support</Enqueue><Say>After the queue.</Say>');
        case '9':
          return twiml('<Redirect method="POST">/voice</Redirect>');
        default:
          return twiml('<Say>Sorry, that is not an option.</Say><Redirect>voice</Redirect>');
      }
    case '/speech':
      return twiml(
        '<Gather input="speech" action="/heard" timeout="3" speechTimeout="auto"><Say>Tell us what you need.</Say></Gather><Say>We heard nothing.</Say>',
      );
    case '/heard':
      return twiml(`<Say>You said: ${xml(p.SpeechResult ?? '')}.</Say><Hangup/>`);
    case '/dial-done':
      if (p.DialCallStatus === 'completed')
        return twiml(`<Say>Your call lasted ${xml(p.DialCallDuration ?? '?')} seconds. Goodbye.</Say><Hangup/>`);
      return twiml(`<Say>Sales is ${xml(p.DialCallStatus ?? '')}. Please call again.</Say><Hangup/>`);
    case '/pause':
      return twiml('<Say>Hold on.</Say><Pause length="3"/><Gather timeout="2"/><Say>Done.</Say>');
    case '/dial-record':
      return twiml(
        '<Dial action="/dial-done" record="record-from-answer-dual" recordingStatusCallback="/recording-status" recordingStatusCallbackEvent="in-progress completed">+15551230000</Dial>',
      );
    case '/dial-record-ringing':
      return twiml(
        '<Dial action="/dial-done" timeout="20" record="record-from-ringing" recordingStatusCallback="/recording-status">+15551230000</Dial>',
      );
    case '/dial-whisper':
      return twiml(
        '<Say>Please hold.</Say><Dial action="/dial-done" callerId="+15017122661"><Number url="whisper">+15551230000</Number></Dial>',
      );
    case '/whisper':
      return twiml(
        '<Gather numDigits="1" action="/whisper-choice" timeout="3"><Say>Call from Acme support. Press 1 to accept.</Say></Gather><Hangup/>',
      );
    case '/whisper-choice':
      return twiml(p.Digits === '1' ? '<Say>Connecting.</Say>' : '<Hangup/>');
    case '/recorded':
      return twiml(`<Say>Thanks, we got ${xml(p.RecordingDuration ?? '0')} seconds.</Say><Hangup/>`);
    case '/hold':
      return twiml(
        `<Say>You are number ${xml(p.QueuePosition ?? '?')} in the queue.</Say><Play>https://example.com/hold.mp3</Play>`,
      );
    case '/hold-gather':
      return twiml(
        `<Gather numDigits="1" action="/hold-choice" timeout="5"><Say>Waited ${xml(p.QueueTime ?? '?')} seconds. Press 0 to leave the queue.</Say></Gather><Play>https://example.com/hold.mp3</Play>`,
      );
    case '/hold-choice':
      return twiml(p.Digits === '0' ? '<Say>Leaving the queue.</Say><Leave/>' : '<Say>Still waiting.</Say>');
    case '/hold-hangup':
      return twiml('<Say>We are closed.</Say><Hangup/>');
    case '/hold-loop':
      return twiml('<Redirect>/hold-loop</Redirect>');
    case '/hold-leave':
      return twiml('<Say>Nobody is free.</Say><Leave/>');
    case '/queue-done':
      return twiml(`<Say>Queue result: ${xml(p.QueueResult ?? '')}.</Say>`);
    case '/broken':
      return {
        status: 500,
        type: EXPRESS_HTML,
        body: '<!DOCTYPE html><html><body><pre>TypeError: x is undefined</pre></body></html>',
      };
    case '/fallback':
      return twiml(`<Say>Something went wrong: error ${xml(p.ErrorCode ?? '')}.</Say>`);
    case '/loop':
      return twiml('<Redirect>/loop</Redirect>');
    case '/plain':
      return { status: 200, type: 'text/plain', body: 'We are closed today.' };
    case '/audio':
      return { status: 200, type: 'audio/mpeg', body: 'ID3' };
    case '/json':
      return { status: 200, type: 'application/json', body: '{"say":"hi"}' };
    case '/reject':
      return twiml('<Reject reason="busy"/>');
    case '/sms': {
      const body = (p.Body ?? '').trim().toLowerCase();
      const step = jar.step;
      if (!step || body === 'hi' || body === 'menu') {
        return {
          ...twiml('<Message>Hi! Reply 1 for order status, 2 for opening hours.</Message>'),
          headers: { 'set-cookie': 'step=menu; Path=/' },
        };
      }
      if (body === '1')
        return {
          ...twiml('<Message>Your order has shipped.</Message>'),
          headers: { 'set-cookie': 'step=done; Path=/' },
        };
      if (body === '2')
        return twiml('<Message><Body>We are open 9 to 5.</Body><Media>https://example.com/hours.png</Media></Message>');
      return twiml('<Message>Reply 1 or 2.</Message>');
    }
    case '/sms-plain':
      return { status: 200, type: 'text/plain; charset=utf-8', body: `Got "${p.Body ?? ''}"` };
    case '/sms-silent':
      return { status: 204 };
    case '/status':
    case '/recording-status':
    case '/message-status':
      return { status: 204 };
    default:
      return {
        status: 404,
        type: EXPRESS_HTML,
        body: `<!DOCTYPE html><html><body><pre>Cannot POST ${xml(path)}</pre></body></html>`,
      };
  }
}

export interface IvrAppOptions {
  authToken?: string;
  publicUrl?: string;
  /** Require HTTP Basic auth: a request without these credentials gets 401 and a Basic challenge. */
  basicAuth?: { user: string; password: string };
  /** With basicAuth: challenge for HTTP Digest instead (RFC 7616, MD5, qop auth), checked in full. */
  digest?: boolean;
  /**
   * With basicAuth: validate signatures against the URL with `user:password@` (as its owner
   * configured it at Twilio) instead of the bare Host header's.
   */
  signedWithCredentials?: boolean;
}

export async function startIvrApp(options: IvrAppOptions = {}): Promise<IvrApp> {
  const expected = options.basicAuth
    ? `Basic ${Buffer.from(`${options.basicAuth.user}:${options.basicAuth.password}`).toString('base64')}`
    : undefined;
  const seen: IvrSeen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const [path, query = ''] = (req.url ?? '/').split('?') as [string, string?];
      const raw = req.method === 'POST' ? parseForm(body) : parseForm(query);
      const params: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) params[k] = Array.isArray(v) ? v[0]! : v;
      let valid: boolean | undefined;
      if (options.authToken) {
        const credentials =
          options.signedWithCredentials && options.basicAuth
            ? `${options.basicAuth.user}:${encodeURIComponent(options.basicAuth.password)}@`
            : '';
        const base = options.publicUrl ?? `http://${credentials}${req.headers.host}`;
        const signature = String(req.headers['x-twilio-signature'] ?? '');
        valid = validateRequest(
          options.authToken,
          signature,
          base + (req.url ?? '/'),
          req.method === 'POST' ? raw : {},
        );
      }
      const authorized = options.basicAuth
        ? options.digest
          ? digestValid(req, options.basicAuth)
          : req.headers.authorization === expected
        : undefined;
      const entry: IvrSeen = { method: req.method ?? 'GET', path, params, headers: req.headers, valid, authorized };
      seen.push(entry);
      res.on('close', () => {
        if (!res.writableEnded) entry.gone = true;
      });
      if (path === '/hang') return; // never answers: the caller gives up or is stopped
      if (authorized === false) {
        const challenge = options.digest
          ? `Digest realm="${DIGEST_REALM}", qop="auth", nonce="${DIGEST_NONCE}", opaque="0paque", algorithm=MD5`
          : 'Basic realm="ivr"';
        res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'text/plain' }).end('Unauthorized');
        return;
      }
      if (valid === false) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Twilio Request Validation Failed.');
        return;
      }
      const answer = route(path, params, cookies(req));
      res
        .writeHead(answer.status, { ...(answer.type ? { 'content-type': answer.type } : {}), ...answer.headers })
        .end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const DIGEST_REALM = 'ivr@127.0.0.1';
const DIGEST_NONCE = 'dcd98b7102dd2f0e8b11d0f600bfb0c093';

/** RFC 7616 Digest (MD5, qop auth), as a web server checks it: every field, the response hash. */
function digestValid(req: IncomingMessage, credentials: { user: string; password: string }): boolean {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('Digest ')) return false;
  const f: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([a-z]+)=(?:"([^"]*)"|([^\s,]*))/g)) f[m[1]!] = m[2] ?? m[3]!;
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  if (f.username !== credentials.user || f.realm !== DIGEST_REALM || f.nonce !== DIGEST_NONCE) return false;
  if (f.uri !== req.url || f.qop !== 'auth' || f.opaque !== '0paque' || !/^[0-9a-f]{8}$/.test(f.nc ?? '')) return false;
  const ha1 = md5(`${credentials.user}:${DIGEST_REALM}:${credentials.password}`);
  const ha2 = md5(`${req.method}:${f.uri}`);
  return f.response === md5(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:auth:${ha2}`);
}
