// `dev` SIGKILLed at seeded random moments (start-up, the running session, its shutdown), one or
// two sessions in a row, then `twhook restore --yes`: every number must be back to its value
// from before the first session. Spawns the built bin (npm test builds; or `npm run build`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/state/journal.js';
import { useEmulator } from '../support/emulator.js';
import { startApp, waitFor } from '../support/dev-session.js';
import { BIN, ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';
import { snapshot, type Emu } from './harness.js';

const built = existsSync(join(ROOT, 'dist', 'proxy', 'session.js'));
const RUNS = 20;
const SEED = process.env.TWHOOK_KILL_SEED ? Number(process.env.TWHOOK_KILL_SEED) : 0x7e51c0de;
/** Each REST call to the numbers takes this long, so kills land inside calls and journal writes too. */
const API_LATENCY_MS = 25;

/** mulberry32: small, seeded, good enough to pick moments. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * When to kill: after the Nth REST request of the phase (start-up: recovery, lookups, updates;
 * shutdown: the restore's fetches and updates) plus a few milliseconds, so kills land before,
 * inside and between the calls and their journal writes whatever the machine's speed.
 */
interface Moment {
  phase: 'start-up' | 'running' | 'shutdown';
  /** Requests of the phase the emulator must have seen first. */
  requests: number;
  afterMs: number;
}

function pickMoment(random: () => number): Moment {
  const r = random();
  const afterMs = Math.floor(random() * API_LATENCY_MS * 1.5);
  if (r < 0.5) return { phase: 'start-up', requests: Math.floor(random() * 9), afterMs };
  if (r < 0.7) return { phase: 'running', requests: 0, afterMs: Math.floor(random() * 100) };
  return { phase: 'shutdown', requests: Math.floor(random() * 5), afterMs };
}

const describeMoment = (m: Moment) =>
  m.phase === 'running' ? `running+${m.afterMs}ms` : `${m.phase} request ${m.requests}+${m.afterMs}ms`;

function envFor(emu: Emu, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    NO_COLOR: '1',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    TWILIO_ACCOUNT_SID: emu.accountSid,
    TWILIO_AUTH_TOKEN: emu.authToken,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `dev` session killed at `moment`; resolves once the process is gone. */
async function killedSession(
  emu: Emu,
  env: Record<string, string>,
  cwd: string,
  appPort: number,
  publicUrl: string,
  moment: Moment,
): Promise<string> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      BIN,
      'dev',
      String(appPort),
      '--public-url',
      publicUrl,
      '--number',
      '+14155550100',
      '--number',
      '+14155550101',
      '--no-capture',
      '--api-url',
      emu.url,
    ],
    { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const gone = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  let exited = false;
  void gone.then(() => (exited = true));
  const seen = () => emu.requests.length;
  const base = seen();
  try {
    if (moment.phase === 'start-up') {
      await waitFor(
        `request ${moment.requests} of the start-up`,
        () => exited || stderr.includes('Waiting for webhooks') || seen() >= base + moment.requests,
        15_000,
      );
    } else {
      await waitFor('the session to be ready', () => exited || stderr.includes('Waiting for webhooks'), 15_000);
      if (moment.phase === 'shutdown') {
        const before = seen();
        child.kill('SIGTERM');
        await waitFor(
          `request ${moment.requests} of the restore`,
          () => exited || seen() >= before + moment.requests,
          15_000,
        );
      }
    }
    await sleep(moment.afterMs);
  } finally {
    child.kill('SIGKILL');
  }
  await gone;
  return stderr;
}

describe.runIf(built)('dev SIGKILLed at random moments (seeded), then twhook restore', () => {
  it(`brings every number back to its value from before the first session (${RUNS} runs, seed ${SEED.toString(16)})`, async () => {
    const random = prng(SEED);
    const app = await startApp((_req, res) => res.end('<Response/>'));
    const seen: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const emu = await useEmulator();
      emu.fault({ path: /\/IncomingPhoneNumbers/, delayMs: API_LATENCY_MS, times: Infinity });
      const original = snapshot(emu).numbers;
      const home = tempDir('twhook-kill-home-');
      const cwd = tempDir('twhook-kill-cwd-');
      const env = envFor(emu, home);
      const sessions = random() < 0.5 ? 1 : 2;
      const moments: string[] = [];
      let transcript = '';
      for (let s = 0; s < sessions; s++) {
        const moment = pickMoment(random);
        moments.push(describeMoment(moment));
        transcript += await killedSession(emu, env, cwd, app.port, `http://127.0.0.1:${40000 + run * 2 + s}`, moment);
      }
      // What the kills left: numbers changed, backups open (pending: killed inside a call).
      const journal = new Journal(join(home, '.config', 'twhook'));
      const left = journal.unrestored();
      const changed = Object.keys(original).filter(
        (n) => JSON.stringify(original[n]) !== JSON.stringify(snapshot(emu).numbers[n]),
      ).length;
      const label = `run ${run}: ${moments.join(', then ')} -> ${changed} number(s) changed, ${left.length} backup(s) open (${left.filter((e) => e.state === 'pending').length} pending)`;
      seen.push(label);

      const restore = await runBin(['restore', '--yes', '--api-url', emu.url], { env, cwd });
      expect(restore.code, `${label}\n--- dev ---\n${transcript}\n--- restore ---\n${restore.stderr}`).toBe(0);
      expect(
        snapshot(emu).numbers,
        `${label}: not back to the original after twhook restore\n--- dev ---\n${transcript}\n--- restore ---\n${restore.stderr}`,
      ).toEqual(original);
      // Nothing left for a later restore to do (or undo).
      const open = journal.unrestored();
      expect(open, `${label}: journal entries still open after restore\n${restore.stderr}`).toEqual([]);
      await emu.close();
    }
    console.log(`SIGKILL moments:\n  ${seen.join('\n  ')}`);
    // The seed spreads the kills over all three phases.
    for (const phase of ['start-up', 'running', 'shutdown']) expect(seen.some((s) => s.includes(phase))).toBe(true);
    // And some runs really left numbers changed for the restore to put back.
    expect(seen.filter((s) => !s.includes('-> 0 number(s) changed')).length).toBeGreaterThan(RUNS / 4);
  }, 120_000);
});
