import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { runCli, tempDir } from '../support/run-cli.js';

const SUPPORT = '+14155550100';

describe('twhook restore with backups made in the same clock tick', () => {
  it('takes the later backup as the newer one, so restores walk back to the original', async () => {
    const emu = await useEmulator();
    const configDir = tempDir('twhook-config-');
    // runCli's clock is fixed: both backups carry the same createdAt.
    const run = (argv: string[]) => runCli(argv, { env: { ...emu.env, NO_COLOR: '1' }, configDir });
    const number = [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === SUPPORT)!;
    const original = number.sms_url;
    expect((await run(['configure', SUPPORT, '--sms-url', 'https://one.example.com/sms', '--yes'])).code).toBe(0);
    expect((await run(['configure', SUPPORT, '--sms-url', 'https://two.example.com/sms', '--yes'])).code).toBe(0);

    expect((await run(['restore', SUPPORT, '--yes'])).code).toBe(0);
    expect(number.sms_url).toBe('https://one.example.com/sms');
    expect((await run(['restore', SUPPORT, '--yes'])).code).toBe(0);
    expect(number.sms_url).toBe(original);
  });
});

describe('twhook restore after the clock went back between two backups', () => {
  it('takes the backup written later as the newer one, whatever its timestamp says', async () => {
    const emu = await useEmulator();
    const configDir = tempDir('twhook-config-');
    // The second configure runs after a clock step back (NTP, a resumed VM): its createdAt is older.
    const run = (argv: string[], now: string) =>
      runCli(argv, { env: { ...emu.env, NO_COLOR: '1' }, configDir, now: new Date(now) });
    const number = [...emu.state.api2010.numbers.values()].find((n) => n.phone_number === SUPPORT)!;
    const original = number.sms_url;
    expect(
      (
        await run(
          ['configure', SUPPORT, '--sms-url', 'https://one.example.com/sms', '--yes'],
          '2026-11-27T10:05:00.000Z',
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await run(
          ['configure', SUPPORT, '--sms-url', 'https://two.example.com/sms', '--yes'],
          '2026-11-27T10:00:00.000Z',
        )
      ).code,
    ).toBe(0);

    expect((await run(['restore', SUPPORT, '--yes'], '2026-11-27T10:06:00.000Z')).code).toBe(0);
    expect(number.sms_url).toBe('https://one.example.com/sms');
    expect((await run(['restore', SUPPORT, '--yes'], '2026-11-27T10:07:00.000Z')).code).toBe(0);
    expect(number.sms_url).toBe(original);
  });
});
