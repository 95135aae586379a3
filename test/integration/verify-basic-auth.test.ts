/**
 * `verify --basic-auth` over captures whose requests went to URLs with credentials: the
 * simulator's (`twhook call` to `http://user:pass@…`, whose records mask the password in `url`),
 * and one request given with --url.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startIvrApp, type IvrApp } from '../support/ivr-app.js';
import { runCli, tempDir } from '../support/run-cli.js';

const TOKEN = '12345678901234567890123456789012';
const SIGNED = { TWILIO_AUTH_TOKEN: TOKEN, TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef' };
const PASSWORD = 'S1m-Basic.pass~77';

const apps: IvrApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, any>);

describe('verify --basic-auth', () => {
  it('a simulated call to a URL with credentials: verify needs the password, and with it agrees with the app', async () => {
    const app = await startIvrApp({
      authToken: TOKEN,
      basicAuth: { user: 'twilio', password: PASSWORD },
      signedWithCredentials: true,
    });
    apps.push(app);
    const cwd = tempDir();
    const call = await runCli(
      ['call', `http://twilio:${PASSWORD}@127.0.0.1:${app.port}/voice`, '--press', '1', '--capture', 'sim.jsonl'],
      { env: SIGNED, cwd },
    );
    expect(call.code, call.stderr).toBe(0);
    expect(app.seen.filter((s) => s.authorized).every((s) => s.valid)).toBe(true);
    const captured = readFileSync(join(cwd, 'sim.jsonl'), 'utf8');
    expect(captured).not.toContain(PASSWORD);

    const without = await runCli(['verify', 'sim.jsonl', '--json'], { env: SIGNED, cwd });
    expect(without.code).toBe(1);
    const bare = lines(without.stdout).filter((r) => r.id);
    expect(bare.length).toBeGreaterThan(1);
    for (const row of bare) {
      expect(row).toMatchObject({ verdict: 'invalid', basicAuth: 'missing' });
      expect(row.reason).toMatch(
        /^invalid without the basic-auth credentials, not checked with them \(http:\/\/twilio:\*\*\*@127\.0\.0\.1:\d+\/.*\): pass --basic-auth USER:PASS/,
      );
    }

    const withAuth = await runCli(['verify', 'sim.jsonl', '--json', '--basic-auth', `twilio:${PASSWORD}`], {
      env: SIGNED,
      cwd,
    });
    expect(withAuth.code, withAuth.stdout).toBe(0);
    const rows = lines(withAuth.stdout).filter((r) => r.id);
    expect(rows.map((r) => r.basicAuth)).toEqual(rows.map(() => 'with-credentials'));
    expect(withAuth.stdout + withAuth.stderr + without.stdout + without.stderr).not.toContain(PASSWORD);
  });

  it('one request: --url with --basic-auth checks the URL with the credentials, then without', async () => {
    const url = 'https://abc123.ngrok.app/sms';
    const body = 'Body=Hi&From=%2B15551234567';
    const params = { Body: 'Hi', From: '+15551234567' };
    const withCreds = `https://twilio:${encodeURIComponent(PASSWORD)}@abc123.ngrok.app/sms`;
    const signature = getExpectedTwilioSignature(TOKEN, withCreds, params);
    const args = ['verify', '--url', url, '--signature', signature, '--body', body, '--json'];
    const plain = await runCli(args, { env: SIGNED });
    expect(plain.code).toBe(1);
    const valid = await runCli([...args, '--basic-auth', `twilio:${PASSWORD}`], { env: SIGNED });
    expect(valid.code, valid.stderr).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({
      valid: true,
      basicAuth: 'with-credentials',
      reason: 'signature matches the URL with the basic-auth credentials',
    });
    expect(valid.stdout + valid.stderr).not.toContain(PASSWORD);
  });
});
