/**
 * The demo's webhook app: what a small Twilio app looks like when it is written right. It rebuilds
 * the public URL from X-Forwarded-Proto / X-Forwarded-Host (it sits behind a tunnel), checks
 * X-Twilio-Signature with the twilio SDK's own functions, refuses forgeries with 403, and answers
 * SMS and calls with TwiML.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateRequest, validateRequestWithBody } from 'twilio/lib/webhooks/webhooks.js';
import { parseForm } from '../webhooks/form.js';

export interface DemoApp {
  url: string;
  close(): Promise<void>;
}

const TWIML = 'text/xml; charset=utf-8';

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

function publicUrl(req: IncomingMessage): string {
  const proto = String(req.headers['x-forwarded-proto'] ?? 'http')
    .split(',')[0]!
    .trim();
  const host = String(req.headers['x-forwarded-host'] ?? req.headers.host ?? '')
    .split(',')[0]!
    .trim();
  return `${proto}://${host}${req.url ?? '/'}`;
}

function isSigned(authToken: string, req: IncomingMessage, body: string): boolean {
  const signature = req.headers['x-twilio-signature'];
  if (typeof signature !== 'string') return false;
  const url = publicUrl(req);
  if (url.includes('bodySHA256=')) return validateRequestWithBody(authToken, signature, url, body);
  return validateRequest(authToken, signature, url, req.method === 'POST' ? parseForm(body) : {});
}

function answer(
  path: string,
  params: Record<string, string | string[]>,
): { status: number; type?: string; body?: string } {
  const param = (name: string) => {
    const value = params[name];
    return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  };
  switch (path) {
    case '/sms':
      return {
        status: 200,
        type: TWIML,
        body: `<?xml version="1.0" encoding="UTF-8"?><Response><Message statusCallback="/status">Thanks for "${escapeXml(param('Body'))}". Your order ships today.</Message></Response>`,
      };
    case '/voice':
      return {
        status: 200,
        type: TWIML,
        body: '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="/gather" numDigits="1"><Say>Press 1 for your order status.</Say></Gather><Say>We did not get a key. Goodbye.</Say></Response>',
      };
    case '/gather':
      return {
        status: 200,
        type: TWIML,
        body: `<?xml version="1.0" encoding="UTF-8"?><Response><Say>You pressed ${escapeXml(param('Digits'))}. Your order ships today. Goodbye.</Say><Hangup/></Response>`,
      };
    case '/status':
      return { status: 204 };
    default:
      return { status: 404, type: 'text/plain', body: 'not found' };
  }
}

export async function startDemoApp(authToken: string): Promise<DemoApp> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (!isSigned(authToken, req, body)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Twilio signature check failed');
        return;
      }
      const path = (req.url ?? '/').split('?')[0]!;
      const reply = answer(path, req.method === 'POST' && !path.includes('bodySHA256') ? parseForm(body) : {});
      res.writeHead(reply.status, reply.type ? { 'content-type': reply.type } : {}).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
