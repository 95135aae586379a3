/**
 * Commands with a twilio-cli profile, in-process against the emulator: what doctor says of each
 * value's source, and how dev and the signing commands say (once) that a profile has no auth token.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startApp, startCli, waitFor } from '../support/dev-session.js';
import { useEmulator } from '../support/emulator.js';
import { runCli, tempDir } from '../support/run-cli.js';

const KEY = 'SK' + '4d'.repeat(16);
const SECRET = 'profileSecretForCommands0123456';
const LEGACY_SID = 'AC' + '9'.repeat(32);

/** twilio-cli's folder with "work" (active, the emulator's account) and "old" (twilio-cli 2, keychain). */
function twilioCli(accountSid: string, extra: Record<string, string> = {}): string {
  const dir = tempDir('twilio-cli-');
  mkdirSync(dir, { recursive: true });
  const config = {
    profiles: { work: { accountSid, apiKey: KEY, apiSecret: SECRET, ...extra } },
    projects: [{ id: 'old', accountSid: LEGACY_SID }],
    activeProject: 'work',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('doctor with twilio-cli profiles', () => {
  it('names the profile and file of each value, the region and its edge, never the secret', async () => {
    const emu = await useEmulator({ region: 'au1', apiKeys: [{ sid: KEY, secret: SECRET }] });
    const dir = twilioCli(emu.accountSid, { region: 'au1' });
    const file = join(dir, 'config.json');
    const r = await runCli(['doctor'], { env: { TWILIO_CONFIG_DIR: dir, TWHOOK_API_URL: emu.url } });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain(
      `✓ account SID  AC…${emu.accountSid.slice(-4)} from twilio-cli's active profile "work" (${file})`,
    );
    expect(lines).toContain(
      `✓ API key      SK…4d4d from twilio-cli's active profile "work" (${file}), secret set from the same profile; REST calls use it`,
    );
    expect(lines).toContain(`✓ twilio-cli   profile "work" (the active profile) in ${file}`);
    expect(lines).toContain(`✓ region       au1 from twilio-cli's active profile "work" (${file})`);
    expect(lines).toContain("✓ edge         sydney: Twilio's edge for au1");
    expect(r.stdout).toContain(
      `✓ Twilio API   api.sydney.au1.twilio.com via ${emu.url} (from TWHOOK_API_URL) answered`,
    );
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('says when the active profile is not used, and when a profile keeps its key in the keychain', async () => {
    const emu = await useEmulator();
    const dir = twilioCli(emu.accountSid);
    const unused = await runCli(['doctor'], { env: { ...emu.env, TWILIO_CONFIG_DIR: dir } });
    expect(unused.stdout).toContain(
      `- twilio-cli   active profile "work" in ${join(dir, 'config.json')} not used: the account SID is set (--profile uses a profile)`,
    );
    const old = await runCli(['doctor', '--json', '--profile', 'old'], {
      env: { TWILIO_CONFIG_DIR: dir, TWHOOK_API_URL: emu.url },
    });
    expect(old.code).toBe(1);
    const report = old.json()[0] as { checks: { name: string; status: string; detail: string }[] };
    const check = (name: string) => report.checks.find((c) => c.name === name)!;
    expect(check('twilio-cli')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('older twilio-cli versions keep them in the system keychain'),
    });
    expect(check('auth token')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('run `twilio login` again with twilio-cli 3 or later'),
    });
    expect(check('Twilio API').status).toBe('skip');
  });
});

describe('a profile and signatures', () => {
  it('dev says once that signatures go unchecked, and why; --enforce-signatures refuses with the same reason', async () => {
    const emu = await useEmulator({ apiKeys: [{ sid: KEY, secret: SECRET }] });
    const dir = twilioCli(emu.accountSid);
    const env = { TWILIO_CONFIG_DIR: dir, TWHOOK_API_URL: emu.url };
    const app = await startApp((_req, res) => res.end('<Response/>'));
    const cli = startCli(['dev', String(app.port), '--public-url', 'https://dev.example.test', '--no-capture'], {
      env: { ...env, NO_COLOR: '1' },
    });
    await waitFor('the banner', () => cli.stderr.text().includes('→'));
    const notes = cli.stderr
      .text()
      .split('\n')
      .filter((l) => l.includes('twilio-cli profiles do not keep'));
    expect(notes).toEqual([
      'signatures go unchecked: checking them needs the auth token, which twilio-cli profiles do not keep (Twilio signs webhooks ' +
        'with the auth token, not with the API key of profile "work"): set TWILIO_AUTH_TOKEN or pass --auth-token (the Auth Token in the Twilio Console)',
    ]);
    cli.interrupt();
    expect(await cli.exit).toBe(0);

    const enforced = await runCli(['dev', '3000', '--public-url', 'https://dev.example.test', '--enforce-signatures'], {
      env,
    });
    expect(enforced.code).toBe(2);
    expect(enforced.stderr).toMatch(
      /^error: --enforce-signatures needs the auth token, which twilio-cli profiles do not keep/,
    );
    expect(enforced.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('verify and trigger ask for TWILIO_AUTH_TOKEN; with it, the profile still makes the REST calls', async () => {
    const emu = await useEmulator({ apiKeys: [{ sid: KEY, secret: SECRET }] });
    const dir = twilioCli(emu.accountSid);
    const env = { TWILIO_CONFIG_DIR: dir, TWHOOK_API_URL: emu.url };
    const runs = [
      await runCli(['trigger', 'sms', '--to', 'http://127.0.0.1:9/sms'], { env }),
      await runCli(
        ['verify', '--url', 'https://hooks.example.com/sms', '--signature', 'x'.repeat(28), '--body', 'Body=hi'],
        { env },
      ),
    ];
    for (const r of runs) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: signatures need the auth token, which twilio-cli profiles do not keep .*\n$/);
    }
    const list = await runCli(['numbers', 'list', '--json'], { env: { ...env, TWILIO_AUTH_TOKEN: emu.authToken } });
    expect(list.code).toBe(0);
    expect(emu.requests.at(-1)!.authUser).toBe(KEY);
  });
});
