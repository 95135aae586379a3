// Spawns the built bin and the built package: run `npx tsc -p tsconfig.build.json` first (npm test does).
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';

const built = existsSync(join(ROOT, 'dist', 'index.js')) && existsSync(join(ROOT, 'dist', 'commands', 'verify.js'));
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';

describe.runIf(built)('sign then verify with the built bin', () => {
  it('a signature from `twhook sign` passes `twhook verify`; a changed body fails with exit 1', async () => {
    const env = { TWILIO_AUTH_TOKEN: TOKEN };
    const url = 'https://abc123.ngrok.app/sms';
    const sign = await runBin(['sign', '--url', url, '--param', 'Body=Hello', '--param', 'From=+15551234567'], { env });
    expect(sign.code).toBe(0);
    const signature = sign.stdout.trim();
    const ok = await runBin(
      ['verify', '--url', url, '--signature', signature, '--body', 'Body=Hello&From=%2B15551234567', '--json'],
      { env },
    );
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, verdict: 'valid', kind: 'unknown' });
    const bad = await runBin(
      ['verify', '--url', url, '--signature', signature, '--body', 'Body=Hellp&From=%2B15551234567'],
      { env },
    );
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^invalid: /);
    expect(bad.stdout + bad.stderr + sign.stderr).not.toContain(TOKEN);
  });

  it('verify <capture file> exit codes: 0 valid, 1 invalid, 2 unreadable', async () => {
    const env = { TWILIO_AUTH_TOKEN: TOKEN };
    const dir = tempDir();
    const url = 'https://abc123.ngrok.app/sms';
    const sign = await runBin(['sign', '--url', url, '--param', 'MessageSid=SM1', '--param', 'Body=Hi', '--json'], {
      env,
    });
    const { signature, body } = JSON.parse(sign.stdout) as { signature: string; body: string };
    const record = {
      v: 1,
      id: 'a',
      receivedAt: '2026-11-27T10:00:00.000Z',
      method: 'POST',
      url,
      headers: { 'x-twilio-signature': signature },
      body,
    };
    writeFileSync(join(dir, 'ok.jsonl'), JSON.stringify(record) + '\n');
    writeFileSync(join(dir, 'bad.jsonl'), JSON.stringify({ ...record, url: 'http://abc123.ngrok.app/sms' }) + '\n');
    expect((await runBin(['verify', join(dir, 'ok.jsonl')], { env })).code).toBe(0);
    const bad = await runBin(['verify', join(dir, 'bad.jsonl')], { env });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('trust X-Forwarded-Proto');
    expect((await runBin(['verify', join(dir, 'missing.jsonl')], { env })).code).toBe(2);
  });

  it("`import { signRequest, verifyRequest } from 'twhook'` works from the built package", async () => {
    const script = `
      import { signRequest, verifyRequest } from 'twhook';
      const s = signRequest({ authToken: '${TOKEN}', url: 'https://example.com/sms', params: { Body: 'Hi' } });
      const v = verifyRequest({ url: s.url, signature: s.signature, body: s.body, authTokens: ['${TOKEN}'] });
      console.log(JSON.stringify(v));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
    });
    expect(JSON.parse(stdout)).toMatchObject({ valid: true, tokenIndex: 1 });
  });
});
