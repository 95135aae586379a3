// Spawns the built bin: run `npx tsc -p tsconfig.build.json` first (npm test does).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';
import { closedPort, startTwilioApp, type TwilioApp } from '../support/twilio-app.js';

const built = existsSync(join(ROOT, 'dist', 'cli.js'));
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';

let apps: TwilioApp[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

describe.runIf(built)('the built bin: trigger and replay', () => {
  it('ships the event fixtures in dist/fixtures', () => {
    for (const event of [
      'sms',
      'mms',
      'call',
      'gather',
      'recording',
      'message-status',
      'call-status',
      'debugger',
      'event-streams',
    ]) {
      expect(existsSync(join(ROOT, 'dist', 'fixtures', `${event}.json`)), event).toBe(true);
    }
  });

  it('trigger sends a signed SMS the app accepts; replay of what the app saw, re-signed, is accepted too', async () => {
    const app = await startTwilioApp({ authToken: TOKEN });
    apps.push(app);
    const trigger = await runBin(['trigger', 'sms', '--to', `${app.url}/sms`, '--body', 'from the bin', '--json'], {
      env: { TWILIO_AUTH_TOKEN: TOKEN },
    });
    expect(trigger.stderr).toBe('');
    expect(trigger.code).toBe(0);
    expect(app.seen[0]!.valid).toBe(true);
    expect(app.seen[0]!.params.Body).toBe('from the bin');

    // A capture of that request as `dev` would have recorded it behind a tunnel.
    const seen = app.seen[0]!;
    const record = {
      v: 1,
      id: 'req_e2e',
      receivedAt: '2026-11-27T10:00:00.000Z',
      method: 'POST',
      url: `https://abc123.ngrok.app/sms`,
      headers: { ...seen.headers, host: 'abc123.ngrok.app', 'x-forwarded-proto': 'https' },
      body: seen.body,
    };
    const file = join(tempDir(), 'capture.jsonl');
    writeFileSync(file, JSON.stringify(record) + '\n');
    const replay = await runBin(['replay', file, '--to', app.url], { env: { TWILIO_AUTH_TOKEN: TOKEN } });
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/^req_e2e\tPOST\t\/sms\tinbound-sms\t200\t-\t-\t\d+\tok\t$/m);
    expect(app.seen[1]!.valid).toBe(true);
    expect(app.seen[1]!.body).toBe(seen.body);
    for (const r of [trigger, replay]) expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(readFileSync(file, 'utf8')).toContain('req_e2e');
  });

  it('exit codes: 2 for bad usage, 3 when nothing listens', async () => {
    const usage = await runBin(['replay', 'nothing.jsonl']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe(
      'error: replay needs --to: the base URL of your app, such as --to http://localhost:3000 (each request keeps its path and query)\n',
    );
    const port = await closedPort();
    const down = await runBin(['trigger', 'call', '--to', `http://127.0.0.1:${port}/voice`, '--unsigned']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain(`error: nothing listening on 127.0.0.1:${port}`);
  });
});
