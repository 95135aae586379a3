// Two `dev` sessions on the same number at once, as two processes of the built bin: the second
// refuses with a message naming the first (also when both start in the same instant: the claim is
// made in the locked journal write), and once both have ended the number has its original
// configuration.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { UsageError } from '../../src/errors.js';
import { currentOwner, Journal, newBatchId } from '../../src/state/journal.js';
import { applyNumberChange } from '../../src/state/number-change.js';
import { createTwilioPort } from '../../src/twilio/client.js';
import { useEmulator } from '../support/emulator.js';
import { startApp, waitFor } from '../support/dev-session.js';
import { BIN, binEnv, ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';
import { numberOf, snapshot, type Emu } from './harness.js';

const built = existsSync(join(ROOT, 'dist', 'proxy', 'session.js'));
const PN1 = '+14155550100';
const PN2 = '+14155550101';

interface Session {
  pid: number;
  stderr(): string;
  /** Resolves when ready (true) or when it ended before that (false). */
  started: Promise<boolean>;
  exit: Promise<number | null>;
  stop(): void;
}

function startDev(emu: Emu, home: string, appPort: number, publicUrl: string, numbers: string[]): Session {
  const env = binEnv(home, emu);
  const child = spawn(
    process.execPath,
    [
      BIN,
      'dev',
      String(appPort),
      '--public-url',
      publicUrl,
      ...numbers.flatMap((n) => ['--number', n]),
      '--no-capture',
    ],
    {
      cwd: tempDir('twhook-two-cwd-'),
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited = false;
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => ((exited = true), resolve(code))));
  const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  void exit.then(() => clearTimeout(killer));
  const started = waitFor(
    'the session to be ready or to end',
    () => (stderr.includes('Waiting for webhooks') ? 'ready' : exited ? 'ended' : undefined),
    15_000,
  ).then((s) => s === 'ready');
  return { pid: child.pid!, stderr: () => stderr, started, exit, stop: () => child.kill('SIGTERM') };
}

const IN_USE =
  /is in use by another running twhook dev session: stop it first \(it restores the number when it ends\) or pick another number/;

describe.runIf(built)('two dev sessions on the same number', () => {
  it('the second refuses, naming the first by pid and changing nothing; the first restores on exit', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('<Response/>'));
    const original = snapshot(emu).numbers;
    const home = tempDir('twhook-two-home-');

    const first = startDev(emu, home, app.port, 'https://first.example.test', [PN1]);
    expect(await first.started, first.stderr()).toBe(true);
    expect(numberOf(emu, PN1).sms_url).toBe('https://first.example.test/sms');

    // The second asks for another number too: refused before it changes either.
    const second = startDev(emu, home, app.port, 'https://second.example.test', [PN2, PN1]);
    expect(await second.started).toBe(false);
    expect(await second.exit).toBe(2);
    expect(second.stderr()).toMatch(IN_USE);
    expect(second.stderr()).toContain(`${PN1} (twhook dev, pid ${first.pid}`);
    expect(second.stderr()).not.toMatch(/unexpected failure|\n\s+at /);
    expect(numberOf(emu, PN1).sms_url).toBe('https://first.example.test/sms');
    expect(numberOf(emu, PN2).sms_url).toBe(original[PN2]!.sms_url);

    // `twhook restore` does not take the number from under the running session either.
    const restore = await runBin(['restore', '--yes'], { env: binEnv(home, emu) });
    expect(restore.code, restore.stderr).toBe(2);
    expect(restore.stderr).toContain(`${PN1} (pid ${first.pid}): held by a running twhook dev session`);
    expect(numberOf(emu, PN1).sms_url).toBe('https://first.example.test/sms');

    first.stop();
    expect(await first.exit, first.stderr()).toBe(0);
    expect(snapshot(emu).numbers).toEqual(original);
    expect(new Journal(join(home, '.config', 'twhook')).unrestored()).toEqual([]);
  });

  it('started in the same instant: exactly one takes the number (the claim is atomic), the other refuses; afterwards the number is as before', async () => {
    const app = await startApp((_req, res) => res.end('<Response/>'));
    const outcomes: string[] = [];
    for (let round = 0; round < 4; round++) {
      const emu = await useEmulator();
      // A little latency widens the window in which both pass the check before either writes.
      emu.fault({ path: /\/IncomingPhoneNumbers/, delayMs: 15, times: Infinity });
      const original = snapshot(emu).numbers;
      const home = tempDir('twhook-two-home-');
      const a = startDev(emu, home, app.port, 'https://a.example.test', [PN1]);
      const b = startDev(emu, home, app.port, 'https://b.example.test', [PN1]);
      const [aRan, bRan] = await Promise.all([a.started, b.started]);
      expect(aRan !== bRan, `exactly one session runs\n--- a ---\n${a.stderr()}\n--- b ---\n${b.stderr()}`).toBe(true);
      for (const [ran, s] of [
        [aRan, a],
        [bRan, b],
      ] as const) {
        if (ran) continue;
        expect(await s.exit).toBe(2);
        expect(s.stderr()).toMatch(IN_USE);
      }
      const winner = aRan ? a : b;
      expect(numberOf(emu, PN1).sms_url).toBe(aRan ? 'https://a.example.test/sms' : 'https://b.example.test/sms');
      winner.stop();
      expect(await winner.exit, winner.stderr()).toBe(0);
      outcomes.push(`round ${round}: ${aRan ? 'a' : 'b'} ran, ${aRan ? 'b' : 'a'} refused`);
      expect(snapshot(emu).numbers, `${outcomes.at(-1)}\n--- a ---\n${a.stderr()}\n--- b ---\n${b.stderr()}`).toEqual(
        original,
      );
      expect(new Journal(join(home, '.config', 'twhook')).unrestored()).toEqual([]);
      await emu.close();
    }
    console.log(outcomes.join('\n'));
  }, 90_000);
});

describe('the claim of a number by a dev session', () => {
  it('is refused inside the journal write when another live session holds the number, before any API call', async () => {
    const emu = await useEmulator();
    const port = await createTwilioPort({
      credentials: {
        accountSid: { value: emu.accountSid, source: 'env' },
        authTokens: [{ value: emu.authToken, source: 'env' }],
      },
      apiUrl: emu.url,
      env: {},
    });
    const journal = new Journal(tempDir('twhook-claim-'));
    const number = await port.numbers.fetch(numberOf(emu, PN1).sid);
    // Another session (a live process: this one's parent) took the number after our own check.
    const other = { pid: process.ppid, host: hostname() };
    await applyNumberChange({
      port,
      journal,
      number,
      update: { smsUrl: 'https://other.example.test/sms' },
      origin: 'dev',
      batch: newBatchId(),
      session: 'other',
      owner: other,
    });
    emu.clearRequests();
    const mine = applyNumberChange({
      port,
      journal,
      number,
      update: { smsUrl: 'https://mine.example.test/sms' },
      origin: 'dev',
      batch: newBatchId(),
      session: 'mine',
      owner: currentOwner(),
    });
    await expect(mine).rejects.toThrow(UsageError);
    await expect(mine).rejects.toThrow(
      new RegExp(`\\${PN1} \\(twhook dev, pid ${process.ppid}.*\\) is in use by another running twhook dev session`),
    );
    expect(emu.requests).toEqual([]);
    expect(numberOf(emu, PN1).sms_url).toBe('https://other.example.test/sms');
    expect(journal.unrestored().map((e) => e.session)).toEqual(['other']);
    // configure (no owner) may still change it: the session keeps what it finds changed.
    await applyNumberChange({
      port,
      journal,
      number,
      update: { smsUrl: 'https://configured.example.test/sms' },
      origin: 'configure',
      batch: newBatchId(),
    });
    expect(numberOf(emu, PN1).sms_url).toBe('https://configured.example.test/sms');
  });
});
