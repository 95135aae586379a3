// Signals that arrive while `dev` is already restoring. Spawns the built bin (npm test builds).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { BIN, binEnv, ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';
import { startApp, waitFor } from '../support/dev-session.js';

const built = existsSync(join(ROOT, 'dist', 'commands', 'dev.js'));
const PUBLIC = 'https://dev.example.test';
const NUMBER_PATH = '/2010-04-01/Accounts/*/IncomingPhoneNumbers/*.json';

const CRASH_MODULE = join(ROOT, 'test', 'fixtures', 'processes', 'crash-on-signal.mjs');

async function startDev(options: { crash?: 'exception' | 'rejection'; numbers?: number } = {}) {
  const emu = await useEmulator();
  const app = await startApp((_req, res) => res.end('ok'));
  const all = [...emu.state.api2010.numbers.values()].slice(0, options.numbers ?? 1);
  const number = all[0]!;
  const original = number.sms_url;
  const home = tempDir('twhook-home-');
  const env = { ...binEnv(home, emu), ...(options.crash ? { TWHOOK_TEST_CRASH: options.crash } : {}) };
  const nodeArgs = options.crash ? ['--import', pathToFileURL(CRASH_MODULE).href] : [];
  const numberArgs = all.flatMap((n) => ['--number', n.phone_number]);
  const child = spawn(
    process.execPath,
    [...nodeArgs, BIN, 'dev', String(app.port), '--public-url', PUBLIC, ...numberArgs, '--no-capture'],
    { cwd: tempDir(), env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor('the banner', () => stderr.includes('Waiting for webhooks'), 15_000);
  expect(number.sms_url).toBe(`${PUBLIC}/sms`);
  // The restore (the second update of the number) takes a while, so later signals land during it.
  emu.fault({ method: 'POST', path: NUMBER_PATH, nth: 1, delayMs: 1500 });
  return { emu, number, all, original, env, child, exited, stderr: () => stderr };
}

describe.runIf(built)('twhook dev: signals during the restore', () => {
  it('Ctrl-C then the terminal closing (SIGHUP, SIGTERM) still restores the number', async () => {
    const dev = await startDev();
    dev.child.kill('SIGINT');
    await waitFor(
      'the restore to start',
      () =>
        dev.emu.requests.some((r) => r.method === 'POST' && r.status === undefined) ||
        dev.emu.requests.filter((r) => r.method === 'POST').length > 1,
      5_000,
    ).catch(() => undefined);
    dev.child.kill('SIGHUP');
    dev.child.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    expect(dev.number.sms_url).toBe(dev.original);
  });

  it('a second Ctrl-C stops at once, says which numbers are still changed, and `twhook restore` finishes the job', async () => {
    const dev = await startDev({ numbers: 2 });
    const posts = () => dev.emu.requests.filter((r) => r.method === 'POST').length;
    const pointed = posts();
    dev.child.kill('SIGINT');
    // Signals of one kind are not queued: the second must come once the first was taken (the
    // restore has begun, held by the delayed update), or the two would be one.
    await waitFor('the restore to start', () => posts() > pointed, 10_000);
    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(130);
    const err = dev.stderr();
    expect(err).toContain('twhook: exited before the restore finished.');
    for (const n of dev.all)
      expect(err).toContain(
        `twhook: ${n.phone_number} still points at this session (SmsUrl, VoiceUrl): put it back with \`twhook restore ${n.phone_number}\``,
      );
    const restore = await runBin(['restore', '--yes'], { env: dev.env });
    expect(restore.code).toBe(0);
    expect(dev.number.sms_url).toBe(dev.original);
  });

  it('an uncaught exception ends the session as a fatal error: the numbers are restored first, exit 1', async () => {
    const dev = await startDev({ crash: 'exception' });
    dev.child.kill('SIGUSR2');
    expect(await dev.exited).toBe(1);
    expect(dev.stderr()).toContain('twhook: unexpected error: injected crash; restoring before exiting');
    expect(dev.stderr()).toContain('stopped (fatal error)');
    expect(dev.stderr()).not.toContain('exited before the restore finished');
    expect(dev.number.sms_url).toBe(dev.original);
  });

  it('an unhandled rejection during the restore exits at once, saying what is still changed', async () => {
    const dev = await startDev({ crash: 'rejection' });
    dev.child.kill('SIGINT');
    await waitFor('the restore to start', () => dev.emu.requests.filter((r) => r.method === 'POST').length > 1, 5_000);
    dev.child.kill('SIGUSR2');
    expect(await dev.exited).toBe(1);
    expect(dev.stderr()).toContain('twhook: unexpected error: injected rejection');
    expect(dev.stderr()).toContain(
      `twhook: ${dev.number.phone_number} still points at this session (SmsUrl, VoiceUrl): put it back with \`twhook restore ${dev.number.phone_number}\``,
    );
  });
});
