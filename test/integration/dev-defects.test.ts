// Issue 11 (dev): what `twhook dev` says when things go wrong, and where it sends requests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { startApp, startCli, waitFor } from '../support/dev-session.js';

const PUBLIC = 'https://dev.example.test';

describe('twhook dev: restore errors', () => {
  it('a restore that cannot read the journal names the phone number and ends in error', async () => {
    const emu = await useEmulator();
    const app = await startApp((_req, res) => res.end('ok'));
    const cli = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--number', '+14155550100', '--no-capture'], { env: { ...emu.env, NO_COLOR: '1' } });
    await waitFor('the banner', () => cli.stderr.text().includes('Waiting for webhooks'));
    writeFileSync(join(cli.configDir, 'journal.json'), '{ torn');
    cli.interrupt();
    expect(await cli.exit).toBe(3);
    const err = cli.stderr.text();
    expect(err).toMatch(/cannot read the journal to restore \+14155550100: /);
    expect(err).toContain('✗ +14155550100 NOT restored');
    expect(err).toContain('could not restore +14155550100');
  });
});
