/**
 * The built bin (`npm run build` first) for `call`, `text` and `test`: exit codes 0/1/2/3, --json
 * on stdout, spec errors with file:line, a --save round trip, --junit, and no prompt when stdin
 * is not a terminal.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startIvrApp, type IvrApp } from '../support/ivr-app.js';
import { runBin } from '../support/run-bin.js';
import { tempDir } from '../support/run-cli.js';
import { closedPort } from '../support/twilio-app.js';

const TOKEN = '12345678901234567890123456789012';
const env = { TWILIO_AUTH_TOKEN: TOKEN, TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef' };

const apps: IvrApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
async function useIvrApp(options: { authToken?: string } = {}): Promise<IvrApp> {
  const app = await startIvrApp(options);
  apps.push(app);
  return app;
}

// Several spawns of the bin per test: generous time on a loaded machine (nothing here is timed).
describe('twhook call / text / test (built bin)', { timeout: 120_000 }, () => {
  it('call: --json events on stdout, exit 0; the same call off a terminal never prompts', async () => {
    const app = await useIvrApp({ authToken: TOKEN });
    const run = await runBin(
      ['call', String(app.port), '--press', '1', '--dial-status', 'busy', '--json', '--no-capture'],
      { env },
    );
    expect(run.code).toBe(0);
    const types = run.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types).toContain('gather');
    expect(types[types.length - 1]).toBe('end');
    const quiet = await runBin(['call', String(app.port), '--no-capture'], { env });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toMatch(/press keys/);
    expect(quiet.stdout).toMatch(/no input \(timed out\)/);
  });

  it('call: exit 1 when the app fails, 3 when nothing listens, 2 for bad usage', async () => {
    const app = await useIvrApp();
    expect((await runBin(['call', `${app.url}/broken`, '--no-capture'], { env })).code).toBe(1);
    const closed = await runBin(['call', String(await closedPort()), '--no-capture'], { env });
    expect(closed.code).toBe(3);
    expect(closed.stderr).toMatch(/nothing listens/);
    const usage = await runBin(['call', '3000', '--dial-status', 'sometimes'], { env });
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--save, then test passes it and writes JUnit; an invalid spec is exit 2 with file:line', async () => {
    const app = await useIvrApp({ authToken: TOKEN });
    const cwd = tempDir();
    mkdirSync(join(cwd, 'specs'));
    const call = await runBin(['call', String(app.port), '--press', '1', '--save', 'specs/menu.yaml', '--no-capture'], {
      env,
      cwd,
    });
    expect(call.code).toBe(0);
    const text = await runBin(['text', String(app.port), 'hi', '1', '--save', 'specs/bot.yaml', '--no-capture'], {
      env,
      cwd,
    });
    expect(text.code).toBe(0);
    const test = await runBin(['test', 'specs', '--junit', 'report.xml'], { env, cwd });
    expect(test.stdout).toMatch(/2 passed \(2 specs\)/);
    expect(test.code).toBe(0);
    expect(readFileSync(join(cwd, 'report.xml'), 'utf8')).toMatch(/tests="2" failures="0"/);

    writeFileSync(
      join(cwd, 'specs', 'broken.yaml'),
      'name: broken\ncall: { app: 3000 }\nsteps:\n  - press: "1"\n  - dial: sometimes\n',
    );
    const invalid = await runBin(['test', 'specs', '--json'], { env, cwd });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/specs\/broken\.yaml:5: dial: is the dialled party's answer/);
    expect(JSON.parse(invalid.stdout.trim())).toMatchObject({ error: { type: 'usage', exitCode: 2 } });
  });

  it('help lists the commands with examples', async () => {
    for (const name of ['call', 'text', 'test']) {
      const run = await runBin([name, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Examples:\n {2}\$ twhook /);
    }
  });
});
