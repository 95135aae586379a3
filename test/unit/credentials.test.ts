import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseEnvFile, resolveCredentials, restAuth, signingTokens } from '../../src/twilio/credentials.js';
import type { TwilioPort } from '../../src/twilio/port.js';
import { runCli, tempDir } from '../support/run-cli.js';

const SID_FLAG = 'AC' + '1'.repeat(32);
const SID_ENV = 'AC' + '2'.repeat(32);
const SID_FILE = 'AC' + '3'.repeat(32);
const KEY = 'SK' + 'a'.repeat(32);

describe('credential order: flags, then environment, then env file', () => {
  it('takes each value from the first place that has it', () => {
    const file = {
      TWILIO_ACCOUNT_SID: SID_FILE,
      TWILIO_AUTH_TOKEN: 'file-token',
      TWILIO_API_KEY: KEY,
      TWILIO_API_SECRET: 'file-secret',
    };
    const env = { TWILIO_ACCOUNT_SID: SID_ENV, TWILIO_AUTH_TOKEN: 'env-token' };
    const all = resolveCredentials({ accountSid: SID_FLAG }, env, file, '/x/.env');
    expect(all.accountSid).toEqual({ value: SID_FLAG, source: 'flag' });
    expect(all.authTokens).toEqual([{ value: 'env-token', source: 'env' }]);
    expect(all.apiKey).toEqual({ value: KEY, source: 'env-file' });
    expect(all.apiSecret).toEqual({ value: 'file-secret', source: 'env-file' });
    expect(all.envFile).toBe('/x/.env');
    expect(resolveCredentials({}, env, file).accountSid!.source).toBe('env');
    expect(resolveCredentials({}, {}, file).accountSid!.source).toBe('env-file');
  });

  it('keeps every --auth-token in order (rotation) and ignores the env token then', () => {
    const c = resolveCredentials({ authToken: ['new-token', 'old-token'] }, { TWILIO_AUTH_TOKEN: 'env-token' }, {});
    expect(c.authTokens.map((t) => t.value)).toEqual(['new-token', 'old-token']);
    expect(signingTokens(c)).toEqual(['new-token', 'old-token']);
  });

  it('uses the API key for REST when given, the auth token otherwise', () => {
    const withKey = resolveCredentials(
      {},
      { TWILIO_ACCOUNT_SID: SID_ENV, TWILIO_AUTH_TOKEN: 't'.repeat(32), TWILIO_API_KEY: KEY, TWILIO_API_SECRET: 's' },
      {},
    );
    expect(restAuth(withKey)).toEqual({ accountSid: SID_ENV, username: KEY, password: 's', method: 'api-key' });
    const withToken = resolveCredentials({}, { TWILIO_ACCOUNT_SID: SID_ENV, TWILIO_AUTH_TOKEN: 't'.repeat(32) }, {});
    expect(restAuth(withToken)).toMatchObject({ username: SID_ENV, method: 'auth-token' });
  });
});

describe('credential errors: exit 2, naming what to set', () => {
  const errorOf = (fn: () => unknown): UsageError => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return err as UsageError;
    }
    throw new Error('expected a UsageError');
  };

  it('names the variable, the flag or the env file entry that is malformed', () => {
    expect(errorOf(() => restAuth(resolveCredentials({}, { TWILIO_ACCOUNT_SID: 'AC123' }, {}))).message).toMatch(
      /^TWILIO_ACCOUNT_SID is not an account SID/,
    );
    expect(errorOf(() => restAuth(resolveCredentials({ accountSid: KEY }, {}, {}))).message).toMatch(
      /^--account-sid is not an account SID/,
    );
    expect(errorOf(() => restAuth(resolveCredentials({}, {}, { TWILIO_ACCOUNT_SID: 'nope' }))).message).toMatch(
      /^TWILIO_ACCOUNT_SID in the env file is not/,
    );
    const badKey = resolveCredentials(
      {},
      { TWILIO_ACCOUNT_SID: SID_ENV, TWILIO_API_KEY: 'SKshort', TWILIO_API_SECRET: 'x' },
      {},
    );
    expect(errorOf(() => restAuth(badKey)).message).toBe(
      'TWILIO_API_KEY is not an API key SID (SK followed by 32 hex digits)',
    );
  });

  it('names what is missing', () => {
    expect(errorOf(() => restAuth(resolveCredentials({}, {}, {}))).message).toContain('set TWILIO_ACCOUNT_SID');
    expect(errorOf(() => restAuth(resolveCredentials({}, { TWILIO_ACCOUNT_SID: SID_ENV }, {}))).message).toContain(
      'set TWILIO_AUTH_TOKEN',
    );
    const halfKey = resolveCredentials({}, { TWILIO_ACCOUNT_SID: SID_ENV, TWILIO_API_KEY: KEY }, {});
    expect(errorOf(() => restAuth(halfKey)).message).toContain('TWILIO_API_SECRET');
    const onlyKey = resolveCredentials(
      {},
      { TWILIO_ACCOUNT_SID: SID_ENV, TWILIO_API_KEY: KEY, TWILIO_API_SECRET: 'x' },
      {},
    );
    expect(errorOf(() => signingTokens(onlyKey)).message).toContain('an API key cannot sign webhooks');
  });
});

describe('no secret is printed', () => {
  const TOKEN = 'secret-token-0123456789abcdef';
  const SECRET = 'api-secret-0123456789abcdef';

  it('keeps tokens and secrets out of every output of a failing and a working command', async () => {
    // A fake port that leaks the secrets into an error message and into data: the redactor
    // catches both, whatever path they take.
    const leaky: TwilioPort = {
      accountSid: SID_ENV,
      fetchAccount: async () => ({ sid: SID_ENV, friendlyName: `name ${TOKEN}`, status: 'active', type: 'Full' }),
      numbers: {
        list: async () => {
          throw new Error(`request failed with Authorization: ${TOKEN} ${SECRET}`);
        },
        fetch: async () => {
          throw new Error('unused');
        },
        update: async () => {
          throw new Error('unused');
        },
      },
      messaging: {} as TwilioPort['messaging'],
      events: {} as TwilioPort['events'],
    };
    const env = {
      TWILIO_ACCOUNT_SID: SID_ENV,
      TWILIO_AUTH_TOKEN: TOKEN,
      TWILIO_API_KEY: KEY,
      TWILIO_API_SECRET: SECRET,
    };
    for (const argv of [['numbers', 'list'], ['numbers', 'list', '--json'], ['doctor'], ['doctor', '--json']]) {
      const r = await runCli(argv, { env, twilioFactory: async () => leaky });
      const all = r.stdout + r.stderr;
      expect(all, argv.join(' ')).not.toContain(TOKEN);
      expect(all, argv.join(' ')).not.toContain(SECRET);
    }
  });

  it('masks the account SID in doctor and reads the env file given by --env-file', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'creds.env'), `TWILIO_ACCOUNT_SID=${SID_FILE}\nTWILIO_AUTH_TOKEN='${TOKEN}'\n`);
    const r = await runCli(['doctor', '--env-file', 'creds.env'], {
      cwd,
      twilioFactory: async () =>
        ({
          accountSid: SID_FILE,
          fetchAccount: async () => ({ sid: SID_FILE, friendlyName: 'p', status: 'active', type: 'Full' }),
        }) as unknown as TwilioPort,
    });
    expect(r.stdout).toContain(`AC…3333 from TWILIO_ACCOUNT_SID in ${join(cwd, 'creds.env')}`);
    expect(r.stdout + r.stderr).not.toContain(SID_FILE);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });

  it('parses quoted env file values', () => {
    expect(parseEnvFile(`export A="x\\ny" # c\nB='lit # not comment'\nC=plain # comment\n# D=no\n`)).toEqual({
      A: 'x\ny',
      B: 'lit # not comment',
      C: 'plain',
    });
  });
});
