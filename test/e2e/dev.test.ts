// Spawns the built bin: run `npx tsc -p tsconfig.build.json` first (npm test does).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { BIN, binEnv, ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';
import { post, startApp, waitFor } from '../support/dev-session.js';

const built = existsSync(join(ROOT, 'dist', 'commands', 'dev.js'));
const PUBLIC = 'https://dev.example.test';

describe.runIf(built)('twhook dev (built bin)', () => {
  it("after a SIGKILL, `twhook restore` puts the number back; the next dev never records the dead session's URL", async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => {
      res.setHeader('Content-Type', 'text/xml');
      res.end('<Response/>');
    });
    const support = [...emu.state.api2010.numbers.values()][0]!;
    const original = { sms: support.sms_url, voice: support.voice_url };
    const home = tempDir('twhook-home-');
    const env = binEnv(home, emu);
    const cwd = tempDir('twhook-cwd-');
    const child = spawn(
      process.execPath,
      [BIN, 'dev', String(app.port), '--public-url', PUBLIC, '--number', '+14155550100', '--json'],
      { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    try {
      const ready = await waitFor(
        'the ready event',
        () =>
          stdout
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
            .find((e) => e.type === 'ready'),
        15_000,
      );
      expect(support.sms_url).toBe(`${PUBLIC}/sms`);
      const answer = await post(`${ready.proxyUrl}/sms`, 'MessageSid=SM1&From=%2B1555&To=%2B1415&Body=hi');
      expect(answer.status).toBe(200);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    // Killed: nothing restored.
    expect(support.sms_url).toBe(`${PUBLIC}/sms`);

    // A new session on the same number, killed as well, must not record the first one's URL.
    const second = spawn(
      process.execPath,
      [
        BIN,
        'dev',
        String(app.port),
        '--public-url',
        'https://second.example.test',
        '--number',
        '+14155550100',
        '--json',
      ],
      { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out2 = '';
    second.stdout.on('data', (d: Buffer) => (out2 += d.toString()));
    const exited2 = new Promise<void>((resolve) => second.on('exit', () => resolve()));
    try {
      const lines = await waitFor(
        'the second ready event',
        () => {
          const events = out2
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l));
          return events.some((e) => e.type === 'ready') && events;
        },
        15_000,
      );
      expect(lines.find((e) => e.type === 'warning')?.message).toMatch(
        /restored \+14155550100, left changed by an earlier dev session/,
      );
      expect(support.sms_url).toBe('https://second.example.test/sms');
    } finally {
      second.kill('SIGKILL');
    }
    await exited2;

    const restore = await runBin(['restore', '--yes'], { env, cwd });
    expect(restore.code).toBe(0);
    expect(support.sms_url).toBe(original.sms);
    expect(support.voice_url).toBe(original.voice);
  });

  it('SIGTERM restores the numbers before exit', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const support = [...emu.state.api2010.numbers.values()][1]!;
    const original = support.sms_url;
    const home = tempDir('twhook-home-');
    const env = binEnv(home, emu);
    const child = spawn(
      process.execPath,
      [BIN, 'dev', String(app.port), '--public-url', PUBLIC, '--number', support.phone_number, '--no-capture'],
      { cwd: tempDir(), env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor('the banner', () => stderr.includes('Waiting for webhooks'), 15_000);
    expect(support.sms_url).toBe(`${PUBLIC}/sms`);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(support.sms_url).toBe(original);
    expect(stderr).toMatch(/✓ restored \+14155550101: smsUrl https:\/\/sales\.example\.com\/sms/);
  });

  it('a reader that closes the pipe (| head) stops the session like Ctrl-C: the numbers are restored', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const support = [...emu.state.api2010.numbers.values()][0]!;
    const original = support.sms_url;
    const home = tempDir('twhook-home-');
    const env = binEnv(home, emu);
    const child = spawn(
      process.execPath,
      [
        BIN,
        'dev',
        String(app.port),
        '--public-url',
        PUBLIC,
        '--number',
        support.phone_number,
        '--no-capture',
        '--json',
      ],
      { cwd: tempDir(), env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = await new Promise<{ proxyUrl: string }>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const line = stdout.split('\n').find((l) => l.includes('"type":"ready"'));
        if (line) resolve(JSON.parse(line));
      });
    });
    expect(support.sms_url).toBe(`${PUBLIC}/sms`);
    child.stdout.destroy();
    // The next event line hits the closed pipe.
    await post(`${ready.proxyUrl}/sms`, 'a=b').catch(() => undefined);
    await post(`${ready.proxyUrl}/sms`, 'a=b').catch(() => undefined);
    expect(await exited).toBe(0);
    expect(support.sms_url).toBe(original);
    expect(stderr).not.toMatch(/unexpected failure/);
  });
});
