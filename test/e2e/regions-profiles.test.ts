/**
 * The two stories issue 15 is done by, on the built bin against the emulator (TWHOOK_API_URL
 * stands in for Twilio, nothing else is set beyond what such a user has):
 * - an IE1 user with TWILIO_REGION=ie1 next to the usual TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN;
 * - a `twilio login` user: only ~/.twilio-cli/config.json, as twilio-cli 3+ writes it.
 * Both run `twhook numbers list` and `twhook configure`. The emulator's account lives in a region
 * when the story says so, and refuses requests meant for another region's host, as Twilio does.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { binEnv, ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';

const built = existsSync(join(ROOT, 'dist', 'cli.js'));
const SUPPORT = '+14155550100';
const API_KEY = 'SK' + '7e'.repeat(16);
const API_SECRET = 'pr0fileApiS3cretNeverPrinted0042';

/** Every request was meant for api.dublin.ie1.twilio.com (or messaging.… for the number's service). */
const ie1Hosts = (requests: { headers: Record<string, unknown> }[]) =>
  requests.some((r) => r.headers['x-forwarded-host'] === 'api.dublin.ie1.twilio.com') &&
  requests.every((r) => /^(api|messaging)\.dublin\.ie1\.twilio\.com$/.test(String(r.headers['x-forwarded-host'])));

const numbersOf = (tsv: string) =>
  tsv
    .trim()
    .split('\n')
    .map((line) => line.split('\t')[0]);

/** A HOME with twilio-cli's config.json (the shape twilio-cli-core's config.js saves). */
function twilioLoginHome(profile: Record<string, string>): string {
  const home = tempDir('twhook-home-');
  mkdirSync(join(home, '.twilio-cli'));
  const config = {
    email: {},
    prompts: {},
    projects: [],
    profiles: {
      personal: {
        accountSid: 'AC' + '0'.repeat(32),
        apiKey: 'SK' + '0'.repeat(32),
        apiSecret: 'another-profile-secret-0000',
      },
      work: profile,
    },
    activeProject: 'work',
  };
  writeFileSync(join(home, '.twilio-cli', 'config.json'), JSON.stringify(config, null, 2));
  return home;
}

describe.runIf(built)('an IE1 user with TWILIO_REGION=ie1', () => {
  it('runs numbers list and configure, at api.dublin.ie1.twilio.com', async () => {
    const emu = await useEmulator({ region: 'ie1' });
    const home = tempDir('twhook-home-');
    const env = {
      ...binEnv(home, { accountSid: emu.accountSid, authToken: emu.authToken, url: emu.url }),
      TWILIO_REGION: 'ie1',
    };

    const list = await runBin(['numbers', 'list'], { env });
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(numbersOf(list.stdout)).toEqual(['+14155550100', '+14155550101', '+442071838750']);

    const configure = await runBin(['configure', SUPPORT, '--sms-url', 'https://hooks.example.com/sms', '--yes'], {
      env,
    });
    expect(configure.code).toBe(0);
    const support = [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === SUPPORT)!;
    expect(support.sms_url).toBe('https://hooks.example.com/sms');

    // Every request was meant for an IE1 host (the emulator refuses any other with 20003).
    expect(ie1Hosts(emu.requests)).toBe(true);
    expect(emu.requests.every((r) => r.status! < 400)).toBe(true);
    for (const r of [list, configure]) expect(r.stdout + r.stderr).not.toContain(emu.authToken);
  });

  it('without TWILIO_REGION the same account is refused (exit 3); doctor shows the region and edge in use', async () => {
    const emu = await useEmulator({ region: 'ie1' });
    const home = tempDir('twhook-home-');
    const env = binEnv(home, { accountSid: emu.accountSid, authToken: emu.authToken, url: emu.url });
    const refused = await runBin(['numbers', 'list'], { env });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(
      `error: Twilio rejected the credentials at api.twilio.com via ${emu.url} (20003): Authenticate — check TWILIO_ACCOUNT_SID and ` +
        'TWILIO_AUTH_TOKEN; accounts outside US1 need their region: --region ie1 or au1 (or TWILIO_REGION); https://www.twilio.com/docs/errors/20003\n',
    );

    const doctor = await runBin(['doctor', '--region', 'IE1'], { env });
    expect(doctor.stdout).toContain('✓ region       ie1 from --region');
    expect(doctor.stdout).toContain("✓ edge         dublin: Twilio's edge for ie1");
    expect(doctor.stdout).toContain(
      `✓ Twilio API   api.dublin.ie1.twilio.com via ${emu.url} (from TWHOOK_API_URL) answered`,
    );
  });
});

describe.runIf(built)('a `twilio login` user with nothing else set', () => {
  it('runs numbers list and configure with the active profile, never printing its secret', async () => {
    const emu = await useEmulator({ apiKeys: [{ sid: API_KEY, secret: API_SECRET }] });
    const home = twilioLoginHome({ accountSid: emu.accountSid, apiKey: API_KEY, apiSecret: API_SECRET });
    const env = { ...binEnv(home), TWHOOK_API_URL: emu.url };

    const list = await runBin(['numbers', 'list'], { env });
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    expect(numbersOf(list.stdout)).toEqual(['+14155550100', '+14155550101', '+442071838750']);

    const configure = await runBin(
      ['configure', SUPPORT, '--voice-url', 'https://hooks.example.com/voice', '--yes', '--json'],
      { env },
    );
    expect(configure.code).toBe(0);
    const support = [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === SUPPORT)!;
    expect(support.voice_url).toBe('https://hooks.example.com/voice');
    expect(emu.requests.every((r) => r.authUser === API_KEY)).toBe(true);

    const doctor = await runBin(['doctor', '--json'], { env });
    const report = JSON.parse(doctor.stdout) as { checks: { name: string; detail: string }[]; profile: unknown };
    const file = join(home, '.twilio-cli', 'config.json');
    expect(report.profile).toEqual({ name: 'work', file, chosenBy: 'active' });
    const detail = (name: string) => report.checks.find((c) => c.name === name)!.detail;
    expect(detail('account SID')).toBe(
      `AC…${emu.accountSid.slice(-4)} from twilio-cli's active profile "work" (${file})`,
    );
    expect(detail('API key')).toBe(
      `SK…7e7e from twilio-cli's active profile "work" (${file}), secret set from the same profile; REST calls use it`,
    );
    expect(detail('auth token')).toContain('which twilio-cli profiles do not keep');

    // twilio-cli's file is read, never written.
    const before = readFileSync(file, 'utf8');
    for (const r of [list, configure, doctor]) expect(r.stdout + r.stderr).not.toContain(API_SECRET);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('a profile saved with --region ie1 reaches IE1 with nothing else set', async () => {
    const emu = await useEmulator({ region: 'ie1', apiKeys: [{ sid: API_KEY, secret: API_SECRET }] });
    const home = twilioLoginHome({ accountSid: emu.accountSid, apiKey: API_KEY, apiSecret: API_SECRET, region: 'ie1' });
    const env = { ...binEnv(home), TWHOOK_API_URL: emu.url };
    const list = await runBin(['numbers', 'list', '--json'], { env });
    expect(list.code).toBe(0);
    expect(ie1Hosts(emu.requests)).toBe(true);
  });

  it('signing needs the auth token: one line saying profiles do not keep it, exit 2', async () => {
    const emu = await useEmulator({ apiKeys: [{ sid: API_KEY, secret: API_SECRET }] });
    const home = twilioLoginHome({ accountSid: emu.accountSid, apiKey: API_KEY, apiSecret: API_SECRET });
    const r = await runBin(['sign', '--url', 'https://hooks.example.com/sms', '--param', 'Body=hi'], {
      env: binEnv(home),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: signatures need the auth token, which twilio-cli profiles do not keep (Twilio signs webhooks with the auth token, ' +
        'not with the API key of profile "work"): set TWILIO_AUTH_TOKEN or pass --auth-token (the Auth Token in the Twilio Console)\n',
    );
  });

  it('--profile with a name that does not exist: exit 2 listing the profiles', async () => {
    const home = twilioLoginHome({ accountSid: 'AC' + '1'.repeat(32), apiKey: API_KEY, apiSecret: API_SECRET });
    const r = await runBin(['numbers', 'list', '--profile', 'wrok'], { env: binEnv(home) });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `error: --profile "wrok": no such twilio-cli profile; profiles in ${join(home, '.twilio-cli', 'config.json')}: personal, work\n`,
    );
  });
});
