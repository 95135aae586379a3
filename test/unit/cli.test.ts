import type { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS, findCommandName, type CommandEntry } from '../../src/cli.js';
import { CheckFailed, RemoteError, UsageError } from '../../src/errors.js';
import { runCli } from '../support/run-cli.js';

const SID = 'AC' + '0123456789abcdef'.repeat(2);
const TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';

// A probe command registered only for these tests: it shows what a real command receives.
const probe: CommandEntry = {
  name: 'probe',
  summary: 'test probe',
  example: 'twhook probe',
  load: async () => ({
    register(cmd: Command, wire) {
      const list = cmd.command('list').option('--limit <n>', 'how many');
      list.action(
        wire(async (ctx, opts: { limit?: string }) => {
          const creds = ctx.credentials();
          ctx.out.result({ json: ctx.out.json, limit: opts.limit ?? null, sid: creds.accountSid?.source ?? null }, () =>
            ctx.out.print(`limit=${opts.limit} token=${creds.authTokens[0]?.value}`),
          );
        }),
      );
      cmd.command('fail <kind>').action(
        wire(async (_ctx, kind: string) => {
          if (kind === 'usage') throw new UsageError('bad thing: pass --good');
          if (kind === 'remote')
            throw new RemoteError('Twilio said no', {
              code: 20003,
              status: 401,
              moreInfo: 'https://www.twilio.com/docs/errors/20003',
            });
          if (kind === 'check') throw new CheckFailed('1 invalid signature');
          if (kind === 'secret') throw new Error(`boom with ${TOKEN} inside`);
          return 7;
        }),
      );
    },
  }),
};

beforeEach(() => {
  COMMANDS.push(probe);
});
afterEach(() => {
  COMMANDS.splice(COMMANDS.indexOf(probe), 1);
});

describe('findCommandName', () => {
  it('skips global options and their values', () => {
    expect(findCommandName(['--account-sid', 'ACx', '--json', 'numbers', 'list'])).toBe('numbers');
    expect(findCommandName(['--api-url=http://x', 'verify'])).toBe('verify');
    expect(findCommandName(['help', 'numbers'])).toBe('numbers');
    expect(findCommandName(['--help'])).toBeUndefined();
  });
});

describe('main', () => {
  it('accepts global options after the command name', async () => {
    const r = await runCli(['probe', 'list', '--limit', '3', '--json', '--account-sid', SID]);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual([{ json: true, limit: '3', sid: 'flag' }]);
  });

  it('lists commands with examples in --help and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('probe');
    expect(r.stdout).toContain('$ twhook probe');
  });

  it('prints the version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('maps error types to exit codes with one line on stderr', async () => {
    const usage = await runCli(['probe', 'fail', 'usage']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('error: bad thing: pass --good\n');
    expect((await runCli(['probe', 'fail', 'remote'])).code).toBe(3);
    expect((await runCli(['probe', 'fail', 'check'])).code).toBe(1);
    expect((await runCli(['probe', 'fail', 'other'])).code).toBe(7);
  });

  it('prints --json errors on stdout too', async () => {
    const r = await runCli(['probe', 'fail', 'remote', '--json']);
    expect(r.code).toBe(3);
    expect(r.json()).toEqual([
      {
        error: {
          type: 'remote',
          message: 'Twilio said no',
          exitCode: 3,
          code: 20003,
          status: 401,
          moreInfo: 'https://www.twilio.com/docs/errors/20003',
        },
      },
    ]);
  });

  it('gives exit 2 and one line for an unknown option', async () => {
    const r = await runCli(['probe', 'list', '--nope']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("unknown option '--nope'");
  });

  it("says where the usage is, or what was meant, on the same one line as commander's error", async () => {
    const unknown = await runCli(['probe', 'list', '--nope']);
    expect(unknown.stderr).toBe("error: unknown option '--nope': see `twhook probe list --help`\n");
    const missing = await runCli(['--json', 'probe', 'fail']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("error: missing required argument 'kind': see `twhook probe fail --help`\n");
    expect(missing.json()).toEqual([
      {
        error: {
          type: 'usage',
          message: "missing required argument 'kind': see `twhook probe fail --help`",
          exitCode: 2,
        },
      },
    ]);
    const tooMany = await runCli(['probe', 'list', 'extra']);
    expect(tooMany.stderr).toBe(
      "error: too many arguments for 'list'. Expected 0 arguments but got 1: see `twhook probe list --help`\n",
    );
    const typo = await runCli(['probe', 'list', '--limt', '3']);
    expect(typo.stderr).toBe("error: unknown option '--limt': did you mean --limit?\n");
    const command = await runCli(['prob']);
    expect(command.code).toBe(2);
    expect(command.stderr).toBe("error: unknown command 'prob': did you mean probe?\n");
  });

  it('`help <unknown>` is an unknown command (exit 2), not the full help with exit 0', async () => {
    const r = await runCli(['help', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("error: unknown command 'nope': see `twhook --help`\n");
    const known = await runCli(['help', 'probe']);
    expect(known.code).toBe(0);
    expect(known.stdout).toContain('Usage: twhook probe');
  });

  it('never prints a known secret, even in an unexpected error', async () => {
    const r = await runCli(['probe', 'fail', 'secret'], { env: { TWILIO_AUTH_TOKEN: TOKEN } });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain(TOKEN);
    expect(r.stderr).toContain('[redacted]');
    const shown = await runCli(['probe', 'list', '--auth-token', TOKEN]);
    expect(shown.stdout).not.toContain(TOKEN);
  });

  it('reads credentials from the env file after the environment', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tempDir } = await import('../support/run-cli.js');
    const cwd = tempDir();
    writeFileSync(join(cwd, '.env'), `TWILIO_ACCOUNT_SID=${SID}\n`);
    const fromFile = await runCli(['probe', 'list', '--json'], { cwd });
    expect(fromFile.json()).toEqual([{ json: true, limit: null, sid: 'env-file' }]);
    const fromEnv = await runCli(['probe', 'list', '--json'], { cwd, env: { TWILIO_ACCOUNT_SID: SID } });
    expect(fromEnv.json()).toEqual([{ json: true, limit: null, sid: 'env' }]);
  });
});
