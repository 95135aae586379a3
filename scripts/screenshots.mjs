#!/usr/bin/env node
// Renders the README's screenshots of the web inspector into docs/: the request list (with a
// forged request's signature explained) and a call's timeline (with its TwiML laid out).
// Runs `twhook dev` (the built bin: `npm run build` first) with --public-url in front of a small
// app, sends a call, a conversation, a forged request and a TwiML mistake, and photographs the
// page in Debian's chromium (playwright-core). Offline: everything is on 127.0.0.1.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { signRequest } = await import(new URL('../dist/webhooks/signature.js', import.meta.url).href);
const chromiumPath = [process.env.TWHOOK_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => p && existsSync(p),
);
if (!chromiumPath) {
  console.error('screenshots: no Chromium (apt-get install chromium, or set TWHOOK_CHROMIUM)');
  process.exit(2);
}

const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const PUBLIC = 'https://demo-7f3a.ngrok-free.app';
const ACCOUNT = 'AC8d2f0c9b7a6e5d4c3b2a1f0e9d8c7b6a';

// The app: a phone menu, an SMS auto-reply with a typo in its TwiML, status callbacks.
const app = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const params = new URLSearchParams(body);
    const xml = (text) => {
      res.setHeader('Content-Type', 'text/xml');
      res.end(`<?xml version="1.0" encoding="UTF-8"?>${text}`);
    };
    if (req.url === '/voice')
      return xml(
        '<Response><Gather action="/menu" numDigits="1" timeout="5"><Say voice="Polly.Joanna">Thanks for calling Owl Bakery. Press 1 for orders, 2 for opening hours.</Say></Gather><Redirect>/voice</Redirect></Response>',
      );
    if (req.url === '/menu') {
      return params.get('Digits') === '1'
        ? xml(
            '<Response><Say voice="Polly.Joanna">Connecting you to the order desk.</Say><Dial callerId="+15017122661" timeout="20"><Number>+15005550006</Number></Dial></Response>',
          )
        : xml('<Response><Say>We open at 7 every morning.</Say><Hangup/></Response>');
    }
    if (req.url === '/sms') {
      const text = params.get('Body') ?? '';
      return /hours/i.test(text)
        ? xml('<Response><Mesage>We open at 7.</Mesage></Response>')
        : xml(
            `<Response><Message>Thanks! Your order "${text}" is in. Reply HOURS for opening hours.</Message></Response>`,
          );
    }
    res.statusCode = 204;
    res.end();
  });
});
await new Promise((r) => app.listen(0, '127.0.0.1', r));
const appPort = app.address().port;

const home = mkdtempSync(join(tmpdir(), 'twhook-shots-'));
const dev = spawn(
  process.execPath,
  [
    join(root, 'bin', 'twhook.js'),
    'dev',
    String(appPort),
    '--public-url',
    PUBLIC,
    '--no-capture',
    '--inspect-port',
    '0',
    '--json',
  ],
  {
    cwd: home,
    env: { PATH: process.env.PATH, HOME: home, NO_COLOR: '1', TWILIO_AUTH_TOKEN: TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const ready = await new Promise((resolve, reject) => {
  let out = '';
  dev.stdout.on('data', (d) => {
    out += d;
    const line = out.split('\n').find((l) => l.includes('"type":"ready"'));
    if (line) resolve(JSON.parse(line));
  });
  dev.on('exit', (code) => reject(new Error(`twhook dev exited ${code}`)));
});

const pause = (ms) => new Promise((r) => setTimeout(r, ms));
async function send(path, params, { forge } = {}) {
  const signed = signRequest({ authToken: TOKEN, url: `${PUBLIC}${path}`, params });
  const body = forge ? signed.body.replace(forge[0], forge[1]) : signed.body;
  await fetch(`${ready.proxyUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signed.signature,
      'i-twilio-idempotency-token': crypto.randomUUID(),
      'user-agent': 'TwilioProxy/1.1',
    },
    body,
  });
  await pause(120);
}

const call = {
  AccountSid: ACCOUNT,
  ApiVersion: '2010-04-01',
  CallSid: 'CA3f9c2e7d1b8a4f6e0c5d9b2a7e4f1c8d',
  From: '+14155550142',
  To: '+15017122661',
  Caller: '+14155550142',
  Called: '+15017122661',
  Direction: 'inbound',
  FromCity: 'SAN FRANCISCO',
  FromState: 'CA',
  FromCountry: 'US',
};
const sms = {
  AccountSid: ACCOUNT,
  ApiVersion: '2010-04-01',
  MessageSid: 'SM7c1e9a3f5b2d8e4c6a0f1b9d3e7c5a2f',
  SmsSid: 'SM7c1e9a3f5b2d8e4c6a0f1b9d3e7c5a2f',
  From: '+13125550178',
  To: '+15017122661',
  NumMedia: '0',
  NumSegments: '1',
  FromCountry: 'US',
};
await send('/sms', { ...sms, Body: 'Two sourdough loaves for Saturday please' });
await send('/status', {
  AccountSid: ACCOUNT,
  MessageSid: 'SM0b4d8f2a6c1e9b3d7f5a2c8e4b0d6f1a',
  MessageStatus: 'sent',
  From: sms.To,
  To: sms.From,
});
await send('/status', {
  AccountSid: ACCOUNT,
  MessageSid: 'SM0b4d8f2a6c1e9b3d7f5a2c8e4b0d6f1a',
  MessageStatus: 'delivered',
  From: sms.To,
  To: sms.From,
});
await send('/voice', { ...call, CallStatus: 'ringing' });
await send('/menu', { ...call, CallStatus: 'in-progress', Digits: '1', FinishedOnKey: '' });
await send('/sms', {
  ...sms,
  MessageSid: 'SM5a8c2e6f0b4d9a1c7e3f5b8d2a6c0e4f',
  SmsSid: 'SM5a8c2e6f0b4d9a1c7e3f5b8d2a6c0e4f',
  Body: 'What are your hours?',
});
await send('/call-status', {
  ...call,
  CallStatus: 'completed',
  CallDuration: '48',
  Duration: '1',
  CallbackSource: 'call-progress-events',
  SequenceNumber: '3',
  Timestamp: 'Fri, 27 Nov 2026 10:02:11 +0000',
});
await send(
  '/sms',
  {
    ...sms,
    MessageSid: 'SM2e6a0c4f8b1d5e9a3c7f0b2d6e8a4c1f',
    SmsSid: 'SM2e6a0c4f8b1d5e9a3c7f0b2d6e8a4c1f',
    Body: 'Cancel my order',
  },
  { forge: ['Cancel', 'Double'] },
);

const { chromium } = await import('playwright-core');
const profile = mkdtempSync(join(tmpdir(), 'twhook-shots-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
  ],
  viewport: { width: 1400, height: 860 },
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(ready.inspector.url);
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length >= 8);
  await page.locator('#rows tr', { hasText: 'invalid' }).click();
  await page.waitForSelector('.detail-head');
  await pause(200);
  await page.screenshot({ path: join(root, 'docs', 'inspector-list.png') });

  await page.click('#tab-groups');
  await page.locator('.group.g-call .step', { hasText: '/menu' }).click();
  await page.waitForSelector('.detail-head');
  // The answer and its TwiML in view.
  await page.evaluate(() => {
    const answer = [...document.querySelectorAll('#detail h3')].find((h) => h.textContent === 'Answer');
    const pane = document.getElementById('detail');
    if (answer && pane) pane.scrollTop = answer.closest('section').offsetTop - 200;
  });
  await pause(200);
  await page.screenshot({ path: join(root, 'docs', 'inspector-call.png') });
  console.log('wrote docs/inspector-list.png and docs/inspector-call.png');
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  dev.kill('SIGINT');
  await new Promise((r) => dev.once('exit', r));
  app.close();
  rmSync(home, { recursive: true, force: true });
}
