// Spawns the built bin: run `npx tsc -p tsconfig.build.json` first (npm test does).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { startApp, waitFor } from '../support/dev-session.js';
import { BIN, binEnv, ROOT } from '../support/run-bin.js';
import { runCli, tempDir } from '../support/run-cli.js';
import { closedPort } from '../support/twilio-app.js';

const built = existsSync(join(ROOT, 'dist', 'events', 'dev-events.js'));
const DELIVERED = 'com.twilio.messaging.message.delivered';

describe.runIf(built)('twhook dev --events (built bin)', () => {
  it('after a SIGKILL, `twhook restore` deletes the sink and subscription the session left', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.writeHead(200).end());
    const listen = await closedPort();
    const home = tempDir('twhook-home-');
    const env = { ...binEnv(home), ...emu.env };
    const child = spawn(
      process.execPath,
      [
        BIN,
        'dev',
        String(app.port),
        '--public-url',
        `http://127.0.0.1:${listen}`,
        '--listen',
        String(listen),
        '--events',
        DELIVERED,
        '--no-capture',
        '--json',
      ],
      { cwd: tempDir('twhook-cwd-'), env, stdio: ['ignore', 'pipe', 'pipe'] },
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
      expect(ready.events.sink).toMatch(/^DG/);
      await emu.state.events.publish(DELIVERED, { messageSid: 'SM1' });
      expect(app.seen).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    // Killed: the sink and subscription are still on the account.
    expect(emu.state.events.sinks.size).toBe(1);
    expect(emu.state.events.subscriptions.size).toBe(1);

    const r = await runCli(['restore', '--yes', '--json'], {
      env: emu.env,
      configDir: join(home, '.config', 'twhook'),
    });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json()[0] as { restored: { kind: string }[]; failed: unknown[] };
    expect(out.restored.map((x) => x.kind).sort()).toEqual(['event-sink', 'event-subscription']);
    expect(out.failed).toEqual([]);
    expect(emu.state.events.sinks.size + emu.state.events.subscriptions.size).toBe(0);
  });
});
