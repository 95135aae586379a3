import { describe, expect, it } from 'vitest';
import type { TwilioFactory } from '../../src/ctx.js';
import { Journal, type NumberEntry } from '../../src/state/journal.js';
import { createTwilioPort } from '../../src/twilio/client.js';
import { useEmulator } from '../support/emulator.js';
import { runCli, tempDir } from '../support/run-cli.js';

const SUPPORT = '+14155550100';
const SALES = '+14155550101';

describe('configure interrupted between numbers', () => {
  it.each([false, true])(
    'exits 130 through CancelError, naming what changed and how to undo it (--json %s)',
    async (json) => {
      const emu = await useEmulator();
      const configDir = tempDir('twhook-config-');
      const env = { ...emu.env, TWHOOK_RETRY_BASE_MS: '1', NO_COLOR: '1' };
      const controller = new AbortController();
      // Ctrl-C arrives while the first number is being updated.
      const twilioFactory: TwilioFactory = async (options) => {
        const port = await createTwilioPort(options);
        const update = port.numbers.update.bind(port.numbers);
        port.numbers.update = async (sid, fields) => {
          const updated = await update(sid, fields);
          controller.abort();
          return updated;
        };
        return port;
      };
      const argv = [
        'configure',
        SUPPORT,
        SALES,
        '--sms-url',
        'https://n.example.com/sms',
        '--yes',
        ...(json ? ['--json'] : []),
      ];
      const r = await runCli(argv, { env, configDir, twilioFactory, signal: controller.signal });
      expect(r.code).toBe(130);
      const first = [...emu.state.api2010.numbers.values()].filter((n) => n.sms_url === 'https://n.example.com/sms');
      expect(first).toHaveLength(1);
      const changed = first[0]!.phone_number;
      const left = changed === SUPPORT ? SALES : SUPPORT;
      const message = `interrupted: changed ${changed} (previous values saved; undo with: twhook restore ${changed}); not changed: ${left}`;
      expect(r.stderr).toContain(`error: ${message}`);
      if (json)
        expect(r.json()).toEqual([{ error: expect.objectContaining({ type: 'cancel', message, exitCode: 130 }) }]);
      const entries = new Journal(configDir).entries() as NumberEntry[];
      expect(entries.map((e) => [e.phoneNumber, e.state])).toEqual([[changed, 'applied']]);
    },
  );
});
