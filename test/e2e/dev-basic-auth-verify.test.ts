// Spawns the built bin: run `npm run build` first (npm test does).
// Issue 11, item 8: in a `dev --basic-auth` session, a request signed over the URL with the
// credentials is valid in the live view; `verify` of the same capture must agree.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks.js';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { BIN, binEnv, ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';
import { post, startApp, waitFor } from '../support/dev-session.js';
import { LeakScanner } from '../secrets/scan.js';

const built = existsSync(join(ROOT, 'dist', 'commands', 'verify.js'));
const PUBLIC = 'https://dev.example.test';
const USER = 'twhookdev';
/** A password URL encoding changes ('+'), so every form of it is looked for. */
const PASSWORD = 'Dev+Basic.P4ss-w0rd~';
const CREDENTIALED = `https://${USER}:${encodeURIComponent(PASSWORD)}@dev.example.test/sms`;
const SMS = {
  AccountSid: 'ACxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  MessageSid: 'SM0123456789abcdef0123456789abcdef',
  From: '+15551234567',
  To: '+14155550100',
  Body: 'Hello there',
  NumMedia: '0',
};
const BODY = new URLSearchParams(SMS).toString();

type Json = Record<string, any>;
const lines = (text: string): Json[] =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Json);

describe.runIf(built)('dev --basic-auth, then verify of its capture (built bin)', () => {
  it('verify agrees with the live view with --basic-auth, says what is missing without it; no password anywhere', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => {
      res.setHeader('Content-Type', 'text/xml');
      res.end('<Response/>');
    });
    const home = tempDir('twhook-home-');
    const env = binEnv(home, emu);
    const cwd = tempDir('twhook-cwd-');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'dev',
        String(app.port),
        '--public-url',
        PUBLIC,
        '--number',
        '+14155550100',
        '--no-voice',
        '--basic-auth',
        `${USER}:${PASSWORD}`,
        '--capture',
        'cap.jsonl',
        '--no-inspect',
        '--json',
      ],
      { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let live: Json[];
    try {
      const ready = await waitFor('the ready event', () => lines(stdout).find((e) => e.type === 'ready'), 15_000);
      expect(ready.basicAuth).toBe(true);
      const auth = { Authorization: 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64') };
      const signed = (url: string) => getExpectedTwilioSignature(emu.authToken, url, SMS);
      // As Twilio signs: over the URL the number was given, credentials included.
      for (const signature of [signed(CREDENTIALED), signed(`${PUBLIC}/sms`), signed('https://forged.test/sms')]) {
        const answer = await post(`${ready.proxyUrl}/sms`, BODY, { ...auth, 'X-Twilio-Signature': signature });
        expect(answer.status).toBe(200);
      }
      live = await waitFor('three requests', () => {
        const requests = lines(stdout).filter((e) => e.type === 'request');
        return requests.length === 3 && requests;
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
    expect(live.map((e) => e.verdict.status)).toEqual(['valid', 'valid', 'invalid']);
    expect(live.map((e) => e.verdict.matchedUrl)).toEqual(['with-credentials', 'without-credentials', undefined]);

    // The capture keeps the credentialed URL's shape, password masked, and what dev matched.
    const records = lines(readFileSync(join(cwd, 'cap.jsonl'), 'utf8'));
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(r.url).toBe(`${PUBLIC}/sms`);
      expect(r.credentialedUrl).toBe(`https://${USER}:***@dev.example.test/sms`);
    }
    expect(records.map((r) => r.matchedUrl)).toEqual(['with-credentials', 'without-credentials', undefined]);

    // verify with the session's credentials: the live view's verdicts, reason for reason.
    const withAuth = await runBin(['verify', 'cap.jsonl', '--json', '--basic-auth', `${USER}:${PASSWORD}`], {
      env,
      cwd,
    });
    expect(withAuth.code, withAuth.stderr).toBe(1); // the forged one
    const rows = lines(withAuth.stdout).filter((r) => r.id);
    expect(rows.map((r) => r.verdict)).toEqual(live.map((e) => e.verdict.status));
    expect(rows.map((r) => r.reason)).toEqual(live.map((e) => e.verdict.reason));
    expect(rows.map((r) => r.basicAuth)).toEqual(['with-credentials', 'without-credentials', undefined]);

    // Without them: the credentialed one says what is missing and how to fix it, not a bare invalid.
    const without = await runBin(['verify', 'cap.jsonl', '--json'], { env, cwd });
    expect(without.code).toBe(1);
    const bare = lines(without.stdout).filter((r) => r.id);
    expect(bare[0]).toMatchObject({ verdict: 'invalid', basicAuth: 'missing' });
    expect(bare[0]!.reason).toBe(
      `signed over a URL with basic-auth credentials (https://${USER}:***@dev.example.test/sms): pass --basic-auth USER:PASS`,
    );
    expect(bare[1]).toMatchObject({ verdict: 'valid', reason: live[1]!.verdict.reason });
    const text = await runBin(['verify', 'cap.jsonl'], { env, cwd });
    expect(text.code).toBe(1);
    // The forged one too: without the password, it cannot be told from one signed with it.
    expect(text.stderr).toMatch(/2 not checked with the basic-auth credentials: pass --basic-auth USER:PASS/);

    // Another user, a wrong password: said as such.
    const otherUser = await runBin(['verify', 'cap.jsonl', '--json', '--basic-auth', `someone:${PASSWORD}`], {
      env,
      cwd,
    });
    expect(lines(otherUser.stdout)[0]!.reason).toContain(
      '(captured with the user "twhookdev", --basic-auth gives "someone")',
    );
    const wrong = await runBin(['verify', 'cap.jsonl', '--basic-auth', `${USER}:not-the-password`], { env, cwd });
    expect(wrong.stdout).toMatch(/check the --basic-auth password/);

    // Credentials Twilio cannot carry are refused as dev refuses them.
    const refused = await runBin(['verify', 'cap.jsonl', '--basic-auth', `${USER}:p&ss-word`], { env, cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the password has "&"/);

    // The password is in no output and not in the capture, in any encoding.
    const scan = new LeakScanner([{ name: 'dev basic-auth password', value: PASSWORD, user: USER }]);
    scan.run('dev --basic-auth --json', { stdout, stderr });
    for (const [label, result] of Object.entries({ withAuth, without, text, otherUser, wrong, refused }))
      scan.run(`verify ${label}`, result);
    scan.file(join(cwd, 'cap.jsonl'), 'the capture');
    expect(scan.leaks).toEqual([]);
    expect(scan.scanned.length).toBeGreaterThan(10);
  });
});
