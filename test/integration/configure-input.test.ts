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
