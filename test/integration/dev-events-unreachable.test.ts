import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/state/journal.js';
import { runCli, tempDir } from '../support/run-cli.js';
import { closedPort } from '../support/twilio-app.js';

const SID = 'AC' + 'c'.repeat(32);
const TOKEN = 'd'.repeat(32);

describe('dev --events when the API cannot be reached', () => {
  it('fails with one error, asks nobody to delete a sink that was never created, and leaves no backup open', async () => {
    const api = `http://127.0.0.1:${await closedPort()}`;
    const configDir = tempDir('twhook-config-');
    const r = await runCli(
      [
        'dev',
        String(await closedPort()),
        '--public-url',
        'https://dev.example.test',
        '--events',
        'com.twilio.messaging.message.delivered',
        '--no-capture',
        '--api-url',
        api,
      ],
      { env: { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: TOKEN, TWHOOK_RETRY_BASE_MS: '1' }, configDir },
    );
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach http://127.0.0.1');
    expect(r.stderr).not.toMatch(/could not delete/);
    expect(new Journal(configDir).unrestored()).toEqual([]);
  });
});
