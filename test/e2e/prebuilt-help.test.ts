import { describe, expect, it } from 'vitest';
import { runBin } from '../support/run-bin.js';
import { runCli } from '../support/run-cli.js';

describe('the bin answers --help and --version from files', () => {
  it('prints the same help as the CLI renders', async () => {
    const fromBin = await runBin(['--help']);
    const rendered = await runCli(['--help']);
    expect(fromBin.code).toBe(0);
    expect(fromBin.stdout).toBe(rendered.stdout);
  });

  it('prints the same version as the CLI, for both spellings', async () => {
    const rendered = (await runCli(['--version'])).stdout;
    expect((await runBin(['--version'])).stdout).toBe(rendered);
    expect((await runBin(['-V'])).stdout).toBe(rendered);
  });

  it('still routes anything longer to the CLI', async () => {
    const r = await runBin(['--help', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: twhook');
    const bad = await runBin(['--nope']);
    expect(bad.code).toBe(2);
  });
});
