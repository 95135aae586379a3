// Spawns the built bin: run `npx tsc -p tsconfig.build.json` first (npm test does).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { BIN, ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';

const built = existsSync(join(ROOT, 'dist', 'cli.js'));
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe.runIf(built)('the built bin', () => {
  it('has a shebang', () => {
    expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('--help lists numbers and doctor with examples, exit 0', async () => {
    const r = await runBin(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+numbers\s/m);
    expect(r.stdout).toMatch(/^\s+doctor\s/m);
    expect(r.stdout).toContain('$ twhook numbers list');
    expect(r.stderr).toBe('');
  });

  it('--version prints the package version', async () => {
    const r = await runBin(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('numbers list against the emulator via --api-url, piped and --json; no secret printed', async () => {
    const emu = await useEmulator();
    const env = { TWILIO_ACCOUNT_SID: emu.accountSid, TWILIO_AUTH_TOKEN: emu.authToken };
    const tsv = await runBin(['numbers', 'list', '--api-url', emu.url], { env });
    expect(tsv.stderr).toBe('');
    expect(tsv.code).toBe(0);
    expect(
      tsv.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')[0]),
    ).toEqual(['+14155550100', '+14155550101', '+442071838750']);
    const json = await runBin(['--api-url', emu.url, 'numbers', 'list', '--json'], { env });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      numbers: { phoneNumber: string; overrides: Record<string, unknown> }[];
    };
    expect(parsed.numbers[0]!.overrides).toEqual({ voiceUrl: { retryCount: 3, connectTimeout: 2000 } });
    for (const r of [tsv, json]) expect(r.stdout + r.stderr).not.toContain(emu.authToken);
  });

  it('reads credentials from the .env in the working directory', async () => {
    const emu = await useEmulator();
    const cwd = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      join(cwd, '.env'),
      `TWILIO_ACCOUNT_SID=${emu.accountSid}\nTWILIO_AUTH_TOKEN="${emu.authToken}"\nTWHOOK_API_URL=${emu.url}\n`,
    );
    const r = await runBin(['numbers', 'show', '+442071838750', '--json'], { cwd });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { number: { friendlyName: string } }).number.friendlyName).toBe('London');
  });

  it('exit codes: 2 bad usage, 2 missing credentials, 3 rejected credentials, 1 failed doctor', async () => {
    const emu = await useEmulator();
    const usage = await runBin(['numbers', 'list', '--nope']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown option '--nope'");

    const missing = await runBin(['numbers', 'list']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "error: no Twilio account SID: set TWILIO_ACCOUNT_SID (or pass --account-sid AC…), or run `twilio login` (twhook uses twilio-cli's active profile)\n",
    );

    const secret = 'wrong-token-that-must-not-show';
    const rejected = await runBin([
      'numbers',
      'list',
      '--auth-token',
      secret,
      '--account-sid',
      emu.accountSid,
      '--api-url',
      emu.url,
    ]);
    expect(rejected.code).toBe(3);
    expect(rejected.stderr).toBe(
      `error: Twilio rejected the credentials at api.twilio.com via ${emu.url} (20003): Authenticate — check --account-sid and --auth-token; ` +
        'accounts outside US1 need their region: --region ie1 or au1 (or TWILIO_REGION); https://www.twilio.com/docs/errors/20003\n',
    );
    expect(rejected.stdout + rejected.stderr).not.toContain(secret);

    const doctor = await runBin(['doctor'], { env: { TWHOOK_API_URL: emu.url } });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('✗ account SID');
  });
});

describe.runIf(built)('start-up', () => {
  const recorder = fileURLToPath(new URL('../support/record-loads.mjs', import.meta.url));

  async function loadedBy(args: string[]): Promise<string[]> {
    const log = join(tempDir(), 'loads.txt');
    const r = await runBin(args, { nodeArgs: ['--import', recorder], env: { TWHOOK_LOAD_LOG: log } });
    expect(r.code).toBe(0);
    return readFileSync(log, 'utf8').trim().split('\n');
  }

  for (const args of [['--help'], ['--version']]) {
    it(`twhook ${args[0]} answers from prebuilt files, loading no dependency at all`, async () => {
      const loads = await loadedBy(args);
      // The recorder works: the bin itself was seen.
      expect(loads.some((url) => url.endsWith('/bin/twhook.js'))).toBe(true);
      expect(loads.filter((url) => url.includes('/node_modules/'))).toEqual([]);
    });
  }

  // The same commands through the full CLI (any second argument routes there).
  for (const args of [['help'], ['--version', '--no-color']]) {
    it(`twhook ${args.join(' ')} loads neither twilio, @ngrok/ngrok, @inquirer/prompts, undici nor chalk`, async () => {
      const loads = await loadedBy(args);
      expect(loads.some((url) => url.includes('/node_modules/commander/'))).toBe(true);
      expect(loads.some((url) => url.endsWith('/dist/cli.js'))).toBe(true);
      const heavy = loads.filter((url) => /\/node_modules\/(twilio|@ngrok|@inquirer|undici|chalk)\//.test(url));
      expect(heavy).toEqual([]);
    });
  }

  it('the recorder does see twilio when a command needs it', async () => {
    const emu = await useEmulator();
    const log = join(tempDir(), 'loads.txt');
    const env = {
      TWILIO_ACCOUNT_SID: emu.accountSid,
      TWILIO_AUTH_TOKEN: emu.authToken,
      TWHOOK_API_URL: emu.url,
      TWHOOK_LOAD_LOG: log,
    };
    const r = await runBin(['numbers', 'list'], { nodeArgs: ['--import', recorder], env });
    expect(r.code).toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(/\/node_modules\/twilio\//);
  });
});
