import { afterEach } from 'vitest';
import type { NumberSeed } from '../../src/emulator/routes/api2010.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/server.js';

/** Three numbers with distinct webhooks, for tests that need "an account with numbers". */
export const SEEDED_NUMBERS: NumberSeed[] = [
  {
    phoneNumber: '+14155550100',
    friendlyName: 'Support line',
    smsUrl: 'https://app.example.com/sms',
    voiceUrl: 'https://app.example.com/voice#rc=3&ct=2000',
    voiceMethod: 'GET',
    statusCallback: 'https://app.example.com/status',
  },
  { phoneNumber: '+14155550101', friendlyName: 'Sales line', smsUrl: 'https://sales.example.com/sms' },
  { phoneNumber: '+442071838750', friendlyName: 'London' },
];

const running: Emulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emu) => emu.close()));
});

/**
 * Starts an emulator (seeded with SEEDED_NUMBERS unless `numbers` is given) that is closed after
 * the current test. Returns it with the env a CLI run needs to talk to it.
 */
export async function useEmulator(options: EmulatorOptions = {}): Promise<Emulator & { env: Record<string, string> }> {
  const emu = await startEmulator({ numbers: SEEDED_NUMBERS, ...options });
  running.push(emu);
  return Object.assign(emu, {
    // The emulator delivers Event Streams to loopback receivers, which Twilio could not reach.
    env: {
      TWILIO_ACCOUNT_SID: emu.accountSid,
      TWILIO_AUTH_TOKEN: emu.authToken,
      TWHOOK_API_URL: emu.url,
      TWHOOK_EMULATOR_DELIVERS_LOCALLY: '1',
    },
  });
}

/** `n` numbers +1555010000.. for paging tests. */
export function manyNumbers(n: number): NumberSeed[] {
  return Array.from({ length: n }, (_, i) => ({ phoneNumber: `+1555010${String(i).padStart(4, '0')}` }));
}
