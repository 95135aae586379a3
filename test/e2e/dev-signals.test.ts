// Signals that arrive while `dev` is already restoring. Spawns the built bin (npm test builds).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { BIN, binEnv, ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';
import { startApp, waitFor } from '../support/dev-session.js';

const built = existsSync(join(ROOT, 'dist', 'commands', 'dev.js'));
const PUBLIC = 'https://dev.example.test';
const NUMBER_PATH = '/2010-04-01/Accounts/*/IncomingPhoneNumbers/*.json';

async function startDev() {
  const emu = await useEmulator();
  const app = await startApp((_req, res) => res.end('ok'));
  const number = [...emu.state.api2010.numbers.values()][0]!;
  const original = number.sms_url;
  const home = tempDir('twhook-home-');
  const env = binEnv(home, emu);
  const child = spawn(process.execPath, [BIN, 'dev', String(app.port), '--public-url', PUBLIC, '--number', number.phone_number, '--no-capture'], { cwd: tempDir(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await waitFor('the banner', () => stderr.includes('Waiting for webhooks'), 15_000);
  expect(number.sms_url).toBe(`${PUBLIC}/sms`);
  // The restore (the second update of the number) takes a while, so later signals land during it.
  emu.fault({ method: 'POST', path: NUMBER_PATH, nth: 1, delayMs: 1500 });
  return { emu, number, original, env, child, exited, stderr: () => stderr };
}

describe.runIf(built)('twhook dev: signals during the restore', () => {
  it('Ctrl-C then the terminal closing (SIGHUP, SIGTERM) still restores the number', async () => {
    const dev = await startDev();
    dev.child.kill('SIGINT');
    await waitFor('the restore to start', () => dev.emu.requests.some((r) => r.method === 'POST' && r.status === undefined) || dev.emu.requests.filter((r) => r.method === 'POST').length > 1, 5_000).catch(() => undefined);
    dev.child.kill('SIGHUP');
    dev.child.kill('SIGTERM');
    expect(await dev.exited).toBe(0);
    expect(dev.number.sms_url).toBe(dev.original);
  });

  it('a second Ctrl-C stops at once, and `twhook restore` finishes the job', async () => {
    const dev = await startDev();
    dev.child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 200));
    dev.child.kill('SIGINT');
    expect(await dev.exited).toBe(130);
    const restore = await runBin(['restore', '--yes'], { env: dev.env });
    expect(restore.code).toBe(0);
    expect(dev.number.sms_url).toBe(dev.original);
  });
});
