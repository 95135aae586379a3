/**
 * The web inspector in a real Chromium (Debian's package, driven by playwright-core): `twhook dev`
 * (the built bin) with --public-url in front of an app that checks signatures like the twilio SDK;
 * signed, forged and status-callback requests arrive; the page lists them, groups the call into
 * one timeline, explains the forged one's signature, replays (re-signed on the server), replays
 * with an edited parameter, and a page reached through a foreign host name (DNS rebinding) is
 * refused. Skips, saying why, without Chromium or a build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from '../../src/webhooks/signature.js';
import { findChromium, launchChromium, NO_CHROMIUM } from '../support/chromium.js';
import { post, waitFor } from '../support/dev-session.js';
import { BIN, binEnv, ROOT } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';
import { defaultReply, startTwilioApp, type TwilioApp } from '../support/twilio-app.js';

const TOKEN = '5f0c1a2b3c4d5e6f708192a3b4c5d6e7';
const ACCOUNT = 'AC00000000000000000000000000000000';
const PUBLIC = 'https://dev.example.test';
const built = existsSync(join(ROOT, 'dist', 'inspector', 'web', 'app.js'));
const chromium = findChromium();
const skipReason = !chromium ? NO_CHROMIUM : !built ? 'no build: run npm run build' : undefined;
if (skipReason) console.warn(`test/browser/inspector.test.ts skipped: ${skipReason}`);

const CALL = {
  AccountSid: ACCOUNT,
  CallSid: 'CA5e55105e55105e55105e55105e5510ab',
  From: '+15551230000',
  To: '+15017122661',
  CallStatus: 'ringing',
  Direction: 'inbound',
};
const SMS = {
  AccountSid: ACCOUNT,
  MessageSid: 'SM5e55105e55105e55105e55105e5510cd',
  From: '+15559870000',
  To: '+15017122661',
  Body: 'Hello from the test',
  NumMedia: '0',
};

describe.skipIf(!!skipReason)('the web inspector in Chromium', () => {
  let app: TwilioApp;
  let dev: ChildProcess;
  let inspector: string;
  let proxy: string;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const pageErrors: string[] = [];

  const send = async (path: string, params: Record<string, string>, how: 'signed' | 'forged' = 'signed') => {
    const signed = signRequest({ authToken: TOKEN, url: `${PUBLIC}${path}`, params });
    const body = how === 'forged' ? signed.body.replace('Hello', 'Jello') : signed.body;
    return post(`${proxy}${path}`, body, {
      'X-Twilio-Signature': signed.signature,
      'I-Twilio-Idempotency-Token': `${path}-${Math.random()}`,
    });
  };

  beforeAll(async () => {
    // Behind the tunnel, the app rebuilds the public URL from X-Forwarded-Proto and X-Forwarded-Host.
    app = await startTwilioApp({
      authToken: TOKEN,
      trustProxy: true,
      // Echoes the message, so an edited replay's answer differs from the captured one.
      reply: (seen) =>
        seen.path === '/sms'
          ? {
              status: 200,
              contentType: 'text/xml',
              body: `<Response><Message>Got: ${String(seen.params.Body)}</Message></Response>`,
            }
          : defaultReply(seen),
    });
    const env = { ...binEnv(tempDir('twhook-home-')), TWILIO_AUTH_TOKEN: TOKEN, TWILIO_ACCOUNT_SID: ACCOUNT };
    dev = spawn(process.execPath, [BIN, 'dev', String(app.port), '--public-url', PUBLIC, '--no-capture', '--json'], {
      cwd: tempDir('twhook-cwd-'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    dev.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const ready = await waitFor(
      'the ready event',
      () =>
        stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l))
          .find((e) => e.type === 'ready'),
      20_000,
    );
    inspector = ready.inspector.url;
    proxy = ready.proxyUrl;
    expect((await send('/voice', CALL)).status).toBe(200);
    expect((await send('/gather', { ...CALL, CallStatus: 'in-progress', Digits: '1' })).status).toBe(200);
    expect(
      (
        await send('/status', {
          ...CALL,
          CallStatus: 'completed',
          CallDuration: '7',
          CallbackSource: 'call-progress-events',
          SequenceNumber: '2',
        })
      ).status,
    ).toBe(204);
    expect((await send('/sms', SMS)).status).toBe(200);
    expect((await send('/sms', SMS, 'forged')).status).toBe(403);
    browser = await launchChromium({ args: ['--host-resolver-rules=MAP rebind.example.test 127.0.0.1'] });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.goto(inspector);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dev && dev.exitCode === null) {
      const exited = new Promise((r) => dev.once('exit', r));
      dev.kill('SIGTERM');
      await exited;
    }
    await app?.close();
  });

  it('lists every request live, with verdicts and statuses', async () => {
    const rows$ = page.locator('#rows tr');
    await expect.poll(() => rows$.count()).toBe(5);
    const rows = (await rows$.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    // Newest first.
    expect(rows[0]).toMatch(/\/sms .*inbound-sms .*✗ invalid .*403/);
    expect(rows[1]).toMatch(/\/sms .*inbound-sms .*✓ valid .*200/);
    expect(rows[4]).toMatch(/\/voice .*inbound-call .*✓ valid .*200/);
    // A request arriving while the page is open shows without a reload.
    await send('/status', {
      AccountSid: ACCOUNT,
      MessageSid: SMS.MessageSid,
      MessageStatus: 'delivered',
      From: SMS.To,
      To: SMS.From,
    });
    await expect.poll(() => rows$.count()).toBe(6);
    await page.selectOption('#f-verdict', 'invalid');
    await expect.poll(() => page.locator('#rows tr:visible').count()).toBe(1);
    await page.selectOption('#f-verdict', '');
  });

  it('groups the call into one timeline in order, and the messages between two numbers', async () => {
    await page.click('#tab-groups');
    const call = page.locator('.group.g-call');
    await expect.poll(() => call.count()).toBe(1);
    expect(await call.locator('header').innerText()).toContain('+15551230000 → +15017122661');
    expect(await call.locator('.step .kind').allInnerTexts()).toEqual(['inbound-call', 'gather', 'call-status']);
    const messages = page.locator('.group.g-messages');
    expect(await messages.locator('.step').count()).toBe(3);
    await call.locator('.step').nth(1).click();
    await page.waitForSelector('.detail-head');
    expect(await page.locator('.detail-head').innerText()).toContain('/gather');
    expect(await page.locator('table.params').innerText()).toMatch(/Digits\s+1\s+the keys the caller pressed/);
    // The answer laid out, and the simulator's reading of it.
    expect(await page.locator('pre.xml').innerText()).toContain('<Say>Hello</Say>');
    expect(await page.locator('section.card', { hasText: 'What a caller would hear' }).innerText()).toMatch(
      /Says\s+“?"?Hello/,
    );
    await page.click('#tab-list');
  });

  it('explains why the forged request failed its signature, as verify does', async () => {
    await page.locator('#rows tr').filter({ hasText: 'invalid' }).click();
    const signature = page.locator('section.card', { hasText: 'Signature' }).first();
    await expect.poll(() => signature.innerText()).toMatch(/✗ invalid/);
    expect(await signature.innerText()).toMatch(/body was changed after signing|forged/);
    expect(await signature.innerText()).toMatch(/X-Twilio-Signature: .*\(masked\)/);
    expect(await page.locator('.detail-head').innerText()).toContain('403');
  });

  it('replays a request with one click: re-signed for the public URL, the answer beside the captured one', async () => {
    const before = app.seen.length;
    await page
      .locator('#rows tr')
      .filter({ hasText: 'Hello from the test' })
      .filter({ hasText: 'valid' })
      .filter({ hasNotText: 'invalid' })
      .click();
    await page.waitForSelector('.detail-head');
    await page.click('button:has-text("Replay")');
    const result = page.locator('section.replay');
    await result.waitFor();
    expect(await result.innerText()).toMatch(/200/);
    expect(await result.innerText()).toMatch(/same answer as captured/);
    expect(await result.innerText()).toContain(`signed for ${PUBLIC}/sms`);
    expect(app.seen.length).toBe(before + 1);
    expect(app.seen.at(-1)!.valid).toBe(true);
    // The replay went through the session: it is in the list, marked.
    await expect.poll(() => page.locator('#rows tr', { hasText: '⟲ replay' }).count()).toBe(1);
  });

  it('replays with an edited parameter, still validly signed, and marks the differences', async () => {
    await page
      .locator('#rows tr')
      .filter({ hasText: 'Hello from the test' })
      .filter({ hasNotText: 'invalid' })
      .filter({ hasNotText: 'replay' })
      .click();
    await page.waitForSelector('.detail-head');
    await page.click('button:has-text("Replay with edits")');
    await page.fill('input[aria-label="value of Body"]', 'Edited in the browser');
    await page.click('button:has-text("Send")');
    const result = page.locator('section.replay');
    await result.waitFor();
    expect(await result.innerText()).toMatch(/200/);
    expect(await result.innerText()).toMatch(/the answer differs from the captured one/);
    expect(await result.locator('.diff .d-del').allInnerTexts()).toEqual([
      expect.stringContaining('Got: Hello from the test'),
    ]);
    expect(await result.locator('.diff .d-add').allInnerTexts()).toEqual([
      expect.stringContaining('Got: Edited in the browser'),
    ]);
    expect(app.seen.at(-1)!.params.Body).toBe('Edited in the browser');
    expect(app.seen.at(-1)!.valid).toBe(true);
  });

  it('copies a curl command signed by the server (the page never holds the auth token)', async () => {
    await page.click('button:has-text("Copy as curl")');
    const card = page.locator('section.curl');
    await card.waitFor();
    const text = await card.innerText();
    expect(text).toContain(`curl -sS -i -X POST '${PUBLIC}/sms'`);
    expect(text).toMatch(/x-twilio-signature: [A-Za-z0-9+/=]{28}/);
    const html = await page.content();
    expect(html).not.toContain(TOKEN);
  });

  it('refuses the page when reached through a foreign host name (DNS rebinding)', async () => {
    const port = new URL(inspector).port;
    const other = await browser.context.newPage();
    const response = await other.goto(`http://rebind.example.test:${port}/`);
    expect(response!.status()).toBe(421);
    expect(await other.content()).toContain('refused');
    const api = await other.goto(`http://rebind.example.test:${port}/api/requests`);
    expect(api!.status()).toBe(421);
    await other.close();
  });

  it('says when older requests were dropped from memory (twhook inspect --keep)', async () => {
    const dir = tempDir('twhook-inspect-');
    const records = [1, 2, 3].map((n) => {
      const signed = signRequest({ authToken: TOKEN, url: `${PUBLIC}/sms`, params: { ...SMS, Body: `message ${n}` } });
      return JSON.stringify({
        v: 1,
        id: `m${n}`,
        receivedAt: `2026-11-27T10:00:0${n}.000Z`,
        method: 'POST',
        url: `${PUBLIC}/sms`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signed.signature },
        body: signed.body,
      });
    });
    writeFileSync(join(dir, 'cap.jsonl'), records.join('\n') + '\n');
    const env = { ...binEnv(tempDir('twhook-home-')), TWILIO_AUTH_TOKEN: TOKEN };
    const child = spawn(process.execPath, [BIN, 'inspect', 'cap.jsonl', '--keep', '2', '--port', '0', '--json'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      const ready = await waitFor(
        'inspect ready',
        () =>
          stdout
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l))
            .find((e) => e.type === 'ready'),
        20_000,
      );
      const other = await browser.context.newPage();
      other.on('pageerror', (e) => pageErrors.push(e.message));
      await other.goto(ready.url);
      await expect.poll(() => other.locator('#rows tr').count()).toBe(2);
      // The page fills the note from its own answer, which may land after the rows: wait for it.
      await expect
        .poll(() => other.locator('#dropped').innerText())
        .toMatch(/last 2 requests: 1 older one was dropped from memory \(the capture file keeps them all\)/);
      expect(await other.locator('#rows tr').first().innerText()).toMatch(/✓ valid/);
      await other.close();
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
  });

  it('ran without script errors or CSP violations', () => {
    expect(pageErrors.filter((e) => !/421/.test(e))).toEqual([]);
  });
});
