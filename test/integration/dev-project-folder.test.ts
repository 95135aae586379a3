import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startApp, startCli, waitFor } from '../support/dev-session.js';
import { tempDir } from '../support/run-cli.js';

const PUBLIC = 'https://dev.example.test';

describe('dev captures in the project folder', () => {
  it('keeps .twhook/ out of git: the default capture folder gets a .gitignore that ignores everything', async () => {
    const app = await startApp((_req, res) => res.end('ok'));
    const cli = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--json'], { env: {} });
    const ready = await waitFor('ready', () => cli.json().find((e) => e.type === 'ready'));
    expect(ready.capture).toBe(join(cli.cwd, '.twhook', 'captures', '2026-11-27.jsonl'));
    cli.interrupt();
    expect(await cli.exit).toBe(0);
    const ignore = readFileSync(join(cli.cwd, '.twhook', '.gitignore'), 'utf8');
    expect(ignore.split('\n')).toContain('*');
  });

  it("leaves the user's own .gitignore there alone, and writes none for a capture elsewhere", async () => {
    const app = await startApp((_req, res) => res.end('ok'));
    const cwd = tempDir('twhook-dev-cwd-');
    mkdirSync(join(cwd, '.twhook'));
    writeFileSync(join(cwd, '.twhook', '.gitignore'), 'captures/\n');
    const mine = startCli(['dev', String(app.port), '--public-url', PUBLIC, '--json'], { env: {}, cwd });
    await waitFor('ready', () => mine.json().find((e) => e.type === 'ready'));
    mine.interrupt();
    await mine.exit;
    expect(readFileSync(join(cwd, '.twhook', '.gitignore'), 'utf8')).toBe('captures/\n');

    const elsewhere = startCli(
      ['dev', String(app.port), '--public-url', PUBLIC, '--capture', 'webhooks.jsonl', '--json'],
      { env: {} },
    );
    await waitFor('ready', () => elsewhere.json().find((e) => e.type === 'ready'));
    elsewhere.interrupt();
    await elsewhere.exit;
    expect(existsSync(join(elsewhere.cwd, '.twhook'))).toBe(false);
  });
});
