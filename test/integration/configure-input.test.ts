import { describe, expect, it } from 'vitest';
import { manyNumbers, useEmulator } from '../support/emulator.js';
import { runCli } from '../support/run-cli.js';

describe('twhook configure: the numbers as typed', () => {
  it('an empty number (an unset variable) is refused, not matched against every friendly name', async () => {
    const emu = await useEmulator({ numbers: manyNumbers(1) });
    const r = await runCli(['configure', '', '--sms-url', 'https://app.example.com/sms', '--yes'], { env: emu.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: a number is empty (an unset variable?): give +E.164, a PN SID, digits or a name\n');
    expect(emu.requests.filter((q) => q.method === 'POST')).toEqual([]);
  });
});

describe('twhook restore: the number as typed', () => {
  it('an empty number is refused, not read as "undo the last change"', async () => {
    const emu = await useEmulator({ numbers: manyNumbers(1) });
    const configDir = (await import('../support/run-cli.js')).tempDir();
    const phone = manyNumbers(1)[0]!.phoneNumber;
    const set = await runCli(['configure', phone, '--sms-url', 'https://app.example.com/new', '--yes'], {
      env: emu.env,
      configDir,
    });
    expect(set.code, set.stderr).toBe(0);
    const r = await runCli(['restore', '', '--yes'], { env: emu.env, configDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error: the number is empty (an unset variable?): give +E.164, a PN SID or digits, or no number to undo the last change\n',
    );
    const [number] = [...emu.state.api2010.numbers.values()];
    expect(number!.sms_url).toBe('https://app.example.com/new');
  });
});

describe('asking is refused with --json, and the error says why', () => {
  it('on a terminal with --json, configure and sinks create name --json, not the terminal, as what stops the questions', async () => {
    const emu = await useEmulator({ numbers: manyNumbers(1) });
    const configure = await runCli(['configure', '--json'], { env: emu.env, tty: true });
    expect(configure.code).toBe(2);
    expect(configure.stderr).toMatch(/; without --json and with no number it asks\n$/);
    const sinks = await runCli(['sinks', 'create', '--json'], { env: emu.env, tty: true });
    expect(sinks.code).toBe(2);
    expect(sinks.stderr).toMatch(/, or run it without --json to be asked\n$/);
    const piped = await runCli(['sinks', 'create'], { env: emu.env });
    expect(piped.stderr).toMatch(/, or run it on a terminal to be asked\n$/);
  });
});

describe('twhook restore --list --id', () => {
  it('is refused with the fix, not --id ignored', async () => {
    const r = await runCli(['restore', '--list', '--id', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: --list shows every backup and --id restores one: drop one of them\n');
  });
});
